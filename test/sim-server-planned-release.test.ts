import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock, type Clock, type Timer } from '../router/core/clock.js';
import { parseProfile } from '../simulator/profile.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import { baseProfile, chatBody, noFail } from './sim-profile-fixtures.js';

/**
 * A mock provider frees a slot at the answer's planned end, as sim mode does, not when its
 * (late) timer has sent the answer: on a busy machine every timer fires late, and a provider
 * near capacity would otherwise see requests that sim mode has finished as still in flight,
 * and queue or turn away the next ones (issue #12). One slot, no queue: a request that
 * arrives after the first answer's planned end but before its late timer fires must be
 * served, not refused. Driven by a ManualClock whose timers fire LATE ms after they are due.
 */

const LATE = 5000;

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

// ~100 ms TTFT + 10 tokens at 100/s: the first answer is planned for ~200 ms.
const profile = parseProfile(
  baseProfile({ ...noFail, ttft: { medianMs: 100, sigma: 0.01 }, throughput: { tokensPerSecond: 100, jitter: 0 }, capacity: { maxConcurrent: 1, queue: 0, fullStatus: 503, slowdown: 0 } }),
  'one-slot',
);

/** Let real socket I/O run (no clock movement) until `cond` holds; bounded. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 20_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

describe('mock provider: slots free at the planned end', () => {
  let server: ProviderServer | undefined;
  afterAll(async () => {
    await server?.close();
  });

  it('serves a request that arrives after the last answer was due, though its late timer has not fired', async () => {
    const clock = new ManualClock();
    server = await startProviderServer(profile, { seed: 3, speed: 1, clock: lateClock(clock, LATE) });
    const url = `${server.url}/chat/completions`;
    const post = (id: number): Promise<Response> =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-sim-request-id': String(id), 'x-sim-output-tokens': '10' }, body: JSON.stringify(chatBody(false, 10)) });

    const a = post(1);
    await until(() => server!.inFlight() === 1);
    // Past the first answer's planned end (~200 ms), long before its timer fires (~5,200 ms).
    await clock.advance(1000);
    expect(server.inFlight()).toBe(1);
    let bStatus = 0;
    const b = post(2).then(async (r) => {
      bStatus = r.status;
      await r.text();
    });
    // B's arrival frees A's slot (planned end passed) and takes it: still one in flight.
    // Then move the clock in small steps until both have answered.
    let aStatus = 0;
    void a.then(async (r) => {
      aStatus = r.status;
      await r.text();
    });
    for (let i = 0; i < 40_000 && (bStatus === 0 || aStatus === 0); i++) {
      await clock.advance(1);
      await new Promise((r) => setImmediate(r));
    }
    await b;
    expect(aStatus).toBe(200);
    expect(bStatus).toBe(200);
  });
});
