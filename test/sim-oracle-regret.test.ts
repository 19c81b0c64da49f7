import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerStrategy } from '../router/core/strategy.js';
import { bestOutcome } from '../simulator/oracle.js';
import { parseProfile, type ProviderProfile } from '../simulator/profile.js';
import { runSim, type SimRunInput } from '../simulator/run.js';
import type { ProviderOutcome } from '../simulator/types.js';

function profile(id: string, ttftMs: number, tps: number, price: { input: number; output: number }): ProviderProfile {
  return parseProfile(
    {
      id,
      model: 'm',
      ttft: { medianMs: ttftMs, sigma: 0.6 },
      throughput: { tokensPerSecond: tps, jitter: 0.3 },
      capacity: { maxConcurrent: 30, queue: 500, fullStatus: 429, slowdown: 1.5 },
      // No 429/503 kinds: cooldowns would hide endpoints from the oracle follower.
      failures: { baseErrorRate: 0.08, kinds: { http_500: 2, reset: 1, refused: 1, stream_cut: 1, malformed: 1 } },
      price,
      quality: { coding: 0.8, math: 0.8, reasoning: 0.8, writing: 0.8, general: 0.8 },
    },
    `test profile ${id}`,
  );
}

const PROFILES = [
  profile('cheap-slow', 900, 30, { input: 0.1, output: 0.4 }),
  profile('mid', 500, 60, { input: 0.5, output: 1.5 }),
  profile('pricey-fast', 250, 120, { input: 3, output: 12 }),
];

function input(strategy: string, extra: Partial<SimRunInput> = {}): SimRunInput {
  return {
    router: {
      endpoints: PROFILES.map((p) => ({ id: p.id, provider: p.id, model: 'chat', price: p.price })),
      strategy,
      timeouts: { ttftMs: 60_000, totalMs: 120_000 },
    },
    providers: PROFILES.map((p) => ({ id: p.id, profile: p })),
    workload: {
      arrivals: 'poisson',
      rate: 25,
      durationS: 30,
      stream: 0.3,
      mix: [{ class: 'general', inputTokens: { median: 400, sigma: 0.6 }, outputTokens: { median: 80, sigma: 0.7 } }],
    },
    seed: 21,
    oracle: { sloMs: 2500 },
    ...extra,
  };
}

const ok = (totalMs: number, costUsd: number): ProviderOutcome => ({
  kind: 'ok', status: 200, ttftMs: totalMs / 4, totalMs, inputTokens: 1, outputTokens: 1, acceptable: true, costUsd,
});
const failed = (totalMs: number): ProviderOutcome => ({
  kind: 'http_error', status: 500, ttftMs: totalMs, totalMs, inputTokens: 1, outputTokens: 0, acceptable: false, costUsd: 0,
});

describe('oracle choice', () => {
  it('cheapest success within the SLO; else the fastest success; else the fastest failure', () => {
    expect(bestOutcome([ok(3000, 0.001), ok(900, 0.004), ok(1200, 0.002)], { sloMs: 2000 }).index).toBe(2);
    expect(bestOutcome([ok(3000, 0.001), ok(2500, 0.004), failed(5)], { sloMs: 2000 })).toMatchObject({ index: 1, ok: true });
    expect(bestOutcome([failed(30), failed(5)], { sloMs: 2000 })).toMatchObject({ index: 1, ok: false, costUsd: 0, latencyMs: 5 });
  });
});

describe('regret', () => {
  it('is >= 0 for every strategy, and > 0 in cost for the ones that ignore price', async () => {
    for (const s of ['round-robin', 'random', 'least-connections', 'latency', 'cost', 'weighted', 'priority']) {
      const r = await runSim(input(s));
      const g = r.result.regret!;
      expect(g.costUsd, s).toBeGreaterThanOrEqual(0);
      expect(g.p99Ms, s).toBeGreaterThanOrEqual(0);
      expect(g.errors, s).toBeGreaterThanOrEqual(0);
      expect(r.oracle!.oracle.requests, s).toBe(r.result.summary.requests);
      if (s === 'round-robin' || s === 'latency') expect(g.costUsd, s).toBeGreaterThan(0);
    }
  });

  it('is exactly 0 for a strategy that follows the oracle', async () => {
    // The follower reads the oracle's choice for the request being routed (filled at arrival).
    const choice = new Map<string, string>();
    registerStrategy({
      name: 'test-oracle-follower',
      optimises: 'hindsight objective (test only)',
      needs: 'the oracle',
      params: z.object({}),
      create: () => ({
        name: 'test-oracle-follower',
        pick(candidates, request) {
          const want = choice.get(request.id!);
          const i = candidates.findIndex((c) => c.endpoint.id === want);
          return { index: i >= 0 ? i : 0, reason: i >= 0 ? 'oracle' : 'fallback' };
        },
      }),
    });
    let misses = 0;
    const r = await runSim(
      input('test-oracle-follower', {
        router: {
          endpoints: PROFILES.map((p) => ({ id: p.id, provider: p.id, model: 'chat', price: p.price })),
          strategy: 'test-oracle-follower',
          timeouts: { ttftMs: 60_000, totalMs: 120_000 },
          retry: { maxAttempts: 1 },
          health: { consecutiveFailures: 100_000, errorRate: { threshold: 1, minRequests: 100_000 } },
        },
        onArrival: (req, c) => {
          if (c?.providerId) choice.set(String(req.id), c.providerId);
          else misses++;
        },
        onRequest: (o) => choice.delete(String(o.id)),
      }),
    );
    expect(misses).toBe(0);
    expect(r.result.summary.requests).toBeGreaterThan(600);
    expect(r.result.regret).toEqual({ costUsd: 0, p99Ms: 0, errors: 0 });
    expect(r.oracle!.signed.errors).toBe(0);
    expect(Math.abs(r.oracle!.signed.costUsd)).toBeLessThan(1e-12);
  });
});
