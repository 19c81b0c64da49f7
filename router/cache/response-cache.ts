import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';

/**
 * Exact-match response cache at the proxy edge (issue #16), off by default.
 *
 * A request is cacheable when its model group is listed, it does not stream, and its
 * temperature is 0 (any temperature with `anyTemperature`: then a hit replays one sample).
 * Key: SHA-256 over the model group, the messages and every parameter that changes the
 * output (OUTPUT_PARAMS), in a canonical JSON (object keys sorted), so two bodies that
 * differ only in key order or in fields that do not change the answer (user, metadata)
 * share an entry. A hit skips routing and answers with the stored body and
 * `x-router-cache: hit`. Only 200 answers are stored. Where (`backend`):
 *  - `memory` (default): an LRU of `maxEntries` with a TTL (lru-cache, time from the
 *    injected clock), per process (not shared by replicas); lookups are synchronous.
 *  - `store`: the Redis store (`store: { kind: redis }`, router/store/cache-backend.ts),
 *    shared by every replica with the same key_prefix: SET with a PX TTL (Redis expires and
 *    evicts), answers over `maxValueBytes` not stored. A lookup is one GET; Redis down, slow
 *    or erroring is a miss (never a client error), and a failed store is dropped.
 */
export const responseCacheSchema = z.strictObject({
  /** Model groups whose answers may be cached. */
  models: z.array(z.string().min(1)).min(1, 'at least one model group'),
  ttlMs: z.number().int().positive().max(7 * 24 * 3_600_000).default(300_000),
  maxEntries: z.number().int().positive().max(10_000_000).default(10_000),
  /** Cache answers of temperature > 0 too (by default only temperature 0 is deterministic enough). */
  anyTemperature: z.boolean().default(false),
  /** Where entries live: this process (memory) or the shared Redis store (store: needs `store: { kind: redis }`). */
  backend: z.enum(['memory', 'store']).default('memory'),
  /** store backend: answers larger than this are not stored (Redis values stay small). */
  maxValueBytes: z.number().int().positive().max(64 * 1024 * 1024).default(1_048_576),
});
export type ResponseCacheConfig = z.output<typeof responseCacheSchema>;

/** Request fields that change the answer (OpenAI chat completions). Everything else is ignored by the key. */
export const OUTPUT_PARAMS = [
  'temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'stop', 'seed', 'n', 'tools', 'tool_choice',
  'functions', 'function_call', 'response_format', 'frequency_penalty', 'presence_penalty', 'logit_bias',
  'logprobs', 'top_logprobs', 'reasoning_effort', 'modalities', 'audio', 'prediction',
] as const;

export interface CachedResponse {
  /** The upstream's JSON body as sent to the client. */
  readonly text: string | Uint8Array;
  /** The endpoint that produced it. */
  readonly endpointId: string;
}

/** JSON with object keys sorted at every level (arrays keep their order). */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/**
 * Where a ResponseCache keeps its entries. `get` may answer synchronously (memory) or with
 * a promise (a shared store); it never rejects (a backend failure is a miss), and `put`
 * never throws.
 */
export interface CacheBackend {
  get(key: string): CachedResponse | undefined | Promise<CachedResponse | undefined>;
  put(key: string, value: CachedResponse): void;
  /** Entries held here (memory); undefined when not known locally (a shared store). */
  readonly size: number | undefined;
}

/** The in-process LRU with a TTL on the injected clock. */
export function memoryCacheBackend(cfg: Pick<ResponseCacheConfig, 'maxEntries' | 'ttlMs'>, clock: Clock): CacheBackend {
  // +1: lru-cache reads a start time of 0 as "no TTL", and an injected clock may start at 0.
  const lru = new LRUCache<string, CachedResponse>({ max: cfg.maxEntries, ttl: cfg.ttlMs, ttlResolution: 0, perf: { now: () => clock.now() + 1 } });
  return {
    get: (key) => lru.get(key),
    put: (key, value) => void lru.set(key, value),
    get size() {
      return lru.size;
    },
  };
}

export class ResponseCache {
  /** Totals over every model group. */
  hits = 0;
  misses = 0;
  /** Called for every lookup (the proxy's metrics: registerCacheMetrics). */
  onLookup: ((model: string, hit: boolean) => void) | null = null;
  private readonly models: ReadonlySet<string>;
  readonly backend: CacheBackend;

  constructor(
    readonly cfg: ResponseCacheConfig,
    clock: Clock,
    backend?: CacheBackend,
  ) {
    this.models = new Set(cfg.models);
    this.backend = backend ?? memoryCacheBackend(cfg, clock);
  }

  /**
   * The cache key of a validated chat body, or null when it is not cacheable. A prompt class the
   * caller declares (x-prompt-class) is part of the key: it can route the same prompt to another
   * model, so one class's answer is not served to another.
   */
  keyFor(body: { model: string; stream?: unknown; messages: unknown } & Record<string, unknown>, promptClass?: string): string | null {
    if (!this.models.has(body.model) || body.stream === true) return null;
    if (!this.cfg.anyTemperature && body.temperature !== 0) return null;
    const h = createHash('sha256').update(body.model).update('\0').update(canonical(body.messages));
    for (const p of OUTPUT_PARAMS) if (body[p] !== undefined) h.update(`\0${p}=`).update(canonical(body[p]));
    if (promptClass !== undefined) h.update('\0class=').update(promptClass);
    return h.digest('base64url');
  }

  /**
   * A stored answer (counted as a hit for `model`), or undefined (a miss): synchronous for
   * the memory backend, a promise (never rejecting) for a shared store.
   */
  get(key: string, model = ''): CachedResponse | undefined | Promise<CachedResponse | undefined> {
    const v = this.backend.get(key);
    if (v instanceof Promise) return v.then((x) => this.count(model, x));
    return this.count(model, v);
  }

  private count(model: string, v: CachedResponse | undefined): CachedResponse | undefined {
    if (v === undefined) this.misses++;
    else this.hits++;
    this.onLookup?.(model, v !== undefined);
    return v;
  }

  put(key: string, value: CachedResponse): void {
    this.backend.put(key, value);
  }

  /** Entries held in this process (0 for a shared store, whose entries live in Redis). */
  get size(): number {
    return this.backend.size ?? 0;
  }
}

/**
 * llm_router_cache_hits_total / llm_router_cache_misses_total {model} (cacheable requests
 * only). Returns the function that counts one lookup: the server hands it to every cache
 * it serves with (ResponseCache.onLookup), so counts survive a reload that swaps the cache.
 */
export function registerCacheMetrics(registry: Registry, prefix = 'llm_router_'): (model: string, hit: boolean) => void {
  const hits = new Counter({
    name: `${prefix}cache_hits_total`,
    help: 'Cacheable requests answered from the response cache (no routing), by model group.',
    labelNames: ['model'],
    registers: [registry],
  });
  const misses = new Counter({
    name: `${prefix}cache_misses_total`,
    help: 'Cacheable requests not in the response cache (routed; a 200 answer is stored), by model group.',
    labelNames: ['model'],
    registers: [registry],
  });
  return (model, hit) => (hit ? hits : misses).inc({ model });
}
