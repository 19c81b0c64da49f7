import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { BlockLru, prefixBlockHashes } from '../router/strategies/prefix-blocks.js';
import { createProviderHandlers } from '../simulator/msw.js';
import { createProviderModel, createProviderState } from '../simulator/model.js';
import { parseProfile, ProfileError } from '../simulator/profile.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import { loadScenario, parseScenario } from '../scenarios/setup/load.js';
import { resolveProviders } from '../scenarios/setup/resolve.js';
import type { SimRequest } from '../simulator/types.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

/**
 * The provider prompt cache (simulator/prompt-cache.ts): block LRU semantics, billing at
 * the cache-read/write prices, TTFT cut by the cached share of prefill, and the same
 * cache in the real mock server and the msw handlers (usage.prompt_tokens_details).
 */

const cache = { capacityBlocks: 8, ttlS: 60, readPrice: 0.1, prefillShare: 0.8 };
const cached = parseProfile(baseProfile({ ...noFail, id: 'c', cache }), 'cached');
const plain = parseProfile(baseProfile({ ...noFail, id: 'c' }), 'plain');

function req(id: number, prefix: number[] | undefined, inputTokens = 2048): SimRequest {
  return { id, arrivalMs: 0, promptClass: 'general', prompt: 'p', inputTokens, outputTokens: 10, stream: false, sessionKey: 's', ...(prefix ? { prefix } : {}) };
}

describe('BlockLru', () => {
  it('matches leading blocks only, expires after the TTL, evicts the least recently used', () => {
    const lru = new BlockLru(4, 1000);
    lru.insert([1, 2, 3], 0);
    expect(lru.match([1, 2, 3, 4], 10)).toBe(3);
    expect(lru.match([2, 3], 10)).toBe(2);
    expect(lru.match([9, 1, 2], 10)).toBe(0); // a miss at block 0 ends the prefix
    expect(lru.match([1, 2, 3], 1000)).toBe(0); // last used at 0, ttl 1000: gone at 1000
    lru.insert([1], 500); // touch 1: now 2 is the least recently used
    lru.insert([7, 8], 600); // 5 blocks > 4: evict 2
    expect(lru.size).toBe(4);
    expect(lru.match([1], 700)).toBe(1);
    expect(lru.match([2], 700)).toBe(0);
    expect(lru.match([3, 7, 8], 700)).toBe(3); // 3 (used at 0) outlived 2: it was inserted after it
  });

  it('refuses a capacity of 0 or less and a TTL <= 0', () => {
    expect(() => new BlockLru(0, 1000)).toThrow(/capacity: expected a positive integer/);
    expect(() => new BlockLru(-3, 1000)).toThrow(/capacity/);
    expect(() => new BlockLru(4, 0)).toThrow(/ttlMs/);
  });

  it('a profile with cache.capacityBlocks 0 or negative is an error naming the field', () => {
    for (const capacityBlocks of [0, -1])
      expect(() => parseProfile(baseProfile({ cache: { capacityBlocks } }), 'x.yaml')).toThrow(ProfileError);
    expect(() => parseProfile(baseProfile({ cache: { capacityBlocks: 0 } }), 'x.yaml')).toThrow(/x\.yaml: cache\.capacityBlocks/);
  });
});

describe('the pure model with a prompt cache', () => {
  it('a repeated prefix is billed at the read price and starts sooner, by the stated formulas', () => {
    const m = createProviderModel(cached, 1);
    const ref = createProviderModel(plain, 1);
    const st = createProviderState();
    const r0 = req(0, [10, 11, 12, 13]); // 4 blocks × 512 = 2048 tokens
    const first = m.outcome(r0, 0, 0, st);
    expect(first.cachedTokens).toBe(0);
    m.admit(st, 0, r0, first);
    m.release(st);
    const r1 = req(1, [10, 11, 12, 13], 2300); // same 4 blocks + a new tail
    const o = m.outcome(r1, 100, 0, st);
    const base = ref.outcome(r1, 100, 0);
    expect(o.cachedTokens).toBe(2048);
    // input $: (2300 − 2048) · 1 + 2048 · 0.1; output 10 · 2; per 1e6
    expect(o.costUsd).toBeCloseTo((252 * 1 + 2048 * 0.1 + 10 * 2) / 1e6, 15);
    expect(o.cacheSavingsUsd).toBeCloseTo((2048 * (1 - 0.1)) / 1e6, 15);
    expect(base.cachedTokens).toBeUndefined();
    // ttft = base · (1 − 0.8 · 2048/2300) at zero load (no queue wait)
    expect(o.ttftMs).toBeCloseTo(base.ttftMs * (1 - (0.8 * 2048) / 2300), 9);
    // the decode part is untouched
    expect(o.totalMs - o.ttftMs).toBeCloseTo(base.totalMs - base.ttftMs, 9);
  });

  it('writes are billed at the write price where there is one (savings go negative)', () => {
    const p = parseProfile(baseProfile({ ...noFail, cache: { capacityBlocks: 8, readPrice: 0.1, writePrice: 1.25 } }), 'w');
    const o = createProviderModel(p, 1).outcome(req(0, [1, 2]), 0, 0, createProviderState());
    // 1024 tokens written at 1.25, the other 1024 at 1
    expect(o.costUsd).toBeCloseTo((1024 * 1.25 + 1024 * 1 + 10 * 2) / 1e6, 15);
    expect(o.cacheSavingsUsd).toBeCloseTo(-(1024 * 0.25) / 1e6, 15);
  });

  it('no cache in the profile or no prefix in the request: exactly the outcome without caching', () => {
    const m = createProviderModel(cached, 3);
    const ref = createProviderModel(plain, 3);
    const st = createProviderState();
    const a = m.outcome(req(5, undefined), 0, 0, st);
    expect(a).toEqual(ref.outcome(req(5, undefined), 0, 0));
    expect(Object.keys(a)).not.toContain('cachedTokens');
    const r = req(6, [1, 2]);
    expect(ref.outcome(r, 0, 0, createProviderState())).toEqual(ref.outcome(req(6, undefined), 0, 0));
  });

  it('a block not used for ttlS is gone', () => {
    const m = createProviderModel(cached, 1);
    const st = createProviderState();
    const r = req(0, [1, 2]);
    m.admit(st, 0, r, m.outcome(r, 0, 0, st));
    expect(m.outcome(req(1, [1, 2]), 59_999, 0, st).cachedTokens).toBe(1024);
    expect(m.outcome(req(1, [1, 2]), 60_000, 0, st).cachedTokens).toBe(0);
  });
});

describe('the wire: real server and msw report usage.prompt_tokens_details.cached_tokens', () => {
  const wire = parseProfile(baseProfile({ ...noFail, id: 'w', cache: { capacityBlocks: 64, readPrice: 0.5 } }), 'wire');
  const MSW_URL = 'http://cache.sim/v1';
  const msw = setupServer(...createProviderHandlers(wire, { baseUrl: MSW_URL, seed: 1, speed: 1000 }));
  let real: ProviderServer;
  beforeAll(async () => {
    msw.listen({ onUnhandledRequest: 'bypass' });
    real = await startProviderServer(wire, { seed: 1, speed: 1000 });
  });
  afterAll(async () => {
    msw.close();
    await real.close();
  });

  const system = 'You are a careful assistant. '.repeat(300); // 8,700 chars: 4 blocks of 2,048
  const body = (q: string) => ({ model: 'm', messages: [{ role: 'system', content: system }, { role: 'user', content: q }] });
  async function usage(url: string, q: string, id: number): Promise<{ prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } }> {
    const res = await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sim-request-id': String(id) },
      body: JSON.stringify(body(q)),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { usage: never }).usage;
  }

  it('the second request with the same system prompt reads its full blocks from the cache, in both adapters', async () => {
    const blocks = prefixBlockHashes(body('a').messages, 512).length;
    expect(blocks).toBe(4);
    for (const url of [MSW_URL, real.url]) {
      const u1 = await usage(url, 'first question', 1);
      const u2 = await usage(url, 'second question', 2);
      expect(u1.prompt_tokens_details.cached_tokens, url).toBe(0);
      expect(u2.prompt_tokens_details.cached_tokens, url).toBe(blocks * 512);
      expect(u2.prompt_tokens).toBeGreaterThan(blocks * 512);
    }
  });
});

describe('scenario prefix-cache', () => {
  it('a scenario giving a provider cache capacity 0 is an error naming the file, the provider and the field', () => {
    const text = readFileSync('scenarios/prefix-cache.yaml', 'utf8').replace('capacityBlocks: 2048', 'capacityBlocks: 0');
    const scenario = parseScenario(text, 'bad.yaml');
    expect(() => resolveProviders(scenario, 'scenarios/bad.yaml', 'bad.yaml')).toThrow(/bad\.yaml: providers\[0\].*cache\.capacityBlocks/);
  });

  it('takes its cache prices from data/pricing/litellm_cache_prices.json (USD per token × 1e6)', () => {
    const prices = JSON.parse(readFileSync('data/pricing/litellm_cache_prices.json', 'utf8')) as Record<string, Record<string, number>>;
    const byProfile: Record<string, string> = {
      'openai-gpt-4o-mini': 'gpt-4o-mini',
      'google-gemini-2.0-flash': 'gemini/gemini-2.0-flash',
      'anthropic-claude-haiku-4-5': 'claude-haiku-4-5',
    };
    const { scenario } = loadScenario('prefix-cache');
    for (const p of scenario.providers) {
      const entry = prices[byProfile[p.profile]!]!;
      const c = (p.overrides as { cache: { readPrice: number; writePrice?: number } }).cache;
      expect(c.readPrice, p.profile).toBeCloseTo(entry.cache_read_input_token_cost! * 1e6, 9);
      if (entry.cache_creation_input_token_cost !== undefined) expect(c.writePrice, p.profile).toBeCloseTo(entry.cache_creation_input_token_cost * 1e6, 9);
      else expect(c.writePrice, p.profile).toBeUndefined();
    }
  });
});
