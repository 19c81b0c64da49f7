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

/** "latency@shared" -> { strategy: "latency", store: "shared" }; no suffix -> store null. */
export function splitStore(name: string): { strategy: string; store: string | null } {
  const at = name.lastIndexOf('@');
  return at < 0 ? { strategy: name, store: null } : { strategy: name.slice(0, at), store: name.slice(at + 1) };
}

/** The strategy the router runs (the name without its @store suffix, params kept). */
export function routerStrategy(ref: StrategyRef): StrategyRef {
  const name = typeof ref === 'string' ? ref : ref.name;
  const { strategy } = splitStore(name);
  if (strategy === name) return ref;
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
