import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { keySpace } from '../router/store/keys.js';
import { startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';
import { startRedis, type TestRedis } from './helpers/redis-server.js';

/**
 * The response cache in the Redis store (cache.backend: store, router/store/cache-backend.ts)
 * against a real redis-server (own instance, loopback, stopped by PID): an answer stored by
 * one replica is a hit on another, with Redis's TTL; prefixes never share entries; an
 * answer over max_value_bytes is not stored; Redis down is a miss, never a client error.
 */
let redis: TestRedis;
let upstream: StubUpstream;
let calls = 0;
const proxies: RunningProxy[] = [];

beforeAll(async () => {
  redis = await startRedis();
  upstream = await startStubUpstream((_req, res) => {
    calls++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `c${calls}`, object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: `answer ${calls}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }));
  });
});

afterAll(async () => {
  for (const p of proxies) await p.close(1000);
  await upstream?.close();
  await redis?.stop();
});

async function replica(prefix: string, cache: Record<string, unknown> = {}, log?: string[]): Promise<RunningProxy> {
  const p = await startProxy(
    {
      endpoints: [{ id: 'a', provider: 'p', model: 'm', baseUrl: upstream.base }],
      server: { port: 0 },
      store: { kind: 'redis', url: redis.url, key_prefix: prefix, sync_interval_ms: 60_000 },
      cache: { models: ['m'], ttl_ms: 60_000, backend: 'store', ...cache },
    },
    { log: (l) => log?.push(l) },
  );
  proxies.push(p);
  return p;
}

const ask = async (p: RunningProxy, content = 'hi'): Promise<{ status: number; cache: string | null; endpoint: string | null; text: string }> => {
  const r = await fetch(`${p.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', temperature: 0, messages: [{ role: 'user', content }] }),
  });
  return { status: r.status, cache: r.headers.get('x-router-cache'), endpoint: r.headers.get('x-router-endpoint'), text: await r.text() };
};

describe('response cache in the Redis store', () => {
  it('an answer stored by replica A is a hit on replica B (same body, endpoint, no upstream call); TTL set in Redis; other prefixes miss', async () => {
    const a = await replica('cache-1');
    const b = await replica('cache-1');
    const first = await ask(a);
    expect(first.cache).toBe('miss');
    await a.store!.syncNow(); // barrier: replies come in order, so A's SET has landed
    const n = calls;
    const second = await ask(b);
    expect(second).toMatchObject({ status: 200, cache: 'hit', endpoint: 'a', text: first.text });
    expect(calls).toBe(n);
    // One key under the prefix's cache space, expiring within ttl_ms.
    const keys = await a.store!.link.redis.keys(`${keySpace('cache-1').cache('')}*`);
    expect(keys).toHaveLength(1);
    const ttl = await a.store!.link.redis.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // Another key_prefix never sees it.
    const c = await replica('cache-2');
    expect((await ask(c)).cache).toBe('miss');
    const m = await (await fetch(`${b.url}/metrics`)).text();
    expect(m).toMatch(/^llm_router_cache_hits_total\{model="m"\} 1$/m);
  });

  it('an answer over max_value_bytes is not stored', async () => {
    const a = await replica('cache-3', { max_value_bytes: 16 });
    expect((await ask(a, 'big')).cache).toBe('miss');
    await a.store!.syncNow();
    expect((await ask(a, 'big')).cache).toBe('miss');
    expect(await a.store!.link.redis.keys(`${keySpace('cache-3').cache('')}*`)).toHaveLength(0);
  });

  it('Redis killed: cacheable requests are routed (misses), none fails; hits again once Redis is back', async () => {
    const log: string[] = [];
    const a = await replica('cache-4', {}, log);
    expect((await ask(a, 'q')).cache).toBe('miss');
    await a.store!.syncNow();
    expect((await ask(a, 'q')).cache).toBe('hit');
    await redis.kill();
    await vi.waitFor(() => expect(a.store!.link.up).toBe(false), { timeout: 5000, interval: 20 });
    for (let i = 0; i < 3; i++) expect(await ask(a, 'q')).toMatchObject({ status: 200, cache: 'miss' });
    await redis.restart(); // empty: no persistence
    await vi.waitFor(() => expect(a.store!.link.up).toBe(true), { timeout: 10_000, interval: 50 });
    expect((await ask(a, 'q')).cache).toBe('miss');
    await a.store!.syncNow();
    expect((await ask(a, 'q')).cache).toBe('hit');
    expect(log.filter((l) => l.includes('unavailable'))).toHaveLength(1);
  });
});
