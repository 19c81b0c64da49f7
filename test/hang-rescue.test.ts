/**
 * Hang rescue (hedging.onHang, on by default with adaptive; router/request/try.ts): a try whose first attempt
 * has no first byte while its endpoint looks hung (the 4th attempt started after its
 * latest-answered one has waited over max(2.5 x its answer lag, 250 ms)) and another endpoint
 * still answers starts one hedge elsewhere. Router tests on an injected clock, then a bounded
 * sim (brownout and capacity, 3 seeds each, about 3 s) that pins what it buys and what it costs.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { routerConfigSchema, type RouterConfigInput } from '../router/core/config.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { scenarioRouterConfig } from '../scenarios/setup/router-config.js';
import { workloadSpec } from '../scenarios/modes/sim-mode.js';
import { runSim } from '../simulator/run.js';
import { loadForScript } from '../scripts/sim-once.js';
import { FakeTransport, settle } from './helpers/fake-transport.js';

const two = (extra: Partial<RouterConfigInput> = {}): RouterConfigInput => ({
  endpoints: [
    { id: 'a', provider: 'pa', model: 'm' },
    { id: 'b', provider: 'pb', model: 'm' },
  ],
  strategy: 'round-robin',
  timeouts: { ttftMs: 5_000, totalMs: 20_000 },
  ...extra,
});

/** 4 warm-up requests (100 ms each, 2 per endpoint), then `hung` endpoints hang; 8 requests at once. */
async function scene(hung: string[], extra: Partial<RouterConfigInput> = { hedging: { onHang: { enabled: true } } }) {
  const clock = new ManualClock();
  const t = new FakeTransport(clock, (ep, _req, n) => (n >= 4 && hung.includes(ep.id) ? { kind: 'hang' } : { kind: 'ok', latencyMs: 100 }));
  const router = createRouter(two(extra), { transport: t, clock, random: seededRandom(1) });
  for (let i = 0; i < 4; i++) await settle(clock, router.route({ model: 'm' }));
  const start = clock.now();
  const done: [string, number][] = [];
  const all = Promise.all(
    Array.from({ length: 8 }, () => router.route({ model: 'm' }).then((r) => void done.push([r.endpoint.id, clock.now() - start]), () => void done.push(['failed', clock.now() - start]))),
  );
  return { clock, t, start, done, all };
}

describe('hang rescue in the router (injected clock)', () => {
  it('defaults: auto (on with adaptive), 2.5x the answer lag (at least 250 ms), only while another endpoint has been silent under half as long and none other is hung', () => {
    const h = routerConfigSchema.parse({ endpoints: [{ provider: 'p', model: 'm' }] }).hedging;
    expect(h.onHang).toEqual({ enabled: 'auto', lagFactor: 2.5, minMs: 250, staleRatio: 2, soleHung: true, maxPriceRatio: 1.5 });
  });

  it('moves the attempts waiting on a host that fell silent to another one as soon as it counts as hung', async () => {
    const { clock, t, start, done, all } = await scene(['a']);
    await settle(clock, all);
    // a's 4 requests started at 0; its 4th has waited over max(2.5 x 100, 250) ms at 251: hedged to b.
    const hedges = t.calls.slice(12).map((c) => [c.endpointId, c.at - start]);
    expect(hedges).toEqual([
      ['b', 251],
      ['b', 251],
      ['b', 251],
      ['b', 251],
    ]);
    expect(done.filter(([, ms]) => ms === 351).map(([id]) => id)).toEqual(['b', 'b', 'b', 'b']);
    // The hung primaries were aborted when their hedges won.
    expect(t.calls.slice(4, 12).filter((c) => c.endpointId === 'a').every((c) => c.abortedAt === start + 351)).toBe(true);
  });

  it("auto (the default) rescues with adaptive only: round-robin's requests wait for the TTFT timeout", async () => {
    const { clock, t, start, all } = await scene(['a'], {});
    await settle(clock, all);
    expect(t.calls.slice(12).every((c) => c.at - start >= 5_000)).toBe(true);
  });

  it('off (onHang.enabled false): they wait for the TTFT timeout', async () => {
    const { clock, t, start, done, all } = await scene(['a'], { hedging: { onHang: { enabled: false } } });
    await settle(clock, all);
    expect(t.calls.slice(12).every((c) => c.at - start >= 5_000)).toBe(true);
    expect(Math.max(...done.map(([, ms]) => ms))).toBeGreaterThanOrEqual(5_000);
  });

  it('no rescue when every host hangs (nowhere better to go): the fleet is not doubled', async () => {
    const { clock, t, start, all } = await scene(['a', 'b']);
    await clock.advance(4_000);
    expect(t.calls.length).toBe(12); // 4 warm-up + 8, no hedge before the TTFT timeout
    await settle(clock, all);
    expect(t.calls.slice(12).every((c) => c.at - start >= 5_000)).toBe(true);
  });
});

describe('where the hang rescue hedges', () => {
  it('only to endpoints that opened its gate: round-robin over prices 1, 1.2 and 10 never rescues to the 10x host', async () => {
    const clock = new ManualClock();
    const hungFrom = 6;
    const t = new FakeTransport(clock, (ep, _req, n) => (n >= hungFrom && ep.id === 'a' ? { kind: 'hang' } : { kind: 'ok', latencyMs: 100 }));
    const cfg: RouterConfigInput = {
      endpoints: [
        { id: 'a', provider: 'pa', model: 'm', price: { input: 1, output: 1 } },
        { id: 'b', provider: 'pb', model: 'm', price: { input: 1.2, output: 1.2 } },
        { id: 'c', provider: 'pc', model: 'm', price: { input: 10, output: 10 } },
      ],
      strategy: 'round-robin',
      timeouts: { ttftMs: 5_000, totalMs: 20_000 },
      hedging: { onHang: { enabled: true } },
    };
    const router = createRouter(cfg, { transport: t, clock, random: seededRandom(1) });
    for (let i = 0; i < hungFrom; i++) await settle(clock, router.route({ model: 'm' }));
    const start = clock.now();
    const all = Promise.all(Array.from({ length: 12 }, () => router.route({ model: 'm' }).then((r) => r.endpoint.id)));
    const ids = await settle(clock, all);
    // 4 of the 12 waited on a; each was rescued at 251 ms, on b (on main: b, c, b, c).
    const hedges = t.calls.slice(hungFrom + 12).map((c) => [c.endpointId, c.at - start]);
    expect(hedges).toEqual([
      ['b', 251],
      ['b', 251],
      ['b', 251],
      ['b', 251],
    ]);
    expect(ids.filter((id) => id === 'c')).toHaveLength(4); // only c's own share
  });

  it('keeps looking while the endpoints that opened the gate cannot take a hedge yet (here: b is held by its rate limit)', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep, _req, n) => (n >= 4 && ep.id === 'a' ? { kind: 'hang' } : { kind: 'ok', latencyMs: 100 }));
    // b: 60 rpm with a 1 s burst window: one request a second.
    const cfg = two({ hedging: { onHang: { enabled: true } } });
    cfg.endpoints[1] = { ...cfg.endpoints[1]!, limits: { rpm: 60, windowMs: 1_000 } };
    const router = createRouter(cfg, { transport: t, clock, random: seededRandom(1) });
    for (let i = 0; i < 4; i++) await settle(clock, router.route({ model: 'm' }));
    expect(t.calls.map((c) => c.endpointId)).toEqual(['a', 'b', 'a', 'a']);
    const start = clock.now();
    const done: number[] = [];
    const all = Promise.all(Array.from({ length: 4 }, () => router.route({ model: 'm' }).then(() => void done.push(clock.now() - start))));
    await settle(clock, all);
    // All 4 wait on a (b has no token); a counts as hung at 251 ms, when b has none yet either.
    // Each rescue then goes to b at the first look (every 125 ms) after b may take one (one a second),
    // not after the 5 s TTFT timeout.
    // (Before: the first look found nowhere to go and gave up: all 4 waited for the TTFT timeout.)
    expect(t.calls.slice(8).map((c) => [c.endpointId, c.at - start])).toEqual([
      ['b', 751],
      ['b', 1751],
      ['b', 2751],
      ['b', 3751],
    ]);
    expect(done).toEqual([851, 1851, 2851, 3851]);
  });
});

describe('hang rescue in the simulator (adaptive, paired seeds)', () => {
  async function summary(name: string, seed: number, onHang: boolean) {
    const s = loadForScript(name);
    if (s === 2) throw new Error(`cannot load ${name}`);
    // adaptive without its long-answer rule (length), which moves these tails on its own: what is
    // pinned here is what the rescue adds, on and off over the same strategy.
    const router = { ...scenarioRouterConfig(s.scenario, s.providers, 'adaptive'), strategy: { name: 'adaptive', params: { length: { enabled: false } } } };
    const r = await runSim({
      router: onHang ? router : { ...router, hedging: { ...router.hedging, onHang: { enabled: false } } },
      providers: s.providers.map((p) => ({ id: p.id, profile: p.profile })),
      workload: workloadSpec(s.scenario, s.durationS),
      seed,
      label: 'adaptive',
      model: s.scenario.model,
      oracle: false,
    });
    return r.result.summary;
  }

  it('brownout: the requests caught on the browned-out host are rescued (p99 under 4.5 s, was over 5 s)', async () => {
    for (const seed of [2, 3, 4]) {
      const [off, on] = [await summary('brownout', seed, false), await summary('brownout', seed, true)];
      expect(off.latencyMs.p99).toBeGreaterThan(5_000);
      expect(on.latencyMs.p99).toBeLessThan(4_500);
      expect(on.attemptsPerRequest - off.attemptsPerRequest).toBeLessThan(0.03);
    }
  }, 60_000);

  it('capacity (a fleet near saturation, where hedges only add load): about 1% extra attempts, p99 within 5%', async () => {
    let extra = 0;
    let p99Off = 0;
    let p99On = 0;
    for (const seed of [9, 10, 11]) {
      const [off, on] = [await summary('capacity', seed, false), await summary('capacity', seed, true)];
      extra += (on.attemptsPerRequest - off.attemptsPerRequest) / 3;
      p99Off += off.latencyMs.p99;
      p99On += on.latencyMs.p99;
    }
    // With lagFactor 2 and no gate: +8% attempts and p99 +1.2 s over 10 seeds (README).
    expect(extra).toBeLessThan(0.015);
    expect(p99On / p99Off).toBeLessThan(1.05);
  }, 60_000);
});
