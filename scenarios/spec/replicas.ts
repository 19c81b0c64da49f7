import { z } from 'zod';
import type { StrategyRef } from './schema.js';

/**
 * Several router replicas in a scenario (issue #16): `replicas: { count, syncDelayMs }`
 * runs every strategy as `count` replicas behind a round-robin spreader, and a strategy
 * listed as `<strategy>@local` or `<strategy>@shared` says how its replicas keep state:
 * each its own (local, the default for a plain name) or shared through the store (in sim,
 * simulator/replica-store.ts with `syncDelayMs` of propagation; in http, one redis-server).
 * So one scenario compares the same strategy with and without sharing, on identical traffic.
 */
export const replicasSchema = z.strictObject({
  count: z.number().int().min(2).max(64),
  /** Propagation delay of shared state (sim); the Redis store's sync_interval_ms (http). */
  syncDelayMs: z.number().finite().min(0).max(60_000).default(100),
});
export type ReplicasSpec = z.output<typeof replicasSchema>;

export const STORE_MODES = ['local', 'shared'] as const;
export type StoreMode = (typeof STORE_MODES)[number];

/** The suffix that gives a listed strategy an exact-match response cache (router/cache): "latency+cache", "cost+cache@shared". */
export const CACHE_SUFFIX = '+cache';

/** TTL of a `+cache` strategy's response cache, scenario ms (the proxy's default, router/cache). */
export const RESPONSE_CACHE_TTL_MS = 300_000;

/** Whether a listed strategy runs with the response cache on (its name carries "+cache"). */
export function responseCacheOn(name: string): boolean {
  return splitStore(name).cache;
}

/**
 * "latency@shared" -> { strategy: "latency", store: "shared", cache: false }; no suffix ->
 * store null. A "+cache" right after the strategy or after the store sets cache.
 */
export function splitStore(name: string): { strategy: string; store: string | null; cache: boolean } {
  const cache = name.endsWith(CACHE_SUFFIX) || name.includes(`${CACHE_SUFFIX}@`);
  const bare = name.replace(`${CACHE_SUFFIX}@`, '@').replace(/\+cache$/, '');
  const at = bare.lastIndexOf('@');
  return at < 0 ? { strategy: bare, store: null, cache } : { strategy: bare.slice(0, at), store: bare.slice(at + 1), cache };
}

/** The strategy the router runs (the name without its @store suffix, params kept). */
export function routerStrategy(ref: StrategyRef): StrategyRef {
  const name = typeof ref === 'string' ? ref : ref.name;
  const { strategy } = splitStore(name);
  if (strategy === name) return ref;
  // ({ name: strategy } below also drops a +cache suffix: the cache is the proxy's, not the strategy's.)
  return typeof ref === 'string' ? strategy : { ...ref, name: strategy };
}

/** How a listed strategy's replicas keep state (local unless it says @shared). */
export function storeMode(name: string): StoreMode {
  return splitStore(name).store === 'shared' ? 'shared' : 'local';
}

/** runSim's `replicas` option for one listed strategy (none when the scenario has no replicas block). */
export function simReplicas(spec: ReplicasSpec | undefined, name: string): { count: number; mode: StoreMode; syncDelayMs: number } | undefined {
  return spec === undefined ? undefined : { count: spec.count, mode: storeMode(name), syncDelayMs: spec.syncDelayMs };
}

/** "strategies[i]: ..." problems with @store suffixes (empty = fine). */
export function checkStoreSuffixes(names: readonly string[], spec: ReplicasSpec | undefined): string[] {
  const problems: string[] = [];
  names.forEach((n, i) => {
    const { store } = splitStore(n);
    if (store === null) return;
    if (!(STORE_MODES as readonly string[]).includes(store)) problems.push(`strategies[${i}]: "${n}": unknown store "@${store}"; expected @local or @shared`);
    else if (spec === undefined) problems.push(`strategies[${i}]: "${n}": a @${store} suffix needs a replicas block ({ count, syncDelayMs })`);
  });
  return problems;
}
