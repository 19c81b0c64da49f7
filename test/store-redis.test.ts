import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { parseRouterConfig } from '../router/core/config.js';
import { EventBus } from '../router/core/events.js';
import { createRouter, type Router } from '../router/index.js';
import { EndpointHealth } from '../router/health/breaker.js';
import { startHealthSync } from '../router/store/health-sync.js';
import { parseProxyConfig } from '../router/http/config.js';
import { storeSchema } from '../router/store/config.js';
import { keySpace } from '../router/store/keys.js';
import { registerStoreMetrics } from '../router/store/metrics.js';
import { createRedisStore, type RedisStore } from '../router/store/redis-store.js';
import { FakeTransport, type Behaviour } from './helpers/fake-transport.js';
import { startRedis, type TestRedis } from './helpers/redis-server.js';

/**
 * The Redis store against a real redis-server (started here on a free loopback port,
 * stopped by PID). Waiting is on I/O (a PING barrier, or polling the link state for a
 * bounded time), never on a timed sleep; router time is a ManualClock.
 */

let redis: TestRedis;
const stores: RedisStore[] = [];
const routers: Router[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const r of routers) r.close();
  for (const s of stores) await s.close();
  await redis?.stop();
});

let prefixN = 0;
async function store(over: Record<string, unknown> = {}, log: string[] = []): Promise<RedisStore> {
  const cfg = storeSchema.parse({ kind: 'redis', url: redis.url, keyPrefix: `t${prefixN}`, connectWaitMs: 3000, ...over });
  const s = await createRedisStore(cfg as Extract<typeof cfg, { kind: 'redis' }>, { log: (l) => log.push(l) });
  stores.push(s);
  return s;
}

function router(s: RedisStore, behaviour: Behaviour, extra: Record<string, unknown> = {}): { r: Router; clock: ManualClock } {
  const clock = new ManualClock();
  const r = createRouter(
    {
      endpoints: [
        { id: 'limited', provider: 'p1', model: 'm', priority: 0, limits: { rpm: 4 } },
        { id: 'free', provider: 'p2', model: 'm', priority: 1 },
      ],
      strategy: 'priority',
      ...extra,
    },
    { transport: new FakeTransport(clock, behaviour), clock, store: s },
  );
  routers.push(r);
  return { r, clock };
}

const ok: Behaviour = () => ({ kind: 'ok' });

describe('redis store: shared rate limits (GCRA in Lua)', () => {
  it('a client-key limit is shared across replicas and separate per key_prefix', async () => {
    prefixN++;
    const a = await store();
    const b = await store();
    const other = await store({ keyPrefix: `t${prefixN}:x` });
    const got: boolean[] = [];
    for (let i = 0; i < 10; i++) got.push((await (i % 2 ? a : b).admitClient('alice', 5))!);
    expect(got.filter(Boolean)).toHaveLength(5); // 5 rpm across both replicas, not 5 each
    expect(got.slice(0, 5).every(Boolean)).toBe(true);
    expect(await other.admitClient('alice', 5)).toBe(true); // another prefix: its own budget
  });

  it('key prefixes never collide, whatever characters they hold', () => {
    const pairs: Array<[string, string, string, string]> = [
      ['a', 'b|x', 'a|limit|rpm|b', 'x'],
      ['a:', 'b', 'a', ':b'],
      ['', 'llm', 'llm', ''],
    ];
    for (const [p1, id1, p2, id2] of pairs) {
      expect(keySpace(p1).limit(id1, 'rpm')).not.toBe(keySpace(p2).limit(id2, 'rpm'));
      expect(keySpace(p1).health).not.toBe(keySpace(p2).health);
    }
  });

  it('per-endpoint RPM: what one replica spent, another replica respects after one sync', async () => {
    prefixN++;
    const a = router(await store(), ok);
    const sb = await store();
    const b = router(sb, ok);
    const first: string[] = [];
    for (let i = 0; i < 4; i++) first.push((await a.r.route({ model: 'm' })).endpoint.id);
    expect(first).toEqual(['limited', 'limited', 'limited', 'limited']);
    await stores.at(-2)!.syncNow(); // barrier: replica A's charges have reached Redis
    await sb.syncNow(); // replica B re-reads the shared level
    expect((await b.r.route({ model: 'm' })).endpoint.id).toBe('free');
    // Control: the same replica on local state alone would have used the limited endpoint again.
    const local = createRouter(
      { endpoints: [{ id: 'limited', provider: 'p1', model: 'm', limits: { rpm: 4 } }, { id: 'free', provider: 'p2', model: 'm', priority: 1 }], strategy: 'priority' },
      { transport: new FakeTransport(b.clock, ok), clock: b.clock },
    );
    expect((await local.route({ model: 'm' })).endpoint.id).toBe('limited');
  });
});

describe('redis store: shared health', () => {
  it('an ejection on one replica is an ejection on the others after one sync, never echoed back', async () => {
    prefixN++;
    const sa = await store();
    const sb = await store();
    const health = { consecutiveFailures: 2, baseEjectionMs: 30_000 };
    const a = router(sa, (ep) => (ep.id === 'limited' ? { kind: 'status', status: 500 } : { kind: 'ok' }), { health, retry: { maxAttempts: 1 } });
    const b = router(sb, ok, { health });
    for (let i = 0; i < 2; i++) await a.r.route({ model: 'm' }).catch(() => undefined);
    expect(a.r.candidates('m').find((c) => c.endpoint.id === 'limited')!.health.state).toBe('ejected');
    await sa.syncNow(); // barrier: the hold is in Redis
    await sb.syncNow();
    expect(b.r.candidates('m').find((c) => c.endpoint.id === 'limited')!.health.state).toBe('ejected');
    expect((await b.r.route({ model: 'm' })).endpoint.id).toBe('free');
    await sa.syncNow(); // A reads its own hold back: not applied (its ejection count stays 1)
    expect(a.r.candidates('m').find((c) => c.endpoint.id === 'limited')!.health.ejections).toBe(1);
  });

  it("a recovery on one replica (its half-open probe passed) ends the others' ejection at the next sync", async () => {
    prefixN++;
    const sa = await store();
    const sb = await store();
    const health = { consecutiveFailures: 2, baseEjectionMs: 30_000 };
    let down = true;
    const a = router(sa, (ep) => (ep.id === 'limited' && down ? { kind: 'status', status: 500 } : { kind: 'ok' }), { health, retry: { maxAttempts: 1 } });
    const b = router(sb, ok, { health });
    const state = (x: { r: Router }): string => x.r.candidates('m').find((c) => c.endpoint.id === 'limited')!.health.state;
    for (let i = 0; i < 2; i++) await a.r.route({ model: 'm' }).catch(() => undefined);
    await sa.syncNow();
    await sb.syncNow();
    expect(state(b)).toBe('ejected');
    down = false;
    a.clock.tick(30_001); // A's ejection is over: its next request to `limited` is the probe
    expect((await a.r.route({ model: 'm' })).endpoint.id).toBe('limited');
    expect(state(a)).toBe('healthy');
    await sa.syncNow(); // barrier: the recovery is in Redis
    expect(state(b)).toBe('ejected'); // B's clock has not moved: only the shared recovery can end it
    await sb.syncNow();
    expect(state(b)).toBe('healthy');
    expect((await b.r.route({ model: 'm' })).endpoint.id).toBe('limited');
  });

  it('panic mode overrides a remote ejection as it does a local one (never a cooldown)', async () => {
    prefixN++;
    const sa = await store();
    const sb = await store();
    const one = (s: RedisStore, behaviour: Behaviour): { r: Router; clock: ManualClock } => {
      const clock = new ManualClock();
      const r = createRouter(
        { endpoints: [{ id: 'only', provider: 'p1', model: 'm' }], strategy: 'priority', health: { consecutiveFailures: 2, baseEjectionMs: 30_000 }, retry: { maxAttempts: 1 } },
        { transport: new FakeTransport(clock, behaviour), clock, store: s },
      );
      routers.push(r);
      return { r, clock };
    };
    const a = one(sa, () => ({ kind: 'status', status: 500 }));
    const b = one(sb, ok);
    for (let i = 0; i < 2; i++) await a.r.route({ model: 'm' }).catch(() => undefined);
    await sa.syncNow();
    await sb.syncNow();
    expect(b.r.candidates('m')[0]!.health.state).toBe('ejected');
    // The only endpoint is ejected: panic mode routes to it rather than failing every request.
    expect((await b.r.route({ model: 'm' })).endpoint.id).toBe('only');
  });

  it('a replica never applies its own published hold (origin check), another replica does', async () => {
    prefixN++;
    const s = await store();
    const { config } = parseRouterConfig({ endpoints: [{ id: 'e', provider: 'p', model: 'm' }] });
    const clock = new ManualClock();
    const mk = (origin: string) => {
      const h = new EndpointHealth(config.health, config.stats);
      const sync = startHealthSync(s.link, { health: new Map([['e', h]]), bus: new EventBus(), clock }, keySpace(`t${prefixN}`).health, origin, 60_000);
      return { h, sync };
    };
    const mine = mk('me');
    const theirs = mk('them');
    await s.link.redis.hold(keySpace(`t${prefixN}`).health, 'put', 'c', 'e', 10_000, 'me');
    await mine.sync.syncNow();
    await theirs.sync.syncNow();
    expect(mine.h.cooldownEnd(0)).toBeNull();
    expect(theirs.h.cooldownEnd(0)).toBeGreaterThan(9_000);
    mine.sync.stop();
    theirs.sync.stop();
  });

  it('a Retry-After cooldown propagates with its remaining time', async () => {
    prefixN++;
    const sa = await store();
    const sb = await store();
    const a = router(sa, (ep) => (ep.id === 'limited' ? { kind: 'status', status: 429, retryAfterMs: 20_000 } : { kind: 'ok' }));
    const b = router(sb, ok);
    await a.r.route({ model: 'm' });
    await sa.syncNow();
    await sb.syncNow();
    const c = b.r.candidates('m').find((x) => x.endpoint.id === 'limited')!;
    expect(c.health.state).toBe('cooldown');
    b.clock.tick(20_500); // the hold was ~20 s (minus the real ms the round trips took)
    expect(b.r.candidates('m').find((x) => x.endpoint.id === 'limited')!.health.state).toBe('healthy');
  });
});

describe('redis store: failure semantics', () => {
  it('Redis killed mid-run: routing continues on the local share, store_up 0, one log line; recovers when it returns', async () => {
    prefixN++;
    const log: string[] = [];
    const s = await store({ localShare: 0.5 }, log);
    const reg = new Registry();
    registerStoreMetrics(reg, s.link);
    const { r, clock } = router(s, ok);
    expect((await reg.getSingleMetricAsString('llm_router_store_up'))).toMatch(/llm_router_store_up 1/);
    await r.route({ model: 'm' });
    await s.syncNow();

    await redis.kill();
    await vi.waitFor(() => expect(s.link.up).toBe(false), { timeout: 5000, interval: 20 });
    clock.tick(60_000); // buckets full again
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await r.route({ model: 'm' })).endpoint.id);
    expect(ids.filter((x) => x === 'limited')).toHaveLength(2); // localShare 0.5 of 4 rpm
    expect(ids).toHaveLength(6); // no client request failed
    await s.syncNow(); // no-op while down: must not throw or hang
    expect(await reg.getSingleMetricAsString('llm_router_store_up')).toMatch(/llm_router_store_up 0/);
    expect(log.filter((l) => l.includes('unavailable'))).toHaveLength(1);

    await redis.restart();
    await vi.waitFor(() => expect(s.link.up).toBe(true), { timeout: 10_000, interval: 50 });
    expect(log.filter((l) => l.includes('is back'))).toHaveLength(1);
    clock.tick(60_000);
    await r.route({ model: 'm' });
    await s.syncNow();
    const key = keySpace(`t${prefixN}`).limit('limited', 'rpm');
    expect(Number(await s.link.redis.get(key))).toBeGreaterThan(0); // charges reach the new Redis again
  });

  it('a slow Redis (DEBUG SLEEP): routing never waits on it; sync gives up after command_timeout_ms and counts the error', async () => {
    prefixN++;
    const s = await store({ commandTimeoutMs: 100 });
    const { r } = router(s, ok);
    const blocker = await store();
    const sleeping = blocker.link.redis.call('DEBUG', 'SLEEP', '0.6').catch(() => undefined); // blocks the server, not this test
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await r.route({ model: 'm' })).endpoint.id); // answered without Redis
    expect(ids).toEqual(['limited', 'limited', 'limited']);
    await s.syncNow(); // resolves (timeouts), never throws
    expect([...s.link.errors.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await sleeping;
  });

  it('wrong password: a clear warning without the secret (an error when required)', async () => {
    const secured = await startRedis({ password: 'right-one' });
    try {
      const log: string[] = [];
      const url = `redis://:wrong-pw@127.0.0.1:${secured.port}`;
      const s = await store({ url, connectWaitMs: 1500 }, log);
      expect(s.link.up).toBe(false);
      expect(log.join('\n')).toMatch(/config\.store: cannot use redis at .*routing on local state/);
      expect(log.join('\n')).not.toContain('wrong-pw');
      const { r } = router(s, ok);
      expect((await r.route({ model: 'm' })).endpoint.id).toBe('limited'); // routes on local state
      await expect(store({ url, connectWaitMs: 1500, required: true })).rejects.toMatchObject({
        code: 'invalid_config',
        message: expect.stringMatching(/config\.store: cannot use redis .*store\.required/),
      });
      const good = await store({ url: `redis://:right-one@127.0.0.1:${secured.port}` });
      expect(good.link.up).toBe(true);
    } finally {
      await secured.stop();
    }
  });

  it('nothing listening: a warning within connectWaitMs, no hang', async () => {
    const log: string[] = [];
    const s = await store({ url: 'redis://127.0.0.1:1', connectWaitMs: 300 }, log);
    expect(s.link.up).toBe(false);
    expect(log[0]).toMatch(/unavailable|cannot use redis/);
    expect(await s.admitClient('k', 10)).toBeNull(); // caller decides locally
  });

  it('a bad store config names the field', () => {
    const base = { endpoints: [{ id: 'a', provider: 'p', model: 'm', baseUrl: 'http://127.0.0.1:1/v1' }] };
    expect(() => parseProxyConfig({ ...base, store: { kind: 'redis', url: 'http://x' } })).toThrow(/store\.url/);
    expect(() => parseProxyConfig({ ...base, store: { kind: 'redis', url: 'redis://x', sync_interval_ms: -1 } })).toThrow(/store\.sync_interval_ms/);
    expect(() => parseProxyConfig({ ...base, store: { kind: 'etcd' } })).toThrow(/store/);
    expect(() => parseProxyConfig({ ...base, store: { kind: 'redis', url: 'redis://h:port-not-a-number' } })).toThrow(/store\.url: a parseable URL/);
    const ok = parseProxyConfig({ ...base, store: { kind: 'redis', url: 'redis://127.0.0.1:6379', key_prefix: 'x' } });
    expect(ok.store).toMatchObject({ kind: 'redis', keyPrefix: 'x', syncIntervalMs: 100, required: false, localShare: 1 });
  });
});
