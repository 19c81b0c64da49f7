import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { createStrategy } from '../router/core/strategy.js';
import type { Candidate, RouteRequest } from '../router/core/types.js';
import '../router/strategies/index.js';
import { cand, makeCtx, withState } from './helpers/candidates.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

/**
 * prefix-affinity: the endpoint whose approximate index holds most of the request's
 * leading prefix blocks, within maxLoadGap of the least loaded; else the fallback.
 */

const set = (): Candidate[] => [cand('a'), cand('b'), cand('c')];
const withPrefix = (prefix: number[]): RouteRequest => ({ model: 'm', prefixHashes: prefix });

describe('prefix-affinity', () => {
  it('sends a prefix back where it was sent, and the longest match wins', () => {
    const s = createStrategy('prefix-affinity');
    const c = set();
    const ctx = makeCtx(1);
    const first = s.pick(c, withPrefix([1, 2, 3]), ctx).index; // no match: fallback (least-connections) records it
    for (let i = 0; i < 20; i++) {
      ctx.now += 1000;
      const p = s.pick(c, withPrefix([1, 2, 3, 100 + i]), ctx);
      expect(p.index).toBe(first);
      expect(p.reason).toMatch(/^prefix match 3\/4 blocks/);
    }
    // A conversation that grew on another endpoint: a longer match there beats a shorter one here.
    const other = (first + 1) % 3;
    const loaded = c.map((x, i) => (i === other ? x : withState(x, { stats: { inFlight: 3 } })));
    const moved = s.pick(loaded, withPrefix([7, 8]), ctx).index; // fallback picks the idle one
    expect(moved).toBe(other);
    expect(s.pick(c, withPrefix([7, 8, 9]), ctx).index).toBe(other);
    expect(s.pick(c, withPrefix([1, 2, 3, 4]), ctx).index).toBe(first);
  });

  it('leaves the warm endpoint once it is more than maxLoadGap busier (per unit weight) than the least loaded', () => {
    const s = createStrategy({ name: 'prefix-affinity', params: { maxLoadGap: 4 } });
    const c = set();
    const ctx = makeCtx(1);
    const home = s.pick(c, withPrefix([5, 6, 7]), ctx).index;
    const busy = (n: number) => c.map((x, i) => (i === home ? withState(x, { stats: { inFlight: n } }) : x));
    expect(s.pick(busy(4), withPrefix([5, 6]), ctx).index).toBe(home); // gap 4: stays
    const p = s.pick(busy(5), withPrefix([5, 6]), ctx); // gap 5 > 4: moves to the fallback's pick
    expect(p.index).not.toBe(home);
    expect(p.reason).toMatch(/least-connections/);
    // (that pick warmed a second endpoint: equal matches now go to the less loaded one)
    expect(s.pick(busy(1), withPrefix([5, 6]), ctx).index).toBe(p.index);
    // weight 2 halves the load: 8 in flight on weight 2 is a gap of 4
    const heavy = c.map((x, i) => (i === home ? cand(x.endpoint.id, { endpoint: { weight: 2 }, stats: { inFlight: 8 } }) : x));
    expect(s.pick(heavy, withPrefix([5, 6, 7]), ctx).index).toBe(home);
    expect(s.pick(heavy, withPrefix([9, 9]), ctx).index).not.toBe(home); // no match: the least loaded
  });

  it('a request without a usable prefix routes like the fallback strategy', () => {
    const s = createStrategy({ name: 'prefix-affinity', params: { fallback: 'round-robin' } });
    const rr = createStrategy('round-robin');
    const c = set();
    const ctx = makeCtx(1);
    const short = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }; // < 1 block
    for (const r of [{ model: 'm' }, short, withPrefix([])]) {
      const p = s.pick(c, r, ctx);
      expect(p.index).toBe(rr.pick(c, r, ctx).index);
      expect(p.reason).toMatch(/^no prefix block; round-robin/);
    }
  });

  it('forgets a prefix after ttlS and keeps at most indexBlocks blocks per endpoint', () => {
    const s = createStrategy({ name: 'prefix-affinity', params: { ttlS: 10, indexBlocks: 4, fallback: 'round-robin' } });
    const c = set();
    const ctx = makeCtx(1);
    s.pick(c, withPrefix([1, 2]), ctx);
    ctx.now = 9_999;
    expect(s.pick(c, withPrefix([1, 2]), ctx).reason).toMatch(/^prefix match 2\/2/);
    ctx.now = 9_999 + 10_000;
    expect(s.pick(c, withPrefix([1, 2]), ctx).reason).toMatch(/^best match 0\/2/);
    const t = createStrategy({ name: 'prefix-affinity', params: { indexBlocks: 4 } });
    t.pick(c, withPrefix([1, 2, 3, 4, 5, 6]), ctx); // 6 blocks into an index of 4: the oldest two go
    expect(t.pick(c, withPrefix([1, 2, 3, 4, 5, 6]), ctx).reason).toMatch(/^best match 0\/6/);
  });

  it('in the router (as in the proxy) it hashes messages by blocks: a conversation stays on one endpoint', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'ok', latencyMs: 10 }));
    const router = createRouter(threeEndpoints({ strategy: 'prefix-affinity' }), { transport: t, clock, random: seededRandom(1) });
    const system = (n: number) => ({ role: 'system', content: `System prompt ${n}. `.repeat(200) }); // ~3,800 chars: 1 block
    const served = new Map<number, Set<string>>();
    for (let turn = 0; turn < 6; turn++)
      for (const conv of [0, 1, 2, 3]) {
        const messages = [system(conv), ...Array.from({ length: turn }, (_, k) => ({ role: 'user', content: `turn ${k} of ${conv} `.repeat(120) }))];
        const r = await settle(clock, router.route({ model: 'm', messages }));
        if (!served.has(conv)) served.set(conv, new Set());
        served.get(conv)!.add(r.endpoint.id);
      }
    router.close();
    for (const [conv, ids] of served) expect([...ids], `conversation ${conv}`).toHaveLength(1);
  });

  it('bad params are config errors naming the param', () => {
    expect(() => createStrategy({ name: 'prefix-affinity', params: { indexBlocks: 0 } })).toThrow(/indexBlocks/);
    expect(() => createStrategy({ name: 'prefix-affinity', params: { fallback: 'nope' } })).toThrow(/params\.fallback: unknown strategy "nope"/);
  });
});

describe('prefix-affinity in npm run tune', () => {
  it('exposes its load trade-off and match threshold as tunable params', async () => {
    const { searchSpace } = await import('../scenarios/tune/space.js');
    const names = searchSpace('prefix-affinity', ['a', 'b']).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['params.maxLoadGap', 'params.minMatchBlocks']));
  });
});
