import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { RouterError } from '../router/core/errors.js';
import type { RouterEvent } from '../router/core/events.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

async function drain(clock: ManualClock, stream: AsyncIterable<Uint8Array | string>): Promise<{ chunks: string[]; error?: unknown }> {
  const chunks: string[] = [];
  const it = stream[Symbol.asyncIterator]();
  for (;;) {
    try {
      const r = await settle(clock, it.next());
      if (r.done) return { chunks };
      chunks.push(String(r.value));
    } catch (error) {
      return { chunks, error };
    }
  }
}

describe('streaming', () => {
  it('a failure before the first chunk fails over; the outcome is recorded when the stream ends', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) =>
      ep.id === 'a'
        ? { kind: 'stream', chunks: ['x'], cutAfter: 0 }
        : { kind: 'stream', chunks: ['1', '2', '3'], firstChunkDelayMs: 300, chunkDelayMs: 100, usage: { inputTokens: 10, outputTokens: 3 } },
    );
    const events: RouterEvent[] = [];
    const router = createRouter(threeEndpoints(), { transport: t, clock });
    router.on((e) => events.push(e));
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    expect(r.endpoint.id).toBe('b');
    expect(clock.now()).toBe(300); // resolved at the first chunk
    expect(r.attempts.map((a) => [a.endpointId, a.ok, a.errorCode])).toEqual([
      ['a', false, 'stream_cut'],
      ['b', true, undefined],
    ]);
    expect(events.some((e) => e.type === 'request-end')).toBe(false); // not before the stream ends
    const { chunks, error } = await drain(clock, r.stream!);
    expect(error).toBeUndefined();
    expect(chunks).toEqual(['1', '2', '3']);
    const b = router.candidates('m')[1]!.stats;
    expect(b).toMatchObject({ successes: 1, inFlight: 0, ttftMs: 300, latencyMs: 500, outputTokens: 3 });
    expect(r.attempts[1]).toMatchObject({ ok: true, endedAt: 500 });
    const end = events.find((e) => e.type === 'request-end');
    expect(end).toMatchObject({ ok: true, latencyMs: 500, endpointId: 'b', attempts: 2 });
  });

  it('a failure after the first chunk surfaces as a committed stream_cut (no failover)', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['1', '2', '3', '4'], cutAfter: 2 }));
    const router = createRouter(threeEndpoints(), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    const { chunks, error } = await drain(clock, r.stream!);
    expect(chunks).toEqual(['1', '2']);
    expect(error).toBeInstanceOf(RouterError);
    expect(error).toMatchObject({ code: 'stream_cut', committed: true, retryable: false });
    expect(t.calls).toHaveLength(1);
    expect(r.attempts[0]).toMatchObject({ ok: false, errorCode: 'stream_cut' });
    expect(router.candidates('m')[0]!.stats).toMatchObject({ failures: 1, inFlight: 0 });
  });

  it('a stream abandoned via return() is recorded (not as the endpoint\'s failure) and its upstream aborted', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['1', '2', '3'], chunkDelayMs: 100 }));
    const router = createRouter(threeEndpoints(), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    const it = r.stream![Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('1');
    await it.return!();
    expect(t.calls[0]!.abortedAt).toBe(0);
    expect(router.candidates('m')[0]!.stats).toMatchObject({ failures: 0, successes: 0, inFlight: 0 });
  });

  it('a stream with no chunk at all is a retryable stream_cut', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep) => (ep.id === 'a' ? { kind: 'stream', chunks: [] } : { kind: 'stream', chunks: ['ok'] }));
    const router = createRouter(threeEndpoints(), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    expect(r.attempts.map((a) => [a.endpointId, a.errorCode])).toEqual([
      ['a', 'stream_cut'],
      ['b', undefined],
    ]);
  });
});
