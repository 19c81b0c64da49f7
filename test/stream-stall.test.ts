import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { RouterError } from '../router/core/errors.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

/**
 * Issue #21, gap 5: a stream that stalls mid-body used to hold the client until the total
 * deadline. Now an inter-chunk (stall) timeout ends it with a committed stream_stalled,
 * configurable (timeouts.stallMs), by default derived from the endpoint's observed ms per token.
 */

async function read(clock: ManualClock, stream: AsyncIterable<Uint8Array | string>) {
  const chunks: string[] = [];
  const it = stream[Symbol.asyncIterator]();
  for (;;) {
    try {
      const r = await settle(clock, it.next());
      if (r.done) return { chunks, error: undefined as unknown, at: clock.now() };
      chunks.push(String(r.value));
    } catch (error) {
      return { chunks, error, at: clock.now() };
    }
  }
}

describe('stream stall timeout', () => {
  it('a gap longer than timeouts.stallMs ends the stream with stream_stalled, long before the total deadline', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['1', '2', '3'], chunkDelayMs: 20_000 }));
    const router = createRouter(threeEndpoints({ timeouts: { stallMs: 1000, totalMs: 120_000 } }), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    const { chunks, error, at } = await read(clock, r.stream!);
    expect(chunks).toEqual(['1']);
    expect(error).toBeInstanceOf(RouterError);
    expect(error).toMatchObject({ code: 'stream_stalled', committed: true });
    expect(at).toBe(1000);
    expect(t.calls[0]!.abortedAt).toBe(1000); // the upstream call was aborted
    expect(r.attempts[0]).toMatchObject({ ok: false, errorCode: 'stream_stalled' });
  });

  it('steady chunks within the stall timeout pass, however long the stream', async () => {
    const clock = new ManualClock();
    const chunks = Array.from({ length: 50 }, (_, i) => String(i));
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks, chunkDelayMs: 900 }));
    const router = createRouter(threeEndpoints({ timeouts: { stallMs: 1000 } }), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    const out = await read(clock, r.stream!);
    expect(out.error).toBeUndefined();
    expect(out.chunks).toEqual(chunks);
  });

  it('stallMs: 0 turns it off (the total deadline still holds)', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['1', '2'], chunkDelayMs: 60_000 }));
    const router = createRouter(threeEndpoints({ timeouts: { stallMs: 0, totalMs: 30_000 } }), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    const { error, at } = await read(clock, r.stream!);
    expect(error).toMatchObject({ code: 'timeout' });
    expect(at).toBe(30_000);
  });

  it('by default: stallMinMs until the endpoint answered, then stallTokens x its observed ms per token', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['x', 'y'], chunkDelayMs: 10_000, usage: { inputTokens: 1, outputTokens: 11 } }));
    const cfg = { endpoints: [{ id: 'a', provider: 'p', model: 'm' }], timeouts: { stallMinMs: 5_000, totalMs: 0 } };
    const router = createRouter(cfg, { transport: t, clock });
    const first = await read(clock, (await settle(clock, router.route({ model: 'm', stream: true }))).stream!);
    expect(first.error).toMatchObject({ code: 'stream_stalled' }); // nothing observed yet: 5 s
    expect(first.at).toBe(5_000);
    // A success with 5 tokens, 4 s apart after the first: 1 s per token observed.
    t.behave = () => ({ kind: 'stream', chunks: ['x', 'y'], chunkDelayMs: 4_000, usage: { inputTokens: 1, outputTokens: 5 } });
    const done = await read(clock, (await settle(clock, router.route({ model: 'm', stream: true }))).stream!);
    expect(done.error).toBeUndefined(); // 4 s gaps < 5 s
    // Now the stall timeout is 100 x 1 s: a 30 s gap is not a stall.
    t.behave = () => ({ kind: 'stream', chunks: ['a', 'b'], chunkDelayMs: 30_000 });
    const patient = await read(clock, (await settle(clock, router.route({ model: 'm', stream: true }))).stream!);
    expect(patient.error).toBeUndefined();
    expect(patient.chunks).toEqual(['a', 'b']);
  });
});
