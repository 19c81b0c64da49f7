/** Lognormal mixtures: the EM fit, the BIC choice, and the profile model sampling them (fixed seeds, stated tolerances). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrate } from '../simulator/calibrate/calibrate.js';
import { seededRandom, type Random } from '../router/core/random.js';
import { fitLognormalMixture, modelCdf, modelQuantile, selectLognormal } from '../simulator/calibrate/mixture.js';
import { fitJoint, jointIfBetter } from '../simulator/calibrate/joint.js';
import { ksCritical, ksOneSample } from '../simulator/calibrate/stats.js';
import { createProviderModel } from '../simulator/model.js';
import { parseProfile } from '../simulator/profile.js';
import type { SimRequest } from '../simulator/types.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

function normal(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

/** n draws of w·LN(ln m1, s1) + (1 − w)·LN(ln m2, s2). */
function twoModes(seed: number, n: number, w: number, m1: number, s1: number, m2: number, s2: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => (r.next() < w ? m1 * Math.exp(s1 * normal(r)) : m2 * Math.exp(s2 * normal(r))));
}

const req = (id: number, outputTokens = 100): SimRequest => ({ id, arrivalMs: 0, promptClass: 'general', prompt: '', inputTokens: 10, outputTokens, stream: true, sessionKey: '' });

describe('lognormal mixture (EM + BIC)', () => {
  it('recovers two known components from 2,000 seeded draws: weights within 0.03, medians within 5%, sigmas within 10%', () => {
    const xs = twoModes(21, 2000, 0.3, 1000, 0.1, 5000, 0.3);
    const m = selectLognormal(xs, { maxComponents: 3, shift: true });
    expect(m.kind).toBe('mixture');
    expect(m.components).toHaveLength(2);
    const [a, b] = m.components;
    expect(Math.abs(a!.weight - 0.3)).toBeLessThan(0.03);
    expect(Math.abs(Math.exp(a!.mu) / 1000 - 1)).toBeLessThan(0.05);
    expect(Math.abs(a!.sigma / 0.1 - 1)).toBeLessThan(0.1);
    expect(Math.abs(Math.exp(b!.mu) / 5000 - 1)).toBeLessThan(0.05);
    expect(Math.abs(b!.sigma / 0.3 - 1)).toBeLessThan(0.1);
    // The mixture passes KS against its own sample; the single lognormal does not.
    expect(ksOneSample(xs, (x) => modelCdf(m, x))).toBeLessThan(ksCritical(xs.length));
    const one = fitLognormalMixture(xs, 1)!;
    expect(ksOneSample(xs, (x) => modelCdf(one, x))).toBeGreaterThan(ksCritical(xs.length));
    expect(m.bic).toBeLessThan(one.bic);
  });

  it('BIC keeps one component on unimodal lognormal data (5 seeds of 300 draws each)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = seededRandom(100 + seed);
      const xs = Array.from({ length: 300 }, () => 400 * Math.exp(0.5 * normal(r)));
      const m = selectLognormal(xs, { maxComponents: 3, shift: false });
      expect(m.kind, `seed ${seed}`).toBe('lognormal');
      expect(m.components).toHaveLength(1);
      expect(Math.abs(Math.exp(m.components[0]!.mu) / 400 - 1)).toBeLessThan(0.1);
    }
  });

  it('refuses components too small to estimate, and maxComponents 1 means no mixture', () => {
    expect(fitLognormalMixture([1, 2, 3, 4, 5], 2)).toBeNull();
    const xs = twoModes(22, 500, 0.5, 100, 0.1, 1000, 0.1);
    expect(selectLognormal(xs, { maxComponents: 1, shift: false }).kind).toBe('lognormal');
  });

  it('quantile inverts the CDF', () => {
    const m = selectLognormal(twoModes(23, 1000, 0.4, 300, 0.2, 900, 0.15), { maxComponents: 2, shift: false });
    for (const p of [0.01, 0.25, 0.4, 0.5, 0.9, 0.999]) expect(modelCdf(m, modelQuantile(m, p))).toBeCloseTo(p, 6);
  });
});

describe('profile model with mixtures', () => {
  const profile = parseProfile(
    baseProfile({
      ...noFail,
      capacity: { maxConcurrent: 1000, queue: 0, slowdown: 0 },
      ttft: { medianMs: 500, sigma: 1, mixture: [{ weight: 1, medianMs: 100, sigma: 0.05 }, { weight: 3, medianMs: 2000, sigma: 0.05 }] },
      throughput: { tokensPerSecond: 50, jitter: 0, mixture: [{ weight: 1, tokensPerSecond: 100, jitter: 0 }, { weight: 1, tokensPerSecond: 25, jitter: 0 }] },
    }),
    'mixture profile',
  );

  it('draws each TTFT component with its weight (1:3, within 3 binomial sd over 4,000 requests) and decode speeds from theirs', () => {
    const m = createProviderModel(profile, 7);
    const n = 4000;
    let low = 0;
    let fast = 0;
    for (let id = 0; id < n; id++) {
      const o = m.outcome(req(id), 0, 0);
      expect(o.kind).toBe('ok');
      const ttft = o.ttftMs;
      expect(ttft < 200 || ttft > 1000).toBe(true); // never between the modes (σ = 0.05)
      if (ttft < 200) low++;
      const perToken = (o.totalMs - o.ttftMs) / 100;
      expect([10, 40].some((v) => Math.abs(perToken - v) < 1e-9)).toBe(true);
      if (perToken < 20) fast++;
    }
    const sd = (p: number): number => 3 * Math.sqrt(p * (1 - p) * n);
    expect(Math.abs(low - 0.25 * n)).toBeLessThan(sd(0.25));
    expect(Math.abs(fast - 0.5 * n)).toBeLessThan(sd(0.5));
  });

  it('is deterministic: same seed, same request → same outcome; another seed differs', () => {
    const a = createProviderModel(profile, 7);
    const b = createProviderModel(profile, 7);
    const c = createProviderModel(profile, 8);
    const xs = Array.from({ length: 50 }, (_, id) => a.outcome(req(id), 0, 0));
    expect(Array.from({ length: 50 }, (_, id) => b.outcome(req(id), 0, 0))).toEqual(xs);
    expect(Array.from({ length: 50 }, (_, id) => c.outcome(req(id), 0, 0))).not.toEqual(xs);
  });

  it('the schema rejects an empty mixture, |rho| > 1 and non-positive weights, naming the field', () => {
    expect(() => parseProfile(baseProfile({ ttft: { medianMs: 1, sigma: 0, mixture: [] } }), 'x.yaml')).toThrow(/x\.yaml: ttft\.mixture/);
    expect(() => parseProfile(baseProfile({ ttft: { medianMs: 1, sigma: 0, mixture: [{ weight: 1, medianMs: 1, sigma: 0, tokensPerSecond: 5, rho: 1.5 }] } }), 'z.yaml')).toThrow(
      /z\.yaml: ttft\.mixture\.0\.rho/,
    );
    expect(() =>
      parseProfile(baseProfile({ throughput: { tokensPerSecond: 1, jitter: 0, mixture: [{ weight: 0, tokensPerSecond: 1, jitter: 0 }, { weight: 1, tokensPerSecond: 2, jitter: 0 }] } }), 'y.yaml'),
    ).toThrow(/y\.yaml: throughput\.mixture\.0\.weight/);
  });
});

/** n pairs (ttft, ms per token) with ln-correlation rho: medians 1000 ms and 20 ms, log-sds 0.3 and 0.1. */
function pairs(seed: number, n: number, rho: number): { t: number[]; d: number[] } {
  const r = seededRandom(seed);
  const t: number[] = [];
  const d: number[] = [];
  for (let i = 0; i < n; i++) {
    const z1 = normal(r);
    const z2 = rho * z1 + Math.sqrt(1 - rho * rho) * normal(r);
    t.push(1000 * Math.exp(0.3 * z1));
    d.push(20 * Math.exp(0.1 * z2));
  }
  return { t, d };
}

const corr = (a: readonly number[], b: readonly number[]): number => {
  const la = a.map(Math.log);
  const lb = b.map(Math.log);
  const ma = la.reduce((x, y) => x + y, 0) / la.length;
  const mb = lb.reduce((x, y) => x + y, 0) / lb.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < la.length; i++) {
    sab += (la[i]! - ma) * (lb[i]! - mb);
    saa += (la[i]! - ma) ** 2;
    sbb += (lb[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
};

describe('joint TTFT × decode speed', () => {
  it('recovers a correlation of −0.7 (within 0.05) from 500 seeded pairs, and BIC prefers it to independent fits', () => {
    const { t, d } = pairs(31, 500, -0.7);
    const one = fitJoint(t, d, 1)!;
    expect(Math.abs(one.components[0]!.rho + 0.7)).toBeLessThan(0.05);
    expect(Math.abs(Math.exp(one.components[0]!.mu1) / 1000 - 1)).toBeLessThan(0.05);
    expect(Math.abs(one.components[0]!.s2 / 0.1 - 1)).toBeLessThan(0.1);
    expect(jointIfBetter(t, d, { maxComponents: 2, shift: true })).not.toBeNull();
  });

  it('keeps independent fits when the two are independent (3 seeds of 300 pairs)', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const { t, d } = pairs(40 + seed, 300, 0);
      expect(jointIfBetter(t, d, { maxComponents: 2, shift: true }), `seed ${seed}`).toBeNull();
    }
  });

  it('the model samples a joint component with its correlation (within 0.05 over 4,000 requests)', () => {
    const p = parseProfile(
      baseProfile({
        ...noFail,
        capacity: { maxConcurrent: 1000, queue: 0, slowdown: 0 },
        ttft: { medianMs: 1000, sigma: 0.3, mixture: [{ weight: 1, medianMs: 1000, sigma: 0.3, tokensPerSecond: 50, jitter: 0.1, rho: -0.7 }] },
      }),
      'joint',
    );
    const m = createProviderModel(p, 9);
    const os = Array.from({ length: 4000 }, (_, id) => m.outcome(req(id), 0, 0));
    const r = corr(
      os.map((o) => o.ttftMs),
      os.map((o) => (o.totalMs - o.ttftMs) / 100),
    );
    expect(Math.abs(r + 0.7)).toBeLessThan(0.05);
  });
});

describe('backward compatibility and the whole calibrate path', () => {
  it('a one-component ttft.mixture equal to (medianMs, sigma) gives byte-identical outcomes to the plain profile (2,000 requests, failures on)', () => {
    const plain = parseProfile(baseProfile({ ttft: { medianMs: 400, sigma: 0.5, shiftMs: 30 } }), 'plain');
    const one = parseProfile(baseProfile({ ttft: { medianMs: 400, sigma: 0.5, shiftMs: 30, mixture: [{ weight: 1, medianMs: 400, sigma: 0.5 }] } }), 'one component');
    const a = createProviderModel(plain, 11);
    const b = createProviderModel(one, 11);
    const outs = (m: typeof a): string => JSON.stringify(Array.from({ length: 2000 }, (_, id) => m.outcome(req(id, 1 + (id % 300)), id * 10, id % 7)));
    const x = outs(a);
    expect(x).toContain('"kind":"http_error"'); // failures drawn too: their draws are not shifted either
    expect(outs(b)).toBe(x);
  });

  it('calibrate on a bimodal synthetic LLMPerf file (300 requests, seed 1) picks K = 2 for TTFT, one decode speed, and passes its own holdout', () => {
    const ttfts = twoModes(41, 300, 0.3, 1000, 0.1, 5000, 0.25);
    const r = seededRandom(42);
    const rows = ttfts.map((t) => {
      const out = 150;
      const e2e = t + out * 20 * Math.exp(0.05 * normal(r));
      return { error_code: null, error_msg: '', ttft_s: t / 1000, end_to_end_latency_s: e2e / 1000, inter_token_latency_s: (e2e - t) / out / 1000, number_input_tokens: 550, number_output_tokens: out };
    });
    const file = join(mkdtempSync(join(tmpdir(), 'cal-bimodal-')), 'bimodal.json');
    writeFileSync(file, JSON.stringify(rows));
    const res = calibrate([file], { holdout: 0.5, seed: 1 });
    const g = res.groups[0]!;
    const mix = g.fit.profile.ttft.mixture!;
    expect(mix).toHaveLength(2);
    const [lo, hi] = [...mix].sort((p, q) => p.medianMs - q.medianMs);
    expect(Math.abs(lo!.weight / (lo!.weight + hi!.weight) - 0.3)).toBeLessThan(0.1); // 150 fitted draws: binomial sd 0.037
    expect(Math.abs(lo!.medianMs / 1000 - 1)).toBeLessThan(0.05);
    expect(Math.abs(hi!.medianMs / 5000 - 1)).toBeLessThan(0.1);
    expect(g.fit.profile.throughput.mixture).toBeUndefined();
    expect(g.holdout!.ttft!.pass).toBe(true);
    expect(g.holdout!.e2e!.pass).toBe(true);
  });
});

