import '../strategies/index.js';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import { carriedEndpoints, createRouter, type Router } from '../request/router.js';
import type { Transport } from '../core/types.js';
import { registerStoreMetrics } from '../store/metrics.js';
import { ResponseCache } from '../cache/response-cache.js';
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
  // The response cache lives as long as the process (a SIGHUP reload keeps it and its config).
  const cache = cfg.cache ? new ResponseCache(cfg.cache, opts.clock ?? systemClock) : undefined;
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
      const old = router;
      const fresh = createRouter(c.router, { transport, clock: opts.clock, random: opts.random, carryFrom: old, store });
      const kept = carriedEndpoints(fresh);
      server.setRouter(fresh);
      router = fresh;
      old.close(); // stops its active checks; its in-flight requests finish on it
      const ids = new Set(fresh.endpoints.map((e) => e.id));
      return {
        kept,
        fresh: fresh.endpoints.map((e) => e.id).filter((id) => !kept.includes(id)),
        removed: old.endpoints.map((e) => e.id).filter((id) => !ids.has(id)),
        serverChanged: JSON.stringify(c.server) !== JSON.stringify(cfg.server),
      };
    },
  };
}

function isProxyConfig(c: unknown): c is ProxyConfig {
  const o = c as Partial<ProxyConfig> | null;
  return !!o && typeof o === 'object' && 'router' in o && 'server' in o && Array.isArray(o.endpoints);
}
