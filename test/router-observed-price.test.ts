/**
 * Observed prices: when an upstream reports what it billed (usage.costUsd), the stats
 * keep billed / list as a price factor that fades back to 1, and price-aware strategies
 * compare current prices. A provider whose price triples loses `cost` traffic at once and
 * is tried again once the memory has faded.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { createRouter } from '../router/index.js';
import { seededRandom } from '../router/core/random.js';
import { usageOf } from '../router/transport/http.js';
import { FakeTransport, settle } from './helpers/fake-transport.js';

const LIST = { cheap: { input: 1, output: 1 }, mid: { input: 2, output: 2 } };

describe('observed price', () => {
  it('cost strategy leaves an endpoint whose billed price tripled, and returns after priceMemoryMs', async () => {
    const clock = new ManualClock();
    let factor = 1; // what "cheap" bills relative to its list price
    const transport = new FakeTransport(clock, (ep) => {
      const list = ep.id === 'cheap' ? LIST.cheap : LIST.mid;
      const f = ep.id === 'cheap' ? factor : 1;
      const usage = { inputTokens: 1000, outputTokens: 1000 };
      return { kind: 'ok', latencyMs: 10, usage: { ...usage, costUsd: (f * (1000 * list.input + 1000 * list.output)) / 1e6 } };
    });
    const router = createRouter(
      {
        endpoints: [
          { id: 'cheap', provider: 'a', model: 'm', price: LIST.cheap },
          { id: 'mid', provider: 'b', model: 'm', price: LIST.mid },
        ],
        strategy: 'cost',
        stats: { priceMemoryMs: 60_000 },
      },
      { transport, clock, random: seededRandom(1) },
    );
    const served = async (): Promise<string> => (await settle(clock, router.route({ model: 'm' }))).endpoint.id;

    expect(await served()).toBe('cheap');
    factor = 3; // the provider triples its price; the router's config does not know
    expect(await served()).toBe('cheap'); // this response reveals the new price
    expect(await served()).toBe('mid');
    const cheap = router.candidates('m').find((c) => c.endpoint.id === 'cheap')!;
    expect(cheap.stats.priceFactor).toBeCloseTo(3, 2); // 10 ms of fading since

    // f(t) = 1 + 2 e^(-t/60s) drops below 2 (mid's relative price) after 60 s * ln 2 ≈ 41.6 s.
    await clock.advance(40_000);
    expect(await served()).toBe('mid');
    await clock.advance(2_000);
    factor = 1; // the price went back down meanwhile
    expect(await served()).toBe('cheap');
    expect(await served()).toBe('cheap');
    router.close();
  });

  it('the HTTP transport reads a billed usage.cost and ignores garbage', () => {
    expect(usageOf({ usage: { prompt_tokens: 3, completion_tokens: 4, cost: 0.002 } })).toEqual({
      inputTokens: 3,
      outputTokens: 4,
      costUsd: 0.002,
    });
    expect(usageOf({ usage: { prompt_tokens: 3, completion_tokens: 4, cost: 'free' } })).toEqual({ inputTokens: 3, outputTokens: 4 });
    expect(usageOf({ usage: { prompt_tokens: 3, completion_tokens: 4, cost: -1 } })).toEqual({ inputTokens: 3, outputTokens: 4 });
  });
});
