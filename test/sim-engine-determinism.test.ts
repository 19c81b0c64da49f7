import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Engine } from '../simulator/engine.js';
import { parseProfile, type ProviderProfile } from '../simulator/profile.js';
import { runSim, type RequestOutcome, type SimRunInput } from '../simulator/run.js';

/** Two providers with every failure kind, a bursty bad state and an outage: many code paths. */
function profile(id: string, ttftMs: number, timeline: unknown[] = []): ProviderProfile {
  return parseProfile(
    {
      id,
      model: 'm',
      ttft: { medianMs: ttftMs, sigma: 0.5 },
      throughput: { tokensPerSecond: 80, jitter: 0.2 },
      capacity: { maxConcurrent: 20, queue: 20, fullStatus: 429, slowdown: 1 },
      failures: {
        baseErrorRate: 0.05,
        bursty: { meanGoodS: 10, meanBadS: 2, badErrorRate: 0.5 },
        kinds: { http_500: 1, http_503: 1, rate_limited_429: 1, refused: 1, reset: 1, hang: 0.5, stream_cut: 1, malformed: 0.5 },
      },
      price: { input: 1, output: 2 },
      quality: { coding: 0.8, math: 0.7, reasoning: 0.7, writing: 0.9, general: 0.9 },
      timeline,
    },
    `test profile ${id}`,
  );
}

function input(onRequest: (o: RequestOutcome) => void, drain: 'tick' | 'auto' | 'immediate' = 'tick'): SimRunInput {
  const a = profile('a', 300, [{ kind: 'outage', at: 5, until: 8, mode: 'refuse' }]);
  const b = profile('b', 500);
  return {
    router: {
      endpoints: [
        { id: 'a', provider: 'a', model: 'chat', price: a.price },
        { id: 'b', provider: 'b', model: 'chat', price: b.price },
      ],
      strategy: 'latency',
      timeouts: { ttftMs: 2000, totalMs: 6000 },
      hedging: { enabled: true, delayMs: 800 },
    },
    providers: [
      { id: 'a', profile: a },
      { id: 'b', profile: b },
    ],
    workload: {
      arrivals: 'gamma',
      rate: 30,
      shape: 0.5,
      durationS: 15,
      stream: 0.4,
      mix: [
        { class: 'general', inputTokens: { median: 200 }, outputTokens: { median: 60, sigma: 0.6 } },
        { class: 'coding', inputTokens: { median: 500 }, outputTokens: { median: 90 } },
      ],
    },
    seed: 7,
    fault: { provider: 'a', startS: 5, endS: 8 },
    oracle: { sloMs: 3000 },
    drain,
    onRequest,
  };
}

async function hashRun(drain: 'tick' | 'auto' | 'immediate' = 'tick'): Promise<{ hash: string; n: number; results: string }> {
  const h = createHash('sha256');
  let n = 0;
  const r = await runSim(input((o) => {
    h.update(JSON.stringify(o));
    h.update('\n');
    n++;
  }, drain));
  return { hash: h.digest('hex'), n, results: JSON.stringify(r.result) + JSON.stringify(r.oracle) };
}

describe('virtual-time engine', () => {
  it('fires events in (time, seq) order and skips cancelled ones', async () => {
    const e = new Engine();
    const seen: string[] = [];
    e.at(10, () => seen.push('b'));
    e.at(5, () => seen.push('a'));
    e.at(10, () => seen.push('c'));
    const t = e.at(7, () => seen.push('cancelled'));
    t.cancel();
    e.at(10, () => e.clock.setTimeout(() => seen.push(`d@${e.now()}`), 0));
    await e.run();
    expect(seen).toEqual(['a', 'b', 'c', 'd@10']);
    expect(e.now()).toBe(10);
  });

  it.each(['tick', 'auto', 'immediate'] as const)('lets every promise continuation of an event run before time moves on (drain %s)', async (drain) => {
    const e = new Engine({ drain });
    const reads: number[] = [];
    e.at(1, () => {
      void (async () => {
        for (let i = 0; i < 100; i++) await null; // a deep async chain
        reads.push(e.clock.now());
      })();
    });
    e.at(2, () => reads.push(e.clock.now()));
    await e.run();
    expect(reads).toEqual([1, 2]);
  });

  it.each(['tick', 'auto'] as const)('a promise created in one step and resolved in a later one reacts at that later time (drain %s)', async (drain) => {
    const e = new Engine({ drain });
    const reads: string[] = [];
    let resolveLater: (v: string) => void = () => undefined;
    e.at(1, () => void new Promise<string>((r) => (resolveLater = r)).then((v) => reads.push(`${v}@${e.now()}`)));
    e.at(2, () => resolveLater('resolved'));
    e.at(3, () => reads.push(`next@${e.now()}`));
    for (let t = 4; t < 50; t++) e.at(t, () => undefined); // later steps with nothing to drain
    await e.run();
    expect(reads).toEqual(['resolved@2', 'next@3']);
    if (drain === 'auto') expect(e.syncSteps).toBeGreaterThan(40);
  });

  it('clock.sleep resolves on virtual time and honours abort', async () => {
    const e = new Engine();
    const out: string[] = [];
    const ac = new AbortController();
    e.at(0, () => {
      void e.clock.sleep(50).then(() => out.push(`slept@${e.now()}`));
      e.clock.sleep(100, ac.signal).catch(() => out.push(`aborted@${e.now()}`));
      e.clock.setTimeout(() => ac.abort(), 20);
    });
    await e.run();
    expect(out).toEqual(['aborted@20', 'slept@50']);
  });
});

describe('simulator determinism', () => {
  it('same inputs and seed give byte-identical per-request outcomes (sha256)', async () => {
    const one = await hashRun();
    const two = await hashRun();
    expect(one.n).toBeGreaterThan(300);
    expect(two.hash).toBe(one.hash);
    expect(two.results).toBe(one.results);
  });

  it('the fast microtask drain gives the same outcomes as a setImmediate per step', async () => {
    const fast = await hashRun('tick');
    const slow = await hashRun('immediate');
    expect(slow.hash).toBe(fast.hash);
  });

  it("the promise-hook drain ('auto') gives the same outcomes as draining after every step", async () => {
    const tick = await hashRun('tick');
    const auto = await hashRun('auto');
    expect(auto.n).toBe(tick.n);
    expect(auto.hash).toBe(tick.hash);
    expect(auto.results).toBe(tick.results);
  });
});

describe('runSim when a callback throws', () => {
  it('a failure reported by engine.fail() ends the run with that error', async () => {
    const e = new Engine({ drain: 'auto' });
    const fired: number[] = [];
    for (let t = 1; t <= 5; t++) e.at(t, () => fired.push(t));
    e.at(2, () => void Promise.resolve().then(() => e.fail(new Error('late failure'))));
    await expect(e.run()).rejects.toThrow('late failure');
    expect(fired).toEqual([1, 2]);
  });

  it('a throwing callback on a streamed request also ends the run (no unhandled rejection)', async () => {
    const streams = new Set<number>();
    let thrownFor = -1;
    const failing = input((o) => {
      if (o.ok && streams.has(o.id)) {
        thrownFor = o.id;
        throw new Error('callback bug'); // from inside the stream consumer's continuation
      }
    });
    failing.onArrival = (req) => void (req.stream && streams.add(req.id));
    await expect(runSim(failing)).rejects.toThrow('callback bug');
    expect(streams.has(thrownFor)).toBe(true);
  });

  it('rejects with that error (no hang), for either drain', async () => {
    for (const drain of ['auto', 'tick'] as const) {
      let n = 0;
      const failing = input(() => {
        if (++n === 10) throw new Error('callback bug');
      }, drain);
      await expect(runSim(failing)).rejects.toThrow('callback bug');
    }
  });
});
