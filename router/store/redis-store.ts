import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { RouterError } from '../core/errors.js';
import type { Admission } from '../core/rate-limit.js';
import { connectRedis, redactUrl, type RedisLink } from './redis-client.js';
import type { RedisStoreConfig } from './config.js';
import { startHealthSync } from './health-sync.js';
import { keySpace } from './keys.js';
import { ChargeBatch } from './batch.js';
import { SharedAdmission } from './shared-admission.js';
import type { Store } from './store.js';
import type { CacheBackend } from '../cache/response-cache.js';
import { storeCacheBackend } from './cache-backend.js';

export interface RedisStore extends Store {
  readonly kind: 'redis';
  readonly link: RedisLink;
  /** A client key's RPM, shared like an endpoint's (the proxy edge: server.clientKeys[].rpm). */
  clientAdmission(name: string, rpm: number, clock: Clock): Admission;
  /** Per-client-key limit decided in Redis (one awaited round trip; library callers): true = admitted. Fails open (local decision) while Redis is down. */
  admitClient(name: string, rpm: number): Promise<boolean | null>;
  /** The response cache's entries in this store (cache.backend: store), under this store's key_prefix. */
  cacheBackend(cfg: { ttlMs: number; maxValueBytes: number }): CacheBackend;
  /** Read the other replicas' health holds now (tests; the loop does it every syncIntervalMs). */
  syncNow(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connect, wait up to connectWaitMs for Redis; on failure warn (or throw when
 * `required`) and keep reconnecting in the background. Never throws for a Redis that
 * comes and goes later.
 */
export async function createRedisStore(
  cfg: RedisStoreConfig,
  opts: { env?: Readonly<Record<string, string | undefined>>; log?: (line: string) => void } = {},
): Promise<RedisStore> {
  const log = opts.log ?? ((l: string) => console.error(l));
  let url = cfg.url;
  if (cfg.passwordEnv !== undefined) {
    const pw = (opts.env ?? process.env)[cfg.passwordEnv];
    if (!pw) throw new RouterError('invalid_config', `config.store.passwordEnv: environment variable ${cfg.passwordEnv} is not set`);
    const u = new URL(url);
    u.password = pw;
    url = u.toString();
  }
  const link = connectRedis({ url, commandTimeoutMs: cfg.commandTimeoutMs, log });
  const why = await link.ready(cfg.connectWaitMs);
  if (why !== '') {
    const msg = `config.store: cannot use redis at ${redactUrl(url)}: ${why}`;
    if (cfg.required) {
      await link.close();
      throw new RouterError('invalid_config', `${msg} (store.required is true)`);
    }
    log(`warning: ${msg}; routing on local state (health fails open, limits use localShare ${cfg.localShare}) and retrying`);
  }
  const keys = keySpace(cfg.keyPrefix);
  const origin = randomUUID();
  const syncs: Array<{ stop(): void; syncNow(): Promise<void> }> = [];
  const admissions: SharedAdmission[] = [];
  // One batch per clock (a proxy has one: the router's and the edge's charges share it).
  const batches = new Map<Clock, ChargeBatch>();
  const batchFor = (clock: Clock): ChargeBatch => {
    let b = batches.get(clock);
    if (b === undefined) batches.set(clock, (b = new ChargeBatch(link, clock, cfg.batchMs)));
    return b;
  };
  const refreshAll = (): void => {
    for (const a of admissions) a.refresh();
  };

  return {
    kind: 'redis',
    link,
    admission(endpoint, clock) {
      if (!endpoint.limits.rpm && !endpoint.limits.tpm) return null;
      const k = { rpm: keys.limit(endpoint.id, 'rpm'), tpm: keys.limit(endpoint.id, 'tpm') };
      const a = new SharedAdmission(endpoint.limits, link, clock, batchFor(clock), k, cfg.localShare);
      admissions.push(a);
      return a;
    },
    clientAdmission(name, rpm, clock) {
      const a = new SharedAdmission({ rpm }, link, clock, batchFor(clock), { rpm: keys.client(name), tpm: '' }, cfg.localShare);
      admissions.push(a);
      return a;
    },
    attach(target) {
      const s = startHealthSync(link, target, keys.health, origin, cfg.syncIntervalMs, refreshAll);
      syncs.push(s);
      return () => s.stop();
    },
    cacheBackend: (c) => storeCacheBackend(link, keys.cache, c),
    async admitClient(name, rpm) {
      if (!link.up) return null;
      try {
        const [ok] = await link.redis.gcra(keys.client(name), 60_000 / rpm, 1, 'admit');
        return ok === 1;
      } catch (e) {
        link.failed('client_limit', e);
        return null;
      }
    },
    async syncNow() {
      await Promise.all(syncs.map((s) => s.syncNow()));
      for (const b of batches.values()) b.flush();
      // Replies on one connection arrive in order: after this PING every refresh has landed.
      if (link.up) await link.redis.ping().catch((e) => link.failed('ping', e));
    },
    async close() {
      for (const s of syncs) s.stop();
      for (const b of batches.values()) b.stop();
      await link.close();
    },
  };
}
