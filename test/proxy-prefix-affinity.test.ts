import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { prefixBlockHashes } from '../router/strategies/prefix-blocks.js';
import { judgeBody } from '../scenarios/load/samples.js';
import { prefixText } from '../scenarios/load/prefix-text.js';
import { parseProfile } from '../simulator/profile.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

/**
 * prefix-affinity in the proxy: three mock providers with prompt caches (127.0.0.1), the
 * real proxy hashing each request's messages by blocks. Conversations stay on one
 * endpoint and read their prefix from that endpoint's cache
 * (usage.prompt_tokens_details.cached_tokens passes through to the client).
 */

const fast = { ttft: { medianMs: 2, sigma: 0 }, throughput: { tokensPerSecond: 1e6, jitter: 0 }, answerTokens: { median: 5, sigma: 0, max: 10 } };
let servers: ProviderServer[] = [];
let proxy: RunningProxy;

beforeAll(async () => {
  servers = await Promise.all(
    ['a', 'b', 'c'].map((id) =>
      startProviderServer(parseProfile(baseProfile({ ...noFail, ...fast, id, model: 'm', cache: { capacityBlocks: 1000, readPrice: 0.1 } }), id), { seed: 1 }),
    ),
  );
  proxy = await startProxy({
    server: { port: 0, drainTimeoutMs: 1000 },
    endpoints: servers.map((s, i) => ({ id: 'abc'[i]!, provider: 'p', model: 'chat', upstream_model: 'm', base_url: s.url, price: { input: 1, output: 2 } })),
    strategy: 'prefix-affinity',
    timeouts: { ttftMs: 5_000, totalMs: 10_000 },
  });
}, 30_000);

afterAll(async () => {
  await proxy?.close(1000);
  await Promise.all(servers.map((s) => s.close()));
});

describe('prefix-affinity through the proxy', () => {
  it('keeps each conversation on one endpoint and its later turns hit that endpoint\'s cache', async () => {
    const ask = async (messages: object[]) => {
      const res = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages }),
      });
      expect(res.status).toBe(200);
      const j = (await res.json()) as { usage: { prompt_tokens_details: { cached_tokens: number } } };
      return { endpoint: res.headers.get('x-router-endpoint'), cached: j.usage.prompt_tokens_details.cached_tokens };
    };
    const history = [0, 1, 2, 3].map((c) => [{ role: 'system', content: `You are assistant number ${c}. `.repeat(120) }]);
    const where = new Map<number, Set<string>>();
    let hits = 0;
    for (let turn = 0; turn < 4; turn++)
      for (let c = 0; c < 4; c++) {
        history[c]!.push({ role: 'user', content: `Question ${turn} of conversation ${c}. `.repeat(60) });
        const r = await ask(history[c]!);
        if (!where.has(c)) where.set(c, new Set());
        where.get(c)!.add(r.endpoint!);
        if (turn > 0) {
          expect(r.cached, `conversation ${c} turn ${turn}`).toBeGreaterThan(0);
          hits++;
        }
        history[c]!.push({ role: 'assistant', content: 'An answer. '.repeat(40) });
      }
    for (const [c, ids] of where) expect([...ids], `conversation ${c}`).toHaveLength(1);
    expect(hits).toBe(12);
  });
});

describe('http-mode plumbing for prompt caching', () => {
  it('judgeBody reads cached tokens and the billed cost from usage (JSON and streams), only when reported', () => {
    const usage = { prompt_tokens: 3000, completion_tokens: 5, cost: 0.001, prompt_tokens_details: { cached_tokens: 2048 } };
    expect(judgeBody(200, JSON.stringify({ choices: [{}], usage }), false)).toEqual({
      ok: true, errorKind: undefined, inputTokens: 3000, outputTokens: 5, cachedTokens: 2048, billedUsd: 0.001,
    });
    const sse = `data: ${JSON.stringify({ choices: [], usage })}\n\ndata: [DONE]\n\n`;
    expect(judgeBody(200, sse, true).cachedTokens).toBe(2048);
    expect(judgeBody(200, JSON.stringify({ choices: [{}], usage: { prompt_tokens: 3, completion_tokens: 1 } }), false)).not.toHaveProperty('cachedTokens');
  });

  it('prefixText: requests share leading text blocks exactly as far as they share leading block ids', () => {
    const h = (ids: number[]) => prefixBlockHashes([{ role: 'system', content: prefixText(ids, 1e6) }], 512);
    const a = h([1, 2, 3, 4]);
    const b = h([1, 2, 3, 9]);
    const c = h([7, 2, 3, 4]);
    expect(a.slice(0, 3)).toEqual(b.slice(0, 3));
    expect(a[0]).not.toBe(c[0]);
    expect(prefixText([1, 2, 3], 4096).length).toBe(4096); // bounded by maxChars: 2 blocks
  });
});
