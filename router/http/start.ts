import '../strategies/index.js';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import { RouterError } from '../core/errors.js';
import { carriedEndpoints, createRouter, type Router } from '../request/router.js';
import type { Transport } from '../core/types.js';
import { registerStoreMetrics } from '../store/metrics.js';
import { ResponseCache, type ResponseCacheConfig } from '../cache/response-cache.js';
import type { RedisStore } from '../store/redis-store.js';
import { createHttpTransport, type HttpTransport } from '../transport/http.js';
import { parseProxyConfig, type ProxyConfig } from './config.js';
import { createProxyServer, type ProxyServer } from './server.js';

/**
 * Wire a whole proxy from a config: undici transport -> router -> HTTP edge, and
 * listen. Used by the CLI, the tests and the benchmark, so all three run the same
 * assembly. `close()` drains, then releases the upstream pools and the router.
 */

export interface StartProxyOptions {
  /** Overrides server.port / server.host from the config. */
  port?: number;
  host?: string;
  /** Default: an undici transport reading keys from `env`. */
  transport?: Transport;
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  random?: Random;
  log?: (line: string) => void;
}

export interface RunningProxy {
  /** e.g. http://127.0.0.1:8080 (no trailing slash; OpenAI clients use `${url}/v1`). */
  readonly url: string;
  readonly address: AddressInfo;
  readonly server: ProxyServer;
  readonly router: Router;
  /** The shared-state store when `store.kind` is redis. */
  readonly store?: RedisStore;
  /** Drain in-flight requests (server.drainTimeoutMs unless given), then close everything. True when the drain finished, false when its deadline cut requests. */
  close(timeoutMs?: number): Promise<boolean>;
  /**
   * Serve new requests with another config (SIGHUP). Validated first: a bad config throws
   * RouterError('invalid_config') and the running one stays. Requests in flight finish on
   * the router that took them; unchanged endpoints keep their stats and health
   * (createRouter deps.carryFrom). The `server` section (port, keys...) needs a restart.
   */
  reload(config: ProxyConfig | unknown): ReloadResult;
}

export interface ReloadResult {
  /** Endpoint ids that kept their stats and health. */
  kept: string[];
  /** Endpoint ids that start afresh (new, or changed). */
  fresh: string[];
  removed: string[];
  /** The response cache: kept (same config: same entries), new (changed or added: empty), off (removed), none (absent before and after). */
  cache: 'kept' | 'new' | 'off' | 'none';
  /** The server section changed: ignored until a restart. */
  serverChanged: boolean;
}

export async function startProxy(config: ProxyConfig | unknown, opts: StartProxyOptions = {}): Promise<RunningProxy> {
  const cfg = isProxyConfig(config) ? config : parseProxyConfig(config);
  // Redis down at start is a warning (an error only with store.required): never a hang.
  // The Redis store (and ioredis, ~9 MB of RSS) is loaded only when configured.
  const store: RedisStore | undefined =
    cfg.store?.kind === 'redis' ? await (await import('../store/redis-store.js')).createRedisStore(cfg.store, { env: opts.env, log: opts.log }) : undefined;
  const ownTransport: HttpTransport | undefined = opts.transport ? undefined : createHttpTransport({ env: opts.env });
  const transport = opts.transport ?? ownTransport!;
  let router = createRouter(cfg.router, { transport, clock: opts.clock, random: opts.random, store });
  const clientLimit = store ? (name: string, rpm: number) => store.clientAdmission(name, rpm, opts.clock ?? systemClock) : undefined;
  // The response cache: a SIGHUP reload with the same cache config keeps it (and its entries).
  const makeCache = (c: ResponseCacheConfig | undefined): ResponseCache | undefined => {
    if (c === undefined) return undefined;
    if (c.backend === 'memory') return new ResponseCache(c, opts.clock ?? systemClock);
    if (store === undefined) throw new RouterError('invalid_config', 'invalid config: cache.backend: "store" needs the redis store the proxy was started with (store: { kind: redis }); restart to add one');
    return new ResponseCache(c, opts.clock ?? systemClock, store.cacheBackend(c));
  };
  let cache = makeCache(cfg.cache);
  let cacheCfg = JSON.stringify(cfg.cache ?? null);
  const server = createProxyServer({ router, server: cfg.server, clock: opts.clock, env: opts.env, log: opts.log, clientLimit, cache });
  if (store) registerStoreMetrics(server.metrics.registry, store.link);
  let address: AddressInfo;
  try {
    address = await server.listen(opts.port ?? cfg.server.port, opts.host ?? cfg.server.host);
  } catch (e) {
    router.close();
    await store?.close();
    await ownTransport?.destroy();
    throw e;
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<boolean> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    address,
    server,
    get router() {
      return router;
    },
    ...(store ? { store } : {}),
    close(timeoutMs) {
      closing ??= (async () => {
        const drained = await server.drain(timeoutMs);
        router.close();
        await store?.close();
        await ownTransport?.destroy();
        return drained;
      })();
      return closing;
    },
    reload(next) {
      const c = isProxyConfig(next) ? next : parseProxyConfig(next);
      const nextCacheCfg = JSON.stringify(c.cache ?? null);
      const cacheChange = nextCacheCfg === cacheCfg ? (c.cache ? 'kept' : 'none') : c.cache ? 'new' : 'off';
      const nextCache = cacheChange === 'new' ? makeCache(c.cache) : cacheChange === 'off' ? undefined : cache; // may throw: nothing swapped yet
      const old = router;
      const fresh = createRouter(c.router, { transport, clock: opts.clock, random: opts.random, carryFrom: old, store });
      const kept = carriedEndpoints(fresh);
      server.setRouter(fresh);
      router = fresh;
      server.setCache(nextCache);
      cache = nextCache;
      cacheCfg = nextCacheCfg;
      old.close(); // stops its active checks; its in-flight requests finish on it
      const ids = new Set(fresh.endpoints.map((e) => e.id));
      return {
        kept,
        fresh: fresh.endpoints.map((e) => e.id).filter((id) => !kept.includes(id)),
        removed: old.endpoints.map((e) => e.id).filter((id) => !ids.has(id)),
        serverChanged: JSON.stringify(c.server) !== JSON.stringify(cfg.server),
        cache: cacheChange,
      };
    },
  };
}

function isProxyConfig(c: unknown): c is ProxyConfig {
  const o = c as Partial<ProxyConfig> | null;
  return !!o && typeof o === 'object' && 'router' in o && 'server' in o && Array.isArray(o.endpoints);
}
