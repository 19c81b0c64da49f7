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
 * `x-router-cache: hit`. Only 200 answers are stored. In memory: an LRU of `maxEntries`
 * with a TTL (lru-cache, time from the injected clock), per process (not shared by replicas).
 */
export const responseCacheSchema = z.strictObject({
  /** Model groups whose answers may be cached. */
  models: z.array(z.string().min(1)).min(1, 'at least one model group'),
  ttlMs: z.number().int().positive().max(7 * 24 * 3_600_000).default(300_000),
  maxEntries: z.number().int().positive().max(10_000_000).default(10_000),
  /** Cache answers of temperature > 0 too (by default only temperature 0 is deterministic enough). */
  anyTemperature: z.boolean().default(false),
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

export class ResponseCache {
  hits = 0;
  misses = 0;
  private readonly models: ReadonlySet<string>;
  private readonly lru: LRUCache<string, CachedResponse>;

  constructor(private readonly cfg: ResponseCacheConfig, clock: Clock) {
    this.models = new Set(cfg.models);
    // +1: lru-cache reads a start time of 0 as "no TTL", and an injected clock may start at 0.
    this.lru = new LRUCache({ max: cfg.maxEntries, ttl: cfg.ttlMs, ttlResolution: 0, perf: { now: () => clock.now() + 1 } });
  }

  /** The cache key of a validated chat body, or null when it is not cacheable. */
  keyFor(body: { model: string; stream?: unknown; messages: unknown } & Record<string, unknown>): string | null {
    if (!this.models.has(body.model) || body.stream === true) return null;
    if (!this.cfg.anyTemperature && body.temperature !== 0) return null;
    const h = createHash('sha256').update(body.model).update('\0').update(canonical(body.messages));
    for (const p of OUTPUT_PARAMS) if (body[p] !== undefined) h.update(`\0${p}=`).update(canonical(body[p]));
    return h.digest('base64url');
  }

  /** A stored answer (counted as a hit), or undefined (a miss). */
  get(key: string): CachedResponse | undefined {
    const v = this.lru.get(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }

  put(key: string, value: CachedResponse): void {
    this.lru.set(key, value);
  }

  get size(): number {
    return this.lru.size;
  }
}

/** llm_router_cache_hits_total / llm_router_cache_misses_total (cacheable requests only), read at scrape time. */
export function registerCacheMetrics(registry: Registry, cache: ResponseCache, prefix = 'llm_router_'): void {
  const counter = (name: string, help: string, read: () => number): void => {
    let seen = 0;
    new Counter({
      name: `${prefix}${name}`,
      help,
      registers: [registry],
      collect() {
        const n = read();
        if (n > seen) this.inc(n - seen);
        seen = n;
      },
    });
  };
  counter('cache_hits_total', 'Cacheable requests answered from the response cache (no routing).', () => cache.hits);
  counter('cache_misses_total', 'Cacheable requests not in the response cache (routed; a 200 answer is stored).', () => cache.misses);
}
