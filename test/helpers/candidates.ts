/**
 * Builders for immutable Candidate snapshots, so strategy tests state only what matters
 * (a weight, an in-flight count) and everything else has a neutral default.
 */
import { seededRandom, type Random } from '../../router/core/random.js';
import type { PickContext, Strategy } from '../../router/core/strategy.js';
import type { Candidate, Endpoint, HealthSnapshot, RouteRequest, StatsSnapshot } from '../../router/core/types.js';

export function makeEndpoint(id: string, over: Partial<Endpoint> = {}): Endpoint {
  return Object.freeze({
    id,
    provider: id.split('/')[0] ?? id,
    model: 'm',
    upstreamModel: 'm',
    baseUrl: undefined,
    apiKeyEnv: undefined,
    weight: 1,
    price: { input: 1, output: 1 },
    tier: 1,
    quality: { default: 1 },
    classes: [],
    priority: 0,
    region: undefined,
    tags: [],
    contextWindow: undefined,
    limits: {},
    http2: false,
    ...over,
  });
}

export function makeStats(over: Partial<StatsSnapshot> = {}): StatsSnapshot {
  return Object.freeze({
    inFlight: 0,
    requests: 0,
    successes: 0,
    failures: 0,
    latencyMs: null,
    ttftMs: null,
    successRate: null,
    windowRequests: 0,
    consecutiveFailures: 0,
    recentLatenciesMs: [],
    lastFailureAt: null,
    lastSuccessAt: null,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    ...over,
  });
}

export function makeHealth(over: Partial<HealthSnapshot> = {}): HealthSnapshot {
  return Object.freeze({ state: 'healthy', available: true, until: null, ejections: 0, slowStart: 1, ...over });
}

/** An ejected endpoint's health, as the router would report it. */
export const EJECTED: Partial<HealthSnapshot> = { state: 'ejected', available: false, until: 60_000, ejections: 1 };

export interface CandidateSpec {
  endpoint?: Partial<Endpoint>;
  stats?: Partial<StatsSnapshot>;
  health?: Partial<HealthSnapshot>;
}

export function cand(id: string, spec: CandidateSpec = {}): Candidate {
  return Object.freeze({ endpoint: makeEndpoint(id, spec.endpoint), stats: makeStats(spec.stats), health: makeHealth(spec.health) });
}

/** Same candidate with some stats/health replaced (snapshots are immutable). */
export function withState(c: Candidate, spec: { stats?: Partial<StatsSnapshot>; health?: Partial<HealthSnapshot> }): Candidate {
  return Object.freeze({
    endpoint: c.endpoint,
    stats: Object.freeze({ ...c.stats, ...spec.stats }),
    health: Object.freeze({ ...c.health, ...spec.health }),
  });
}

/** Endpoints "a", "b", "c"... with the given weights. */
export function weightedSet(weights: readonly number[]): Candidate[] {
  return weights.map((w, i) => cand(String.fromCharCode(97 + i), { endpoint: { weight: w } }));
}

/** A pick context whose `now` can be moved by the test. */
export interface TestContext extends PickContext {
  now: number;
  readonly random: Random;
}

export function makeCtx(seed: string | number = 1, now = 0): TestContext {
  return { now, random: seededRandom(seed) };
}

export const REQ: RouteRequest = Object.freeze({ model: 'm' });

/** Run `n` picks over a fixed snapshot; counts per endpoint id. */
export function countPicks(
  strategy: Strategy,
  candidates: readonly Candidate[],
  n: number,
  ctx: PickContext = makeCtx(),
  request: RouteRequest = REQ,
): Map<string, number> {
  const counts = new Map<string, number>(candidates.map((c) => [c.endpoint.id, 0]));
  for (let i = 0; i < n; i++) {
    const id = candidates[strategy.pick(candidates, request, ctx).index]!.endpoint.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** counts / total, per id. */
export function shares(counts: Map<string, number>): Record<string, number> {
  let total = 0;
  for (const v of counts.values()) total += v;
  const out: Record<string, number> = {};
  for (const [k, v] of counts) out[k] = v / total;
  return out;
}
