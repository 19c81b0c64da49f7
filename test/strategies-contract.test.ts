/**
 * One contract every registered strategy passes (hono's common.case.test.ts idea): it
 * iterates strategyNames(), so a newly registered strategy is covered without edits.
 */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { ManualClock } from '../router/core/clock.js';
import { RouterError, isRouterError } from '../router/core/errors.js';
import { createRouter } from '../router/index.js';
import { seededRandom } from '../router/core/random.js';
import { createStrategy, strategyDefinitions, strategyNames } from '../router/core/strategy.js';
import type { Candidate, RouteRequest, Transport } from '../router/core/types.js';
import { EJECTED, cand, makeCtx } from './helpers/candidates.js';

const PROMPTS = ['write a python function to sort a list', 'what is 17 * 23?', 'write a poem about autumn', 'hello there'];
const CLASSES = ['coding', 'math', 'writing', 'general'];

/** A deterministic stream of varied snapshots and requests. */
function scenario(seed: number): Array<{ candidates: Candidate[]; request: RouteRequest; dt: number }> {
  const r = seededRandom(`snapshots-${seed}`);
  const out: Array<{ candidates: Candidate[]; request: RouteRequest; dt: number }> = [];
  for (let k = 0; k < 1000; k++) {
    const candidates: Candidate[] = [];
    for (let i = 0; i < 6; i++) {
      if (r.next() < 0.25) continue; // varied subsets
      const tried = r.next() < 0.8;
      const lat = 50 + r.next() * 500;
      candidates.push(
        cand(`p${i}/m`, {
          endpoint: {
            weight: 1 + Math.floor(r.next() * 4),
            price: { input: 0.1 + r.next() * 10, output: 0.2 + r.next() * 30 },
            tier: Math.floor(r.next() * 3),
            priority: Math.floor(r.next() * 3),
            quality: { default: r.next(), coding: r.next() },
          },
          stats: {
            inFlight: Math.floor(r.next() * 8),
            latencyMs: tried ? lat : null,
            recentLatenciesMs: tried ? [lat, lat * 1.1, lat * 0.9] : [],
            successRate: tried ? 0.5 + r.next() / 2 : null,
            windowRequests: tried ? 20 : 0,
            lastFailureAt: r.next() < 0.3 ? k * 10 - Math.floor(r.next() * 60_000) : null,
          },
          health: { slowStart: r.next() < 0.1 ? 0.1 + r.next() * 0.9 : 1, ejections: Math.floor(r.next() * 2) },
        }),
      );
    }
    if (candidates.length === 0) candidates.push(cand('only/m'));
    const request: RouteRequest = {
      model: 'm',
      prompt: PROMPTS[k % PROMPTS.length]!,
      ...(r.next() < 0.5 ? { sessionKey: `user-${Math.floor(r.next() * 50)}` } : {}),
      ...(r.next() < 0.3 ? { promptClass: CLASSES[k % CLASSES.length]! } : {}),
      ...(r.next() < 0.3 ? { minTier: 1 + Math.floor(r.next() * 2) } : {}),
      ...(r.next() < 0.3 ? { maxPrice: 5 + r.next() * 10 } : {}),
    };
    out.push({ candidates, request, dt: Math.floor(r.next() * 200) });
  }
  return out;
}

const SCENARIO = scenario(1);

describe('strategy registry', () => {
  it('registers every required strategy', () => {
    const names = strategyNames();
    for (const n of [
      'round-robin',
      'weighted',
      'random',
      'weighted-random',
      'least-connections',
      'latency',
      'adaptive',
      'cost',
      'sticky',
      'priority',
      'score',
      'baseline-litellm-latency',
      'baseline-envoy-least-request',
      'baseline-openrouter-price',
    ])
      expect(names).toContain(n);
  });

  it('every definition has one-line optimises/needs for the README table', () => {
    for (const d of strategyDefinitions()) {
      expect(d.optimises.length, d.name).toBeGreaterThan(5);
      expect(d.needs.length, d.name).toBeGreaterThan(2);
      expect(d.optimises + d.needs, d.name).not.toMatch(/\n/);
    }
  });
});

describe.each(strategyNames())('contract: %s', (name) => {
  it('picks a valid index, and never an ejected endpoint while a healthy one exists', () => {
    const s = createStrategy(name);
    const ctx = makeCtx(3);
    const all = [
      cand('a/m', { health: EJECTED, stats: { latencyMs: 1, recentLatenciesMs: [1] }, endpoint: { price: { input: 0, output: 0 }, priority: -5 } }),
      cand('b/m', { stats: { latencyMs: 200, inFlight: 3, successRate: 0.9, windowRequests: 10 } }),
      cand('c/m', { health: { ...EJECTED, state: 'cooldown' }, endpoint: { weight: 100 } }),
      cand('d/m', { stats: { latencyMs: 100, successRate: 1, windowRequests: 10 }, endpoint: { weight: 2 } }),
      cand('e/m', { stats: { latencyMs: null } }),
    ];
    // Health before load: the router hands the strategy only the available endpoints.
    const available = all.filter((c) => c.health.available);
    for (let k = 0; k < 300; k++) {
      const request: RouteRequest = { model: 'm', prompt: PROMPTS[k % 4]!, ...(k % 2 ? { sessionKey: `k${k}` } : {}) };
      const p = s.pick(available, request, ctx);
      expect(Number.isInteger(p.index)).toBe(true);
      expect(p.index).toBeGreaterThanOrEqual(0);
      expect(p.index).toBeLessThan(available.length);
      expect(available[p.index]!.health.available).toBe(true);
      if (p.scores !== undefined) expect(p.scores).toHaveLength(available.length);
      ctx.now += 37;
    }
  });

  it('works with a single candidate', () => {
    const s = createStrategy(name);
    const p = s.pick([cand('solo/m')], { model: 'm', prompt: 'hi', sessionKey: 'k' }, makeCtx());
    expect(p.index).toBe(0);
  });

  it('throws RouterError no_candidates on an empty set', () => {
    const s = createStrategy(name);
    let err: unknown;
    try {
      s.pick([], { model: 'm', prompt: 'hi' }, makeCtx());
    } catch (e) {
      err = e;
    }
    expect(isRouterError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('no_candidates');
  });

  it('gives the same 1,000 picks for the same seed on varied snapshots', () => {
    const run = (seed: number): string[] => {
      const s = createStrategy(name);
      const ctx = makeCtx(seed);
      return SCENARIO.map(({ candidates, request, dt }) => {
        ctx.now += dt;
        return candidates[s.pick(candidates, request, ctx).index]!.endpoint.id;
      });
    };
    const a = run(42);
    expect(a).toHaveLength(1000);
    expect(run(42)).toEqual(a);
  });

  it('rejects garbage params with an error naming the field', () => {
    let err: unknown;
    try {
      createStrategy({ name, params: { bogusField: 1 } });
    } catch (e) {
      err = e;
    }
    expect(isRouterError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('invalid_config');
    expect((err as Error).message).toContain('bogusField');
    expect((err as Error).message).toContain(name);
  });
});

/**
 * The same promise end to end: through createRouter (health before load), once an endpoint
 * is ejected no strategy's selection returns it while healthy ones exist. The bad endpoint
 * is made as attractive as possible (free, top priority, heaviest) so every strategy tries it.
 */
describe.each(strategyNames())('contract through createRouter: %s', (name) => {
  it('never selects an ejected endpoint while a healthy one exists', async () => {
    const clock = new ManualClock();
    const transport: Transport = {
      send(ep) {
        if (ep.id === 'bad') return Promise.reject(new RouterError('connect_failed', 'refused', { endpointId: ep.id }));
        return Promise.resolve({ status: 200, headers: {}, body: { ok: true }, usage: { inputTokens: 10, outputTokens: 10 } });
      },
    };
    const router = createRouter(
      {
        endpoints: [
          { id: 'bad', provider: 'p0', model: 'm', weight: 10, priority: -1, tier: 3, price: { input: 0, output: 0 } },
          { id: 'a', provider: 'p1', model: 'm', price: { input: 1, output: 1 } },
          { id: 'b', provider: 'p2', model: 'm', price: { input: 2, output: 2 } },
        ],
        strategy: name,
        // Eject on the first failure: strategies that learn from errors (score, OpenRouter)
        // would otherwise stop picking it before the 5 consecutive failures ever happen.
        health: { consecutiveFailures: 1 },
      },
      { transport, clock, random: seededRandom(1) },
    );
    const ejected = (): boolean => router.candidates('m').find((c) => c.endpoint.id === 'bad')!.health.available === false;
    const req = (i: number): RouteRequest => ({ model: 'm', prompt: PROMPTS[i % 4]!, sessionKey: `user-${i}` });
    for (let i = 0; i < 500 && !ejected(); i++) await router.route(req(i));
    expect(ejected()).toBe(true);
    for (let i = 0; i < 300; i++) {
      const r = await router.route(req(1000 + i)); // the clock stands still: the ejection holds
      for (const p of r.trace.picks) expect(p.picked).not.toBe('bad');
      expect(r.endpoint.id).not.toBe('bad');
    }
    router.close();
  });
});
