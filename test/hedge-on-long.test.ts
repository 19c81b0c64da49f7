/**
 * Long answers sent twice (hedging.onLong; router/request/try.ts): a request whose answer is
 * predicted to take more than overMs on its picked endpoint (mean recent latency + (maxTokens -
 * mean recent answer) x decode ms per token) gets a second attempt at once elsewhere; the first
 * answer wins. Router tests on an injected clock, then a bounded sim (brownout, 10 paired seeds,
 * about 3 s) that pins what it buys there: the p99 SLO that routing alone cannot meet.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { routerConfigSchema, type RouterConfigInput } from '../router/core/config.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { parseProxyConfig } from '../router/http/config.js';
import { scenarioRouterConfig } from '../scenarios/setup/router-config.js';
import { pairedAdvantage } from '../scenarios/stats/verdict.js';
import { loadForScript, simOnce } from '../scripts/sim-once.js';
import { FakeTransport, settle } from './helpers/fake-transport.js';

const ON = { hedging: { onLong: { enabled: true, overMs: 3_000 } } } as const;

/**
 * Two endpoints, round-robin; JSON requests (a stream is never sent twice); 4 warm-up answers of 101 tokens in 1,100 ms with the first token at
 * 100 ms (so 10 ms per token, mean answer 101 tokens). Then one request with `maxTokens`: a answers
 * it in 5,000 ms, b in 2,000.
 */
async function scene(maxTokens: number | undefined, extra: Partial<RouterConfigInput> = ON, opts: { failOne?: boolean; stream?: boolean } = {}) {
  const clock = new ManualClock();
  const warm = opts.failOne ? 6 : 4;
  const t = new FakeTransport(clock, (ep, req, n) =>
    opts.failOne && n === 4
      ? { kind: 'refuse' }
      : n < warm
        ? { kind: 'ok', latencyMs: 1_100, ttftMs: 100, usage: { inputTokens: 10, outputTokens: 101 } }
        : req.stream === true
          ? { kind: 'stream', chunks: ['x', 'y'], latencyMs: 100, chunkDelayMs: ep.id === 'a' ? 4_900 : 1_900 }
          : { kind: 'ok', latencyMs: ep.id === 'a' ? 5_000 : 2_000, usage: { inputTokens: 10, outputTokens: 300 } },
  );
  const config: RouterConfigInput = {
    endpoints: [
      { id: 'a', provider: 'pa', model: 'm' },
      { id: 'b', provider: 'pb', model: 'm' },
    ],
    strategy: 'round-robin',
    timeouts: { ttftMs: 10_000, totalMs: 20_000 },
    ...extra,
  };
  const router = createRouter(config, { transport: t, clock, random: seededRandom(1) });
  // With failOne: a 5th warm-up request whose first attempt is refused (retried on the other endpoint).
  for (let i = 0; i < (opts.failOne ? 5 : 4); i++) await settle(clock, router.route({ model: 'm' }));
  const start = clock.now();
  const r = await settle(clock, router.route({ model: 'm', maxTokens, stream: opts.stream }));
  return { t, start, r, clock, router, warm };
}

describe('hedging.onLong in the router (injected clock)', () => {
  it('off by default; enabling it without overMs is a config error that names the field', () => {
    const h = routerConfigSchema.parse({ endpoints: [{ provider: 'p', model: 'm' }] }).hedging;
    expect(h.onLong).toEqual({ enabled: false, maxBudgetShare: 0.5, maxPriceRatio: 1.5, maxFailureRate: 0.05 });
    const bad = routerConfigSchema.safeParse({ endpoints: [{ provider: 'p', model: 'm' }], hedging: { onLong: { enabled: true } } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => [i.path.join('.'), i.message])).toContainEqual(['hedging.onLong.overMs', 'required when enabled']);
  });

  it('sends a request predicted over overMs twice at once; the first answer wins and the other is aborted', async () => {
    // Predicted on a: 1,100 + (400 - 101) x 10 = 4,090 ms > 3,000.
    const { t, start, r, clock } = await scene(400);
    const calls = t.calls.slice(4).map((c) => [c.endpointId, c.at - start]);
    expect(calls).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    expect(r.endpoint.id).toBe('b');
    expect(clock.now() - start).toBe(2_000);
    expect(t.calls[4]!.abortedAt).toBe(start + 2_000);
  });

  it('does not when the prediction is under overMs, when the request has no max_tokens, or when off', async () => {
    // 1,100 + (200 - 101) x 10 = 2,090 ms.
    for (const [maxTokens, extra] of [[200, ON], [undefined, ON], [400, {}]] as const) {
      const { t, r, start, clock } = await scene(maxTokens, extra);
      expect(t.calls.slice(4).map((c) => c.endpointId)).toEqual(['a']);
      expect(r.endpoint.id).toBe('a');
      expect(clock.now() - start).toBe(5_000);
    }
  });

  it('never a stream (its race is won by the first chunk, not by the end of the answer)', async () => {
    const { t, warm } = await scene(400, ON, { stream: true });
    expect(t.calls.length).toBe(warm + 1);
  });

  it('the second attempt goes only to endpoints at most maxPriceRatio x the primary price: none here, so it is sent once', async () => {
    const endpoints = [
      { id: 'a', provider: 'pa', model: 'm', price: { input: 1, output: 1 } },
      { id: 'b', provider: 'pb', model: 'm', price: { input: 2, output: 2 } },
    ];
    const { t, warm } = await scene(400, { ...ON, endpoints });
    expect(t.calls.length).toBe(warm + 1);
    const allowed = await scene(400, { hedging: { onLong: { enabled: true, overMs: 3_000, maxPriceRatio: 2 } }, endpoints });
    expect(allowed.t.calls.length).toBe(allowed.warm + 2);
  });

  it('not while the model group failed over maxFailureRate of its requests in the stats window (1 of 6 here)', async () => {
    const { t, r, warm } = await scene(400, ON, { failOne: true });
    expect(t.calls.length).toBe(warm + 1);
    expect(r.endpoint.id).toBe(t.calls[warm]!.endpointId);
    const allowed = await scene(400, { hedging: { onLong: { enabled: true, overMs: 3_000, maxFailureRate: 0.2 } } }, { failOne: true });
    expect(allowed.t.calls.length).toBe(allowed.warm + 2);
  });

  it('not once the retry budget has spent maxBudgetShare of its window: the rest stays for retries', async () => {
    // An allowance of 4 retries per 10 s window: two long requests take 2 (half), the third is sent once.
    const budget = { budgetRatio: 0, budgetMinPerSecond: 0.4 };
    for (const [share, third] of [[0.5, 1], [1, 2]] as const) {
      const { t, clock, router, warm } = await scene(400, { hedging: { onLong: { enabled: true, overMs: 3_000, maxBudgetShare: share } }, retry: budget });
      await settle(clock, router.route({ model: 'm', maxTokens: 400 }));
      expect(t.calls.length).toBe(warm + 4);
      await settle(clock, router.route({ model: 'm', maxTokens: 400 }));
      expect(t.calls.length - warm - 4).toBe(third);
    }
  });

  it('never to a fallback model: only another endpoint of the primary model group (here none: sent once)', async () => {
    const extra: Partial<RouterConfigInput> = {
      ...ON,
      endpoints: [
        { id: 'a', provider: 'pa', model: 'm' },
        { id: 'b', provider: 'pb', model: 'm2' },
      ],
      fallbacks: { m: ['m2'] },
    };
    const clock = new ManualClock();
    const t = new FakeTransport(clock, (ep, _req, n) =>
      n < 4 ? { kind: 'ok', latencyMs: 1_100, ttftMs: 100, usage: { inputTokens: 10, outputTokens: 101 } } : { kind: 'ok', latencyMs: ep.id === 'a' ? 5_000 : 2_000 },
    );
    const router = createRouter({ ...extra, strategy: 'round-robin', timeouts: { ttftMs: 10_000, totalMs: 20_000 } } as RouterConfigInput, { transport: t, clock, random: seededRandom(1) });
    for (let i = 0; i < 4; i++) await settle(clock, router.route({ model: i % 2 ? 'm2' : 'm' }));
    const r = await settle(clock, router.route({ model: 'm', maxTokens: 400 }));
    expect(t.calls.slice(4).map((c) => c.endpointId)).toEqual(['a']);
    expect(r.endpoint.id).toBe('a');
  });

  it('when the second attempt cannot go after all (b at its rate limit), its retry goes back and the timed hedge still runs', async () => {
    // b's bucket: 2 requests, refilled one per 5 s; its warm-ups (at 1.1 and 3.3 s) leave it short
    // at 4.4 s, refilled by the timed hedge at 6.9 s. An allowance of one retry: had the onLong
    // retry not been given back, the timed hedge would have been refused.
    const endpoints = [
      { id: 'a', provider: 'pa', model: 'm' },
      { id: 'b', provider: 'pb', model: 'm', limits: { rpm: 12, windowMs: 10_000 } },
    ];
    const extra = { hedging: { enabled: true, delayMs: 2_500, onLong: { enabled: true, overMs: 3_000, maxBudgetShare: 1 } }, retry: { budgetRatio: 0, budgetMinPerSecond: 0.1 }, endpoints };
    const { t, start, r, clock } = await scene(400, extra as Partial<RouterConfigInput>);
    expect(t.calls.slice(4).map((c) => [c.endpointId, c.at - start])).toEqual([
      ['a', 0],
      ['b', 2_500],
    ]);
    expect(r.endpoint.id).toBe('b');
    expect(clock.now() - start).toBe(4_500);
  });

  it('the proxy config takes it in snake_case (on_long.over_ms)', () => {
    const c = parseProxyConfig({
      endpoints: [{ id: 'a', provider: 'p', model: 'm', base_url: 'http://127.0.0.1:9/v1' }],
      hedging: { on_long: { enabled: true, over_ms: 2_500 } },
    });
    expect((c.router.hedging as { onLong: unknown }).onLong).toEqual({ enabled: true, overMs: 2_500 });
  });

  it('names a missing over_ms as the file spells its neighbours (snake_case), camelCase when they are', () => {
    const endpoints = [{ id: 'a', provider: 'p', model: 'm', base_url: 'http://127.0.0.1:9/v1' }];
    expect(() => parseProxyConfig({ endpoints, hedging: { on_long: { enabled: true, max_price_ratio: 1.2 } } })).toThrow(
      /hedging\.on_long\.over_ms: required when enabled/,
    );
    expect(() => parseProxyConfig({ endpoints, hedging: { onLong: { enabled: true } } })).toThrow(/hedging\.onLong\.overMs: required when enabled/);
  });
});

describe('hedging.onLong in the simulator (brownout, adaptive, 10 paired seeds)', () => {
  it("meets brownout's 4 s p99 SLO with overMs 2,000, which adaptive alone misses, for under 20% more attempt spend", async () => {
    const s = loadForScript('brownout');
    if (typeof s === 'number') throw new Error('brownout did not load');
    const base = scenarioRouterConfig(s.scenario, s.providers, 'adaptive');
    const run = async (seed: number, on: boolean) =>
      (await simOnce(s, 'adaptive', seed, { oracle: false, ...(on ? { router: { ...base, hedging: { ...base.hedging, onLong: { enabled: true, overMs: 2_000 } } } } : {}) })).result.summary;
    const off: number[] = [];
    const on: number[] = [];
    let spendOff = 0;
    let spendOn = 0;
    for (let seed = s.scenario.seed; seed < s.scenario.seed + 10; seed++) {
      const [a, b] = [await run(seed, false), await run(seed, true)];
      off.push(a.latencyMs.p99);
      on.push(b.latencyMs.p99);
      spendOff += a.attemptCostPer1kOk!;
      spendOn += b.attemptCostPer1kOk!;
    }
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    // Measured: 4,088 ms without, 3,818 [3,700, 3,937] with; attempt spend (losers billed in full) +13%.
    expect(mean(off)).toBeGreaterThan(4_000);
    expect(mean(on)).toBeLessThan(3_900);
    const adv = pairedAdvantage(on, off, 'lower', 0.95);
    expect(adv.lo).toBeGreaterThan(0);
    expect(spendOn / spendOff).toBeGreaterThan(1.05);
    expect(spendOn / spendOff).toBeLessThan(1.2);
  }, 60_000);
});
