import { describe, expect, it } from 'vitest';
import { seededRandom } from '../router/core/random.js';
import { createArrivals, gamma } from '../simulator/arrivals.js';
import { loadTrace, parseTrace, TRACE_FILES, traceTotals } from '../simulator/trace.js';
import { createWorkload, type WorkloadSpec } from '../simulator/workload.js';
import { MAX_DURATION_S, type SimRequest } from '../simulator/types.js';

const corpus = [
  { text: 'Write a function that reverses a list.', label: 'coding' },
  { text: 'What is 17 * 23?', label: 'math' },
  { text: 'Tell me about Paris.', label: 'general' },
];

function all(spec: WorkloadSpec, seed = 1): SimRequest[] {
  return [...createWorkload(spec, seed, { corpus })];
}

/** Arrival gaps (s) of a process, for rate and burstiness checks. */
function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => (t - times[i]!) / 1000);
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const cv2 = (xs: number[]): number => {
  const m = mean(xs);
  return mean(xs.map((x) => (x - m) ** 2)) / (m * m);
};

describe('arrival processes', () => {
  it('constant: exactly rate per second, evenly spaced', () => {
    const a = createArrivals({ process: 'constant', rate: 4 }, seededRandom(1));
    expect([a.next(), a.next(), a.next()]).toEqual([0, 250, 500]);
  });

  it('Poisson: mean rate within 3% and CV² ≈ 1 (seed 1, 20,000 arrivals)', () => {
    const a = createArrivals({ process: 'poisson', rate: 50 }, seededRandom(1));
    const t = Array.from({ length: 20_000 }, () => a.next());
    const g = gaps(t);
    expect(Math.abs(1 / mean(g) - 50) / 50).toBeLessThan(0.03);
    expect(Math.abs(cv2(g) - 1)).toBeLessThan(0.06);
  });

  it('Gamma k: mean rate within 3%, CV² ≈ 1/k within 10% (bursty for k < 1)', () => {
    for (const k of [0.25, 4]) {
      const a = createArrivals({ process: 'gamma', rate: 50, shape: k }, seededRandom(2));
      const g = gaps(Array.from({ length: 40_000 }, () => a.next()));
      expect(Math.abs(1 / mean(g) - 50) / 50).toBeLessThan(0.03);
      expect(Math.abs(cv2(g) - 1 / k) / (1 / k)).toBeLessThan(0.1);
    }
    // Marsaglia–Tsang sample mean of Gamma(k, 1) is k.
    const r = seededRandom(3);
    expect(Math.abs(mean(Array.from({ length: 20_000 }, () => gamma(r, 2.5))) - 2.5)).toBeLessThan(0.05);
  });

  it('spike: rate x multiplier inside the flash crowd only (within 5%)', () => {
    const reqs = all({ arrivals: 'spike', rate: 100, durationS: 30, phases: [{ startS: 10, endS: 20, multiplier: 5 }] });
    const inSpike = reqs.filter((r) => r.arrivalMs >= 10_000 && r.arrivalMs < 20_000).length / 10;
    const outside = reqs.filter((r) => r.arrivalMs < 10_000 || r.arrivalMs >= 20_000).length / 20;
    expect(Math.abs(inSpike - 500) / 500).toBeLessThan(0.05);
    expect(Math.abs(outside - 100) / 100).toBeLessThan(0.05);
  });

  it('ramp: the rate grows linearly (expected count = ∫ rate, within 4%)', () => {
    // rate 50 → 250 over [0, 20): ∫ = 20 · 150 = 3000; then 250/s for 10 s = 2500.
    const reqs = all({ arrivals: 'ramp', rate: 50, durationS: 30, ramp: { startS: 0, endS: 20, toMultiplier: 5 } });
    const ramp = reqs.filter((r) => r.arrivalMs < 20_000).length;
    const flat = reqs.length - ramp;
    expect(Math.abs(ramp - 3000) / 3000).toBeLessThan(0.04);
    expect(Math.abs(flat - 2500) / 2500).toBeLessThan(0.04);
    const firstHalf = reqs.filter((r) => r.arrivalMs < 10_000).length; // ∫0..10 = 10·100 = 1000
    expect(Math.abs(firstHalf - 1000) / 1000).toBeLessThan(0.06);
  });
});

describe('workload generator', () => {
  const spec: WorkloadSpec = {
    arrivals: 'poisson',
    rate: 200,
    durationS: 20,
    stream: 0.25,
    sessions: 500,
    mix: [
      { class: 'coding', weight: 3, inputTokens: { median: 800, sigma: 0.5 }, outputTokens: { median: 300, max: 1000 } },
      { class: 'math', weight: 1, inputTokens: 100, outputTokens: { median: 200, min: 10 } },
    ],
  };

  it('same seed → the identical sequence; another seed → another', () => {
    expect(JSON.stringify(all(spec, 3))).toBe(JSON.stringify(all(spec, 3)));
    expect(JSON.stringify(all(spec, 4))).not.toBe(JSON.stringify(all(spec, 3)));
  });

  it('arrivals and mix come from separate streams: changing token lengths keeps the arrival times and classes', () => {
    const other = { ...spec, mix: spec.mix!.map((m) => ({ ...m, outputTokens: 5 })) };
    const a = all(spec);
    const b = all(other);
    expect(b.map((r) => r.arrivalMs)).toEqual(a.map((r) => r.arrivalMs));
    expect(b.map((r) => `${r.promptClass}|${r.sessionKey}|${r.stream}|${r.inputTokens}`)).toEqual(
      a.map((r) => `${r.promptClass}|${r.sessionKey}|${r.stream}|${r.inputTokens}`),
    );
  });

  it('class shares, stream share, token clamps, prompt text per class and Zipf sessions', () => {
    const reqs = all(spec);
    const coding = reqs.filter((r) => r.promptClass === 'coding');
    expect(Math.abs(coding.length / reqs.length - 0.75)).toBeLessThan(0.02);
    expect(Math.abs(reqs.filter((r) => r.stream).length / reqs.length - 0.25)).toBeLessThan(0.02);
    expect(coding.every((r) => r.outputTokens >= 1 && r.outputTokens <= 1000)).toBe(true);
    expect(reqs.filter((r) => r.promptClass === 'math').every((r) => r.inputTokens === 100 && r.outputTokens >= 10)).toBe(true);
    expect(coding.every((r) => r.prompt === corpus[0]!.text)).toBe(true);
    // Zipf s = 1 over 500 keys: P(rank 1) = 1 / H_500 ≈ 0.147.
    const top = reqs.filter((r) => r.sessionKey === 'session-1').length / reqs.length;
    expect(Math.abs(top - 0.147)).toBeLessThan(0.015);
    expect(reqs.map((r) => r.id)).toEqual(reqs.map((_, i) => i));
  });

  it('is lazy: next() hands out one request at a time and honours maxRequests', () => {
    const w = createWorkload({ ...spec, durationS: MAX_DURATION_S, maxRequests: 1_000_000 }, 1, { corpus });
    let n = 0;
    let last = -1;
    let ordered = true;
    for (let r = w.next(); r !== undefined && n < 50_000; r = w.next()) {
      if (r.arrivalMs < last) ordered = false;
      last = r.arrivalMs;
      n++;
    }
    expect(n).toBe(50_000);
    expect(ordered).toBe(true);
    expect(all({ ...spec, maxRequests: 7 })).toHaveLength(7);
  });

  it('bad specs name the field', () => {
    expect(() => all({ ...spec, rate: -1 })).toThrow(/workload\.rate/);
    expect(() => all({ ...spec, arrivals: 'gamma' })).toThrow(/workload\.shape/);
    expect(() => all({ ...spec, arrivals: 'spike' })).toThrow(/workload\.phases/);
    expect(() => all({ ...spec, stream: 2 })).toThrow(/workload\.stream/);
    expect(() => all({ ...spec, mix: [{ class: 'x', inputTokens: { median: -3 }, outputTokens: 1 }] })).toThrow(
      /workload\.mix\[0\]\.inputTokens\.median/,
    );
  });
});

describe('trace replay', () => {
  it('Azure code trace: request count and token totals reproduced exactly, time compressed by speed', () => {
    const trace = loadTrace(TRACE_FILES.azureCode);
    const totals = traceTotals(trace);
    expect(totals).toEqual({ count: 8819, inputTokens: 18_059_974, outputTokens: 245_896 });
    const reqs = all({ arrivals: 'trace', trace: { file: TRACE_FILES.azureCode, speed: 10 }, durationS: MAX_DURATION_S });
    expect(reqs.length).toBe(totals.count);
    expect(reqs.reduce((s, r) => s + r.inputTokens, 0)).toBe(totals.inputTokens);
    expect(reqs.reduce((s, r) => s + r.outputTokens, 0)).toBe(totals.outputTokens);
    expect(reqs[reqs.length - 1]!.arrivalMs).toBeCloseTo(trace.arrivalMs[trace.count - 1]! / 10, 6);
    // 2023-11-16 18:17:03.9799600 → 18:17:04.0319600 = 52 ms, /10
    expect(reqs[1]!.arrivalMs).toBeCloseTo(5.2, 6);
  });

  it('Mooncake trace: count and totals exactly; durationS and offsetS cut the window', () => {
    const trace = loadTrace(TRACE_FILES.mooncake);
    const totals = traceTotals(trace);
    expect(totals.count).toBe(3993);
    const reqs = all({ arrivals: 'trace', trace: { file: TRACE_FILES.mooncake, format: 'mooncake' }, durationS: MAX_DURATION_S });
    expect(reqs.length).toBe(totals.count);
    expect(reqs.reduce((s, r) => s + r.inputTokens, 0)).toBe(totals.inputTokens);
    expect(reqs.reduce((s, r) => s + r.outputTokens, 0)).toBe(totals.outputTokens);
    const cut = all({ arrivals: 'trace', trace: { file: TRACE_FILES.mooncake, offsetS: 100 }, durationS: 60 });
    const expected = Array.from(trace.arrivalMs).filter((t) => t >= 100_000 && t < 160_000).length;
    expect(cut.length).toBe(expected);
  });

  it('malformed rows are errors naming the file and line', () => {
    const csv = 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,4808,10\n2023-11-16 18:17:04.0,12\n';
    expect(() => parseTrace(csv, 'x.csv', 'azure')).toThrow(/x\.csv:3: expected 3 comma-separated fields/);
    const badNum = 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9,abc,10\n';
    expect(() => parseTrace(badNum, 'y.csv')).toThrow(/y\.csv:2: ContextTokens must be a non-negative integer/);
    expect(() => parseTrace('when,a,b\n', 'h.csv')).toThrow(/h\.csv:1: expected the header/);
    const jsonl = '{"timestamp": 0, "input_length": 5, "output_length": 1}\n{"timestamp": 3, "input_length": 5\n';
    expect(() => parseTrace(jsonl, 'm.jsonl')).toThrow(/m\.jsonl:2: invalid JSON/);
    expect(() => parseTrace('{"timestamp": -1, "input_length": 5, "output_length": 1}\n', 'n.jsonl')).toThrow(/n\.jsonl:1: timestamp/);
    expect(() => loadTrace('data/traces/nope.csv')).toThrow(/data\/traces\/nope\.csv: cannot read/);
  });
});
