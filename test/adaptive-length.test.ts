/**
 * adaptive's long answers (params.length): a request whose maxTokens is well above the answers the
 * candidates have been serving is weighed by its predicted latency on each, so a slow decoder that
 * is cheap and fine for short answers does not get the long ones. Virtual time, fixed seeds.
 */
import { describe, expect, it } from 'vitest';
import '../router/strategies/index.js';
import { createStrategy, type Strategy } from '../router/core/strategy.js';
import { EndpointStats } from '../router/core/stats.js';
import { endpointSchema, normalizeEndpoint, statsSchema } from '../router/core/config.js';
import type { Candidate } from '../router/core/types.js';
import { loadForScript, simOnce } from '../scripts/sim-once.js';
import { tInterval } from '../scenarios/stats/confidence.js';
import { cand, makeCtx } from './helpers/candidates.js';

// trace-replay's two non-rate-capped hosts: openai-mini (75 tokens/s, blended 0.375 USD/1M) and
// groq (275 tokens/s, 0.69: past the price gap's 1.5x margin), both serving ~20-token answers.
const common = { successRate: 1, windowRequests: 50, recentOutputTokens: 20 };
const slowCheap = cand('slow-cheap', { stats: { ...common, latencyMs: 700, decodeMsPerToken: 13.3 }, endpoint: { price: { input: 0.15, output: 0.6 } } });
const fastDear = cand('fast-dear', { stats: { ...common, latencyMs: 500, decodeMsPerToken: 3.6 }, endpoint: { price: { input: 0.59, output: 0.79 } } });

/** Share of `id` over 2,000 picks (one per virtual ms) of requests asking for up to maxTokens. */
function shareOf(s: Strategy, cs: readonly Candidate[], id: string, maxTokens: number | undefined): number {
  const ctx = makeCtx(1);
  let hits = 0;
  for (let i = 0; i < 2_000; i++) {
    if (cs[s.pick(cs, { model: 'm', ...(maxTokens !== undefined ? { maxTokens } : {}) }, ctx).index]!.endpoint.id === id) hits += 1;
    ctx.now += 1;
  }
  return hits / 2_000;
}

describe('adaptive: long answers', () => {
  const cs = [slowCheap, fastDear];

  it('short answers (or no maxTokens) go to the cheap slow decoder; 300-token answers to the fast one', () => {
    const s = createStrategy('adaptive');
    expect(shareOf(s, cs, 'fast-dear', undefined)).toBeLessThan(0.02);
    expect(shareOf(createStrategy('adaptive'), cs, 'fast-dear', 25)).toBeLessThan(0.02); // 25 < 1.5 x 20: not long
    // Predicted 700 + 280 x 13.3 = 4.4 s against 500 + 280 x 3.6 = 1.5 s.
    expect(shareOf(createStrategy('adaptive'), cs, 'fast-dear', 300)).toBeGreaterThan(0.9);
  });

  it('at equal decode rates, a long answer goes to the host with the lower latency (a queued host is not favoured)', () => {
    // Same price and decode rate; 'queued' answers in 1.5 s, 'idle' in 0.5 s. A first version
    // scored lat^6 / t^9 and sent most long answers to the queued host.
    const same = { price: { input: 0.15, output: 0.6 } };
    const idle = cand('idle', { stats: { ...common, latencyMs: 500, decodeMsPerToken: 5 }, endpoint: same });
    const queued = cand('queued', { stats: { ...common, latencyMs: 1500, decodeMsPerToken: 5 }, endpoint: same });
    const short = shareOf(createStrategy('adaptive'), [idle, queued], 'idle', undefined);
    const long = shareOf(createStrategy('adaptive'), [idle, queued], 'idle', 600);
    expect(short).toBeGreaterThan(0.6);
    expect(long).toBeGreaterThan(0.6);
  });

  it('length.enabled false: maxTokens changes nothing', () => {
    const s = createStrategy({ name: 'adaptive', params: { length: { enabled: false } } });
    expect(shareOf(s, cs, 'fast-dear', 300)).toBeLessThan(0.02);
  });

  it('without a decode rate on any candidate (no streams with usage yet), long requests are picked as short ones', () => {
    const noRate = cs.map((c) => cand(c.endpoint.id, { stats: { ...c.stats, decodeMsPerToken: null }, endpoint: c.endpoint }));
    expect(shareOf(createStrategy('adaptive'), noRate, 'fast-dear', 300)).toBeLessThan(0.02);
  });
});

describe('EndpointStats: decode ms per token and recent answer length', () => {
  it('averages (latency - ttft) / (outputTokens - 1) and the recent answers\' output tokens', () => {
    const ep = normalizeEndpoint(endpointSchema.parse({ id: 'e', provider: 'p', model: 'm', price: { input: 1, output: 1 } }));
    const s = new EndpointStats(ep, statsSchema.parse({}));
    expect(s.snapshot(0).decodeMsPerToken).toBeNull();
    expect(s.snapshot(0).recentOutputTokens).toBeNull();
    s.onEnd({ ok: true, latencyMs: 1_400, ttftMs: 400, usage: { inputTokens: 10, outputTokens: 101 } }, 10); // 10 ms/token
    s.onEnd({ ok: true, latencyMs: 600, ttftMs: 400, usage: { inputTokens: 10, outputTokens: 11 } }, 20); // 20 ms/token
    s.onEnd({ ok: true, latencyMs: 300 }, 30); // no usage: 0 tokens, no rate sample
    const snap = s.snapshot(30);
    expect(snap.decodeMsPerToken).toBeCloseTo(10 + 0.1 * (20 - 10), 9);
    expect(snap.recentOutputTokens).toBeCloseTo((101 + 11 + 0) / 3, 9);
  });
});

describe('trace-replay (sim, 10 paired seeds)', () => {
  it('adaptive serves significantly more requests within the 4 s SLO than round-robin (main: -0.067 req/s [-0.136, 0.002])', async () => {
    const s = loadForScript('trace-replay');
    if (s === 2) throw new Error('cannot load trace-replay');
    const diffs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const seed = s.scenario.seed + i;
      const run = async (strategy: string) => (await simOnce(s, strategy, seed, { oracle: false, goodputSloMs: s.sloMs })).result.summary.goodputRps!;
      diffs.push((await run('adaptive')) - (await run('round-robin')));
    }
    const t = tInterval(diffs);
    // Measured: +0.152 req/s [0.066, 0.238].
    expect(t.lo).toBeGreaterThan(0);
  }, 60_000);
});
