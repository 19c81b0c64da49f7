import type { CacheBackend, CachedResponse } from '../cache/response-cache.js';
import type { RedisLink } from './redis-client.js';

/**
 * The response cache in the Redis store (`cache.backend: store`), shared by every replica
 * with the same key_prefix. One entry is one string key (keySpace.cache): the endpoint id,
 * a newline, then the answer's bytes; SET with PX = ttlMs, so Redis expires entries (and
 * evicts under its own maxmemory policy; maxEntries does not apply). Answers over
 * `maxValueBytes` are not stored.
 *
 * Failure semantics (issue #16, deliverable 2): the cache never fails a request. While the
 * link is down a lookup is a miss without a round trip and a store is skipped; a command
 * that fails or times out (store.commandTimeoutMs) is a miss, counted in
 * llm_router_store_errors_total{op="cache_get"|"cache_put"}.
 */
export function storeCacheBackend(link: RedisLink, keyOf: (key: string) => string, cfg: { ttlMs: number; maxValueBytes: number }): CacheBackend {
  return {
    size: undefined,
    async get(key) {
      if (!link.up) return undefined;
      let v: Buffer | null;
      try {
        v = await link.redis.getBuffer(keyOf(key));
      } catch (e) {
        link.failed('cache_get', e);
        return undefined;
      }
      return v === null ? undefined : decode(v);
    },
    put(key, value) {
      if (!link.up) return;
      const v = encode(value);
      if (v.length > cfg.maxValueBytes) return;
      link.redis.set(keyOf(key), v, 'PX', cfg.ttlMs).catch((e: unknown) => link.failed('cache_put', e));
    },
  };
}

function encode(v: CachedResponse): Buffer {
  return Buffer.concat([Buffer.from(`${v.endpointId}\n`, 'utf8'), typeof v.text === 'string' ? Buffer.from(v.text, 'utf8') : v.text]);
}

/** An entry as written by encode; anything else (a foreign value under the key) is a miss. */
function decode(b: Buffer): CachedResponse | undefined {
  const nl = b.indexOf(10);
  if (nl < 0) return undefined;
  return { endpointId: b.subarray(0, nl).toString('utf8'), text: b.subarray(nl + 1) };
}
