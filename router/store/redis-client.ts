import { Redis } from 'ioredis';
import { GCRA_LUA, HOLD_LUA } from './lua.js';

/**
 * One ioredis connection configured to fail fast: no offline queue (a command while
 * Redis is down rejects at once instead of piling up), no per-command retries, a command
 * timeout, and reconnection in the background (every 100 ms .. 2 s). `up` follows the
 * connection; the first failure and each recovery are logged once, never per command.
 */
export interface RedisLink {
  readonly redis: Redis & RedisScripts;
  /** Connected and answering. */
  readonly up: boolean;
  /** Failed commands by operation (for llm_router_store_errors_total). */
  readonly errors: ReadonlyMap<string, number>;
  /** Count a failed command and log the first one of an outage. */
  failed(op: string, e: unknown): void;
  /** Wait until ready or until `ms` passed; resolves to the reason it is not ready ('' = ready). */
  ready(ms: number): Promise<string>;
  close(): Promise<void>;
}

export interface RedisScripts {
  gcra(key: string, intervalMs: number, cost: number, mode: 'charge' | 'admit'): Promise<[number, string]>;
  hold(key: string, op: 'put' | 'recover' | 'read', ...args: (string | number)[]): Promise<unknown>;
}

export interface RedisLinkOptions {
  url: string;
  commandTimeoutMs: number;
  log: (line: string) => void;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function connectRedis(opts: RedisLinkOptions): RedisLink {
  const where = redactUrl(opts.url);
  const redis = new Redis(opts.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: Math.max(opts.commandTimeoutMs, 1000),
    // Reconnect for ever, backing off to one try every 2 s (a wrong password too: it may be fixed).
    retryStrategy: (times) => Math.min(100 * times, 2000),
  }) as Redis & RedisScripts;
  redis.defineCommand('gcra', { numberOfKeys: 1, lua: GCRA_LUA });
  redis.defineCommand('hold', { numberOfKeys: 1, lua: HOLD_LUA });

  let up = false;
  let downLogged = false;
  let lastError = '';
  const errors = new Map<string, number>();
  const down = (why: string): void => {
    up = false;
    if (!downLogged) {
      downLogged = true;
      opts.log(`store: redis at ${where} unavailable (${why}); routing on local state until it returns`);
    }
  };
  redis.on('ready', () => {
    up = true;
    if (downLogged) opts.log(`store: redis at ${where} is back; sharing state again`);
    downLogged = false;
  });
  redis.on('error', (e: Error) => {
    lastError = e.message;
    down(e.message);
  });
  redis.on('close', () => down(lastError || 'connection closed'));
  redis.connect().catch((e: Error) => {
    lastError = e.message;
    down(e.message);
  });

  return {
    redis,
    get up() {
      return up;
    },
    errors,
    failed(op, e) {
      errors.set(op, (errors.get(op) ?? 0) + 1);
      lastError = (e as Error)?.message ?? String(e);
    },
    ready(ms) {
      if (up) return Promise.resolve('');
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          redis.off('ready', onReady);
          resolve(up ? '' : lastError || `no answer within ${ms} ms`);
        };
        const onReady = (): void => done();
        const t = setTimeout(done, ms);
        redis.on('ready', onReady);
      });
    },
    async close() {
      redis.disconnect(false);
    },
  };
}
