import { BlockLru } from '../router/strategies/prefix-blocks.js';
import type { ProviderProfile } from './profile.js';
import type { ProviderState } from './model.js';
import type { SimRequest } from './types.js';

/**
 * A provider's prompt (prefix) cache, as the pure model uses it: one BlockLru per provider
 * state (so one per endpoint, in every world: engine, real server, msw), read by
 * outcome() and written by admit() for requests whose prefill ran.
 *
 *   cached  = min(input, B · matched blocks)                 B = blockTokens
 *   written = min(input, B · |prefix|) − cached               new blocks stored
 *   plain   = input − cached − written
 *   input $ = (plain · pIn + cached · pRead + written · pWrite) / 1e6
 *   saved $ = (cached · (pIn − pRead) − written · (pWrite − pIn)) / 1e6
 *   ttft    = base · (1 − prefillShare · cached / input) + queue wait
 *
 * pRead and pWrite follow the timeline's input price changes (scaled by price / list price).
 */

export type CacheProfile = NonNullable<ProviderProfile['cache']>;

/** What the cache does to one request at one provider. */
export interface CacheUse {
  readonly cached: number;
  readonly written: number;
  /** TTFT multiplier for the base (non-queue) part, in (0, 1]. */
  readonly ttftFactor: number;
}

export function cacheOf(state: ProviderState, cfg: CacheProfile): BlockLru {
  return (state.promptCache ??= new BlockLru(cfg.capacityBlocks, cfg.ttlS * 1000));
}

/** The cache's effect on `req` at `nowMs`; undefined when there is no cache or no prefix. */
export function cacheUse(cfg: CacheProfile | undefined, state: ProviderState | undefined, req: SimRequest, nowMs: number): CacheUse | undefined {
  const prefix = req.prefix;
  if (cfg === undefined || prefix === undefined || prefix.length === 0) return undefined;
  const input = req.inputTokens;
  const b = cfg.blockTokens;
  const matched = state?.promptCache?.match(prefix, nowMs) ?? 0;
  const cached = Math.min(input, matched * b);
  const written = Math.min(input, prefix.length * b) - cached;
  const ttftFactor = input > 0 ? 1 - (cfg.prefillShare * cached) / input : 1;
  return { cached, written, ttftFactor };
}

/** Input cost (USD × 1e6) and savings (USD) of a request's input at input price `pIn` (list `listIn`). */
export function cacheInputCost(cfg: CacheProfile, use: CacheUse, input: number, pIn: number, listIn: number): { input: number; savedUsd: number } {
  const scale = listIn > 0 ? pIn / listIn : 1;
  const pRead = cfg.readPrice !== undefined ? cfg.readPrice * scale : pIn;
  const pWrite = cfg.writePrice !== undefined ? cfg.writePrice * scale : pIn;
  const plain = input - use.cached - use.written;
  return {
    input: plain * pIn + use.cached * pRead + use.written * pWrite,
    savedUsd: (use.cached * (pIn - pRead) - use.written * (pWrite - pIn)) / 1e6,
  };
}

/** Store a request's prefix blocks (its prefill ran). */
export function cacheAdmit(cfg: CacheProfile | undefined, state: ProviderState, req: SimRequest, nowMs: number): void {
  if (cfg === undefined || req.prefix === undefined || req.prefix.length === 0) return;
  cacheOf(state, cfg).insert(req.prefix, nowMs);
}

/**
 * The best cache hit any placement could reach, as a reference for strategies: every
 * request served by one cache holding all providers' capacity (Σ capacity, the longest
 * TTL, the first cache's block size), so no prefix is ever split across endpoints.
 *   oracle share = Σ cached tokens / Σ input tokens, over requests with a prefix
 */
export interface CacheOracle {
  observe(req: SimRequest, nowMs: number): void;
  share(): number;
}

export function createCacheOracle(profiles: ReadonlyArray<ProviderProfile>): CacheOracle | undefined {
  const caches = profiles.map((p) => p.cache).filter((c): c is CacheProfile => c !== undefined);
  if (caches.length === 0) return undefined;
  const b = caches[0]!.blockTokens;
  const capacity = Math.max(1, Math.floor(caches.reduce((s, c) => s + c.capacityBlocks * c.blockTokens, 0) / b));
  const lru = new BlockLru(capacity, Math.max(...caches.map((c) => c.ttlS)) * 1000);
  let input = 0;
  let cached = 0;
  return {
    observe(req, nowMs) {
      const prefix = req.prefix;
      if (prefix === undefined || prefix.length === 0) return;
      input += req.inputTokens;
      cached += Math.min(req.inputTokens, lru.match(prefix, nowMs) * b);
      lru.insert(prefix, nowMs);
    },
    share: () => (input > 0 ? cached / input : 0),
  };
}
