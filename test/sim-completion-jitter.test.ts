import { describe, expect, it } from 'vitest';
import { parseProfile } from '../simulator/profile.js';
import { runSim, type RequestOutcome } from '../simulator/run.js';
import type { ArrivalJitter } from '../simulator/arrival-jitter.js';

/**
 * The order spread's answer jitter (simulator/arrival-jitter.ts `completions`): every provider
 * answer comes a seeded [0, ms) later, as when the mock providers' timers fire late over real
 * sockets. One provider without failures or load-dependent latency (slowdown 0), so the only change between
 * "arrivals only" and "arrivals and answers" is that delay.
 */
const provider = parseProfile(
  {
    id: 'p',
    model: 'm',
    ttft: { medianMs: 300, sigma: 0.3 },
    throughput: { tokensPerSecond: 80, jitter: 0.2 },
    capacity: { maxConcurrent: 500, queue: 0, fullStatus: 503, slowdown: 0 },
    failures: { baseErrorRate: 0, kinds: { http_500: 1 } },
    price: { input: 0.5, output: 1.5 },
    quality: { coding: 0.8, math: 0.8, reasoning: 0.8, writing: 0.8, general: 0.8 },
  },
  'completion-jitter test profile',
);

async function run(jitter: ArrivalJitter): Promise<Map<number, RequestOutcome>> {
  const out = new Map<number, RequestOutcome>();
  await runSim({
    router: { endpoints: [{ id: 'p', provider: 'p', model: 'chat' }], strategy: 'round-robin' },
    providers: [{ id: 'p', profile: provider }],
    workload: { arrivals: 'poisson', rate: 20, durationS: 10, stream: 0.5, mix: [{ class: 'general', inputTokens: { median: 200 }, outputTokens: { median: 40 } }] },
    seed: 3,
    arrivalJitter: jitter,
    onRequest: (o) => out.set(o.id, o),
  });
  return out;
}

describe('order spread: answers delayed by the providers timer lateness', () => {
  it('delays every answer by [0, ms), seeded, and leaves arrivals as the arrival jitter put them', async () => {
    const arrivals = await run({ ms: 10, seed: 7 });
    const both = await run({ ms: 10, seed: 7, completions: true });
    expect(both.size).toBe(arrivals.size);
    expect(arrivals.size).toBeGreaterThan(150);
    const delays: number[] = [];
    for (const [id, a] of arrivals) {
      const b = both.get(id)!;
      expect(b.arrivalMs).toBe(a.arrivalMs);
      expect(a.ok && b.ok).toBe(true);
      // A streamed answer has a first byte (TTFT); a JSON answer only its end.
      expect(b.ttftMs === undefined).toBe(a.ttftMs === undefined);
      const end = b.latencyMs - a.latencyMs;
      // A stream's end moves with its first byte, by the same delay; a JSON answer's end by its own.
      if (a.ttftMs !== undefined) expect(end).toBeCloseTo(b.ttftMs! - a.ttftMs, 6);
      delays.push(end);
    }
    // TTFT is a streamed answer's (stream: 0.5): about half of the ~200 answers have one.
    const streamed = [...arrivals.values()].filter((a) => a.ttftMs !== undefined).length;
    expect(streamed).toBeGreaterThan(0.35 * arrivals.size);
    expect(streamed).toBeLessThan(0.65 * arrivals.size);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(10);
    // Uniform on [0, 10) (first byte, or the end of a JSON answer): the mean of ~200 draws is within 1.5 ms of 5 (sd of the mean ~0.2 ms).
    expect(Math.abs(delays.reduce((s, d) => s + d, 0) / delays.length - 5)).toBeLessThan(1.5);
    // Seeded: the same seed gives the same answers, byte for byte.
    expect(JSON.stringify([...(await run({ ms: 10, seed: 7, completions: true })).values()])).toBe(JSON.stringify([...both.values()]));
  });

  it('is off unless asked for: without `completions` the arrival jitter moves arrivals only', async () => {
    const a = await run({ ms: 10, seed: 7 });
    const b = await run({ ms: 10, seed: 7, completions: false });
    expect(JSON.stringify([...b.values()])).toBe(JSON.stringify([...a.values()]));
  });
});
