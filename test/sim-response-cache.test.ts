import { describe, expect, it } from 'vitest';
import { parseProfile } from '../simulator/profile.js';
import { runSim, type RequestOutcome, type SimRunInput } from '../simulator/run.js';
import { createWorkload, type WorkloadSpec } from '../simulator/workload.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

/**
 * The response cache in virtual time (simulator/run.ts `responseCache`) and the workload's
 * repeated questions (simulator/workload.ts `faq`). Fixed seeds; tolerances stated inline.
 */
const spec = (faq?: WorkloadSpec['faq']): WorkloadSpec => ({
  arrivals: 'poisson',
  rate: 20,
  durationS: 30,
  stream: 0.3,
  mix: [{ class: 'general', inputTokens: { median: 200 }, outputTokens: { median: 40, sigma: 0.3 } }],
  ...(faq ? { faq } : {}),
});

describe('workload: repeated questions (faq)', () => {
  it('leaves every other request exactly as without faq; a question is always the same non-streamed request', () => {
    const plain = [...createWorkload(spec(), 7)];
    const withFaq = [...createWorkload(spec({ share: 0.4, questions: 50 }), 7)];
    expect(withFaq).toHaveLength(plain.length);
    const faq = withFaq.filter((r) => r.faq !== undefined);
    // 600 requests at share 0.4: binomial sd ~0.02, so within 0.06 (3 sd).
    expect(Math.abs(faq.length / withFaq.length - 0.4)).toBeLessThan(0.06);
    withFaq.forEach((r, i) => {
      if (r.faq === undefined) expect(r).toEqual(plain[i]);
      else expect([r.arrivalMs, r.sessionKey, r.stream]).toEqual([plain[i]!.arrivalMs, plain[i]!.sessionKey, false]);
    });
    const byQ = new Map<number, string>();
    for (const r of faq) {
      const k = JSON.stringify([r.prompt, r.inputTokens, r.outputTokens, r.promptClass]);
      expect(byQ.get(r.faq!) ?? k).toBe(k);
      byQ.set(r.faq!, k);
    }
    expect(new Set(byQ.values()).size).toBe(byQ.size); // distinct questions never look alike
    // Zipf (s = 1): question 0 is asked most.
    const count = (q: number) => faq.filter((r) => r.faq === q).length;
    expect(count(0)).toBeGreaterThan(count(10));
  });

  it('rejects a bad faq block, naming the field', () => {
    expect(() => createWorkload(spec({ share: 1.5, questions: 10 }), 1)).toThrow(/workload\.faq\.share/);
    expect(() => createWorkload(spec({ share: 0.5, questions: 0 }), 1)).toThrow(/workload\.faq\.questions/);
  });
});

async function run(cache: SimRunInput['responseCache'], replicas?: SimRunInput['replicas']) {
  const out: RequestOutcome[] = [];
  const fast = { ...noFail, ttft: { medianMs: 200, sigma: 0.2 }, capacity: { maxConcurrent: 500, queue: 500 } };
  const { result } = await runSim({
    router: { endpoints: [{ id: 'a', provider: 'a', model: 'm' }, { id: 'b', provider: 'b', model: 'm' }], strategy: 'round-robin' },
    providers: [
      { id: 'a', profile: parseProfile(baseProfile({ id: 'a', ...fast }), 'a') },
      { id: 'b', profile: parseProfile(baseProfile({ id: 'b', ...fast }), 'b') },
    ],
    workload: spec({ share: 0.5, questions: 20 }),
    seed: 3,
    ...(cache ? { responseCache: cache } : {}),
    ...(replicas ? { replicas } : {}),
    onRequest: (o) => out.push(o),
  });
  return { s: result.summary, out };
}

describe('sim: response cache', () => {
  it('a repeated question asked again within the TTL is answered at once, unbilled; the saving is what the misses paid', async () => {
    const off = await run(undefined);
    const on = await run({ ttlMs: 300_000, shared: false });
    expect(off.s.responseCacheHits).toBeUndefined();
    const hits = on.out.filter((o) => o.attempts === 0);
    expect(on.s.responseCacheHits).toBe(hits.length);
    // ~300 faq requests over 20 questions: all but each question's first asks (and those
    // asked while the first is still in flight) hit, so well over 200 hits.
    expect(hits.length).toBeGreaterThan(200);
    expect(hits.every((o) => o.ok && o.latencyMs === 0 && o.costUsd === 0)).toBe(true);
    expect(on.s.responseCacheHitRate).toBeCloseTo(hits.length / on.s.requests, 12);
    // Same traffic, same draws: the cost with the cache is the cost without, less roughly what the hits saved
    // (routing differs after the first hit, so only within 15%).
    expect(on.s.costUsd).toBeLessThan(off.s.costUsd);
    expect(Math.abs(off.s.costUsd - on.s.costUsd - on.s.responseCacheSavedUsd!) / on.s.responseCacheSavedUsd!).toBeLessThan(0.15);
  });

  it('a short TTL: entries expire (fewer hits); per-replica caches miss where one shared cache hits', async () => {
    const long = await run({ ttlMs: 300_000, shared: false });
    const short = await run({ ttlMs: 500, shared: false });
    expect(short.s.responseCacheHits!).toBeLessThan(long.s.responseCacheHits! / 2);
    const local = await run({ ttlMs: 300_000, shared: false }, { count: 4, mode: 'local', syncDelayMs: 100 });
    const shared = await run({ ttlMs: 300_000, shared: true }, { count: 4, mode: 'shared', syncDelayMs: 100 });
    // 20 questions, 4 replicas: each local cache pays its own first ask of each question (up to 60 more misses).
    expect(shared.s.responseCacheHits!).toBeGreaterThan(local.s.responseCacheHits!);
  });

  it('is deterministic: same seed, same outcomes', async () => {
    const a = await run({ ttlMs: 300_000, shared: false });
    const b = await run({ ttlMs: 300_000, shared: false });
    expect(JSON.stringify(a.out)).toBe(JSON.stringify(b.out));
  });
});
