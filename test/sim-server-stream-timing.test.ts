import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type Clock, type Timer } from '../router/core/clock.js';
import { createProviderHandlers } from '../simulator/msw.js';
import { parseProfile } from '../simulator/profile.js';
import { startProviderServer } from '../simulator/server.js';
import { baseProfile, chatBody, noFail } from './sim-profile-fixtures.js';

/**
 * A streamed answer's chunks are timed from the request's arrival, not each from the one
 * before it: on a busy machine every timer fires a little late, and chained relative waits
 * add that lateness up chunk by chunk (a 100-chunk stream with 10 ms late timers ran a whole
 * second long), which made http mode's stream latencies longer than the simulator's.
 * Driven by a ManualClock whose every timer fires LATE ms after it is due; no real sleeps.
 */

const LATE = 10;
const STEP = 2;

/** The manual clock, with every timer firing `late` ms after it is due (a busy machine). */
function lateClock(base: ManualClock, late: number): Clock {
  return {
    now: () => base.now(),
    setTimeout: (fn: () => void, ms: number): Timer => base.setTimeout(fn, ms + late),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const t = base.setTimeout(resolve, ms + late);
        signal?.addEventListener('abort', () => (t.cancel(), reject(signal.reason)), { once: true });
      }),
  };
}

// 100 tokens/s, chunks at least 20 ms apart, 200 tokens: ~100 chunks over ~2 s.
const profile = parseProfile(baseProfile({ ...noFail, ttft: { medianMs: 100, sigma: 0.01 }, throughput: { tokensPerSecond: 100, jitter: 0 } }), 'timing');
const body = chatBody(true, 200);
const headers = { 'content-type': 'application/json', 'x-sim-request-id': '7' };

/** Read a streamed answer while moving the manual clock; returns [clock time, bytes so far] of each read. */
async function timedStream(clock: ManualClock, url: string): Promise<Array<[number, number]>> {
  const start = clock.now();
  let done = false;
  let bytes = 0;
  const times: Array<[number, number]> = [];
  const reading = (async () => {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    const reader = res.body!.getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      bytes += value.length;
      if (value.length > 0) times.push([clock.now() - start, bytes]);
    }
    done = true;
  })();
  for (let i = 0; i < 5000 && !done; i++) {
    await clock.advance(STEP);
    await new Promise((r) => setImmediate(r));
  }
  await reading;
  return times;
}

describe('streamed chunks are timed from the request arrival', () => {
  let servers: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  for (const world of ['server', 'msw'] as const) {
    describe(world, () => {
      const urls: Record<'punctual' | 'late', string> = { punctual: '', late: '' };
      const clocks = { punctual: new ManualClock(), late: new ManualClock() };
      let msw: ReturnType<typeof setupServer> | undefined;
      beforeAll(async () => {
        if (world === 'server') {
          for (const k of ['punctual', 'late'] as const) {
            const s = await startProviderServer(profile, { seed: 3, speed: 1, clock: k === 'late' ? lateClock(clocks[k], LATE) : clocks[k] });
            servers.push(s);
            urls[k] = `${s.url}/chat/completions`;
          }
        } else {
          msw = setupServer(
            ...createProviderHandlers(profile, { baseUrl: 'http://punctual.sim/v1', seed: 3, clock: clocks.punctual }),
            ...createProviderHandlers(profile, { baseUrl: 'http://late.sim/v1', seed: 3, clock: lateClock(clocks.late, LATE) }),
          );
          msw.listen({ onUnhandledRequest: 'bypass' });
          urls.punctual = 'http://punctual.sim/v1/chat/completions';
          urls.late = 'http://late.sim/v1/chat/completions';
        }
      });
      afterAll(() => msw?.close());

      it(`a stream whose every timer fires ${LATE} ms late ends about ${LATE} ms late, not ${LATE} ms per chunk`, async () => {
        const punctual = await timedStream(clocks.punctual, urls.punctual);
        const late = await timedStream(clocks.late, urls.late);
        const [end, size] = punctual[punctual.length - 1]!;
        const [lateEnd, lateSize] = late[late.length - 1]!;
        expect(lateSize).toBe(size);
        // ~100 chunks over ~2 s: per-chunk lateness would have added about a second.
        expect(end).toBeGreaterThan(1500);
        expect(lateEnd - end).toBeGreaterThanOrEqual(LATE - STEP);
        expect(lateEnd - end).toBeLessThanOrEqual(LATE + 3 * STEP);
        if (world === 'server') {
          // The socket delivers chunk by chunk (msw's interceptor may hand the body over whole),
          // and no byte of the late stream comes later than its punctual twin by more than one timer's lateness.
          expect(punctual.length).toBeGreaterThan(40);
          const bytesBy = (ts: Array<[number, number]>, t: number): number => ts.filter(([x]) => x <= t).at(-1)?.[1] ?? 0;
          for (const [t, b] of punctual) expect(bytesBy(late, t + LATE + 3 * STEP), `by ${t} ms`).toBeGreaterThanOrEqual(b);
        }
      }, 60_000);
    });
  }
});
