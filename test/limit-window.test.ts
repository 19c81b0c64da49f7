import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { parseRouterConfig } from '../router/core/config.js';
import { EventBus } from '../router/core/events.js';
import { parseProxyConfig } from '../router/http/config.js';
import { Admission } from '../router/core/rate-limit.js';
import type { Endpoint } from '../router/core/types.js';
import { storeSchema } from '../router/store/config.js';
import { createRedisStore, type RedisStore } from '../router/store/redis-store.js';
import { SharedBucket } from '../router/store/shared-bucket.js';
import { loadScenario } from '../scenarios/setup/load.js';
import { resolveProviders } from '../scenarios/setup/resolve.js';
import { scenarioRouterConfig } from '../scenarios/setup/router-config.js';
import { startRedis, type TestRedis } from './helpers/redis-server.js';

/**
 * An endpoint limit's burst under http mode's time compression (issue #16's sim-vs-http
 * finding). A limit of L per minute holds one minute's worth (L) at once. At speed k the
 * rate is L x k per wall minute, and the burst must stay L requests: scaling the rate alone
 * made the bucket hold L x k, so replicas-outage's 300 RPM router limit let 600 requests
 * through at once at speed 2 and never bound over http (the cheap host got as much traffic
 * with shared state as with none), while in sim it held at 750 in 90 s.
 */

/** Requests an Admission lets through at `now`, one at a time, until it says wait. */
function drain(a: Admission, now: number): number {
  let n = 0;
  while (a.waitMs(0, now) === 0 && n < 100_000) {
    a.take(0, now);
    n++;
  }
  return n;
}

function cheapEndpoint(speed: number): Endpoint {
  const { scenario, file } = loadScenario('replicas-outage');
  const cfg = scenarioRouterConfig(scenario, resolveProviders(scenario, file), 'cost@shared', { speed });
  return parseRouterConfig(cfg).endpoints.find((e) => e.id === 'cheap')!;
}

describe('endpoint limits under time compression', () => {
  it.each([1, 2, 5])('speed %i: the 300 RPM limit admits 300 at once and 300 more per scenario minute', (k) => {
    const a = Admission.for(cheapEndpoint(k), 0)!;
    expect(drain(a, 0)).toBe(300);
    expect(drain(a, 30_000 / k)).toBe(150); // half a scenario minute later
    expect(drain(a, 90_000 / k)).toBe(300); // a full one after that
  });

  it('windowMs: the bucket holds that span of refill; the rate is still per minute', () => {
    const [e] = parseRouterConfig({ endpoints: [{ provider: 'p', model: 'm', limits: { rpm: 600, windowMs: 30_000 } }] }).endpoints;
    const a = Admission.for(e!, 0)!;
    expect(drain(a, 0)).toBe(300);
    expect(drain(a, 1_000)).toBe(10); // 600 per minute = 10 per s
    expect(drain(a, 100_000)).toBe(300); // capped at the window's worth
    expect(() => parseRouterConfig({ endpoints: [{ provider: 'p', model: 'm', limits: { rpm: 1, windowMs: 0 } }] })).toThrow(/limits\.windowMs/);
    // The proxy's file spells it window_ms.
    const proxy = parseProxyConfig({ endpoints: [{ provider: 'p', model: 'm', base_url: 'http://127.0.0.1:1', limits: { rpm: 600, window_ms: 30_000 } }] });
    expect(parseRouterConfig(proxy.router).endpoints[0]!.limits).toEqual({ rpm: 600, windowMs: 30_000 });
  });

  it("a replica's shared estimate: capacity is the window's worth, a reply's backlog counts at the per-minute rate", () => {
    const b = new SharedBucket(600, 0.25, 0, 30_000); // 600/min, holds 300, this replica assumes 150/min of refill
    b.take(300, 0);
    expect(b.waitMs(1, 0)).toBeCloseTo(1 / (150 / 60_000), 6);
    b.reply(10_000, 300, 0, 0); // the shared backlog is 10 s: 100 units spent at 600/min
    expect(b.waitMs(200, 0)).toBe(0);
    expect(b.waitMs(201, 0)).toBeCloseTo(1 / (150 / 60_000), 6);
  });
});

describe('endpoint limits under time compression: four replicas sharing one redis-server', () => {
  let redis: TestRedis;
  const stores: RedisStore[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
  });

  it('at speed 2 the replicas together admit the scenario burst (300), not twice it', async () => {
    const cfg = storeSchema.parse({ kind: 'redis', url: redis.url, keyPrefix: 'window', localShare: 0.25, connectWaitMs: 3000, required: true });
    for (let i = 0; i < 4; i++) stores.push(await createRedisStore(cfg as Extract<typeof cfg, { kind: 'redis' }>, { log: () => {} }));
    const ep = cheapEndpoint(2);
    const clock = new ManualClock();
    const adm = stores.map((s) => s.admission(ep, clock)!);
    // Attached (no endpoints' health here): syncNow then also re-reads the shared limit levels.
    const stops = stores.map((s) => s.attach({ health: new Map(), bus: new EventBus(), clock }));
    // Replica 0 spends what it sees; the others learn the shared level (a PING barrier: charges landed, refreshes read).
    const first = drain(adm[0]!, clock.now());
    await stores[0]!.syncNow();
    for (const s of stores) await s.syncNow();
    const others = adm.slice(1).reduce((n, a) => n + drain(a, clock.now()), 0);
    expect(first).toBe(300);
    // Real time passes between the charges and the re-reads (Redis keeps its own clock): at 600 per
    // wall minute that refills 1 per 100 ms; allow 5 (half a second of a loaded machine).
    expect(others).toBeLessThanOrEqual(5);
    for (const stop of stops) stop();
  });
});
