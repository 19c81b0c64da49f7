import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { ResponseCache, responseCacheSchema, type CachedResponse } from '../router/cache/response-cache.js';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';

/**
 * Exact-match response cache (router/cache/response-cache.ts): what is cacheable, what the
 * key ignores, TTL and LRU on an injected clock; and at the proxy edge, a hit skips the
 * upstream and says so (x-router-cache: hit), counted in /metrics.
 */
const cfg = (over: Record<string, unknown> = {}) => responseCacheSchema.parse({ models: ['m'], ttlMs: 1000, maxEntries: 2, ...over });
const body = (over: Record<string, unknown> = {}) => ({ model: 'm', temperature: 0, messages: [{ role: 'user', content: 'hi' }], ...over });

describe('response cache: keys and eligibility', () => {
  const c = new ResponseCache(cfg(), new ManualClock());
  it('temperature 0, non-streaming, listed group only (any temperature when configured)', () => {
    expect(c.keyFor(body())).not.toBeNull();
    expect(c.keyFor(body({ temperature: 0.7 }))).toBeNull();
    expect(c.keyFor(body({ temperature: undefined }))).toBeNull(); // the default temperature is 1
    expect(c.keyFor(body({ stream: true }))).toBeNull();
    expect(c.keyFor(body({ model: 'other' }))).toBeNull();
    expect(new ResponseCache(cfg({ anyTemperature: true }), new ManualClock()).keyFor(body({ temperature: 0.7 }))).not.toBeNull();
  });

  it('the key covers messages and output parameters, not key order or fields that do not change the answer', () => {
    const k = c.keyFor(body())!;
    expect(c.keyFor({ messages: [{ content: 'hi', role: 'user' }], temperature: 0, model: 'm' })).toBe(k);
    expect(c.keyFor(body({ user: 'alice', metadata: { x: 1 } }))).toBe(k);
    expect(c.keyFor(body({ messages: [{ role: 'user', content: 'hi!' }] }))).not.toBe(k);
    expect(c.keyFor(body({ max_tokens: 5 }))).not.toBe(k);
    expect(c.keyFor(body({ seed: 1 }))).not.toBe(k);
    expect(c.keyFor(body({ response_format: { type: 'json_object' } }))).not.toBe(k);
    // A declared prompt class (x-prompt-class) can route the prompt elsewhere: its own key.
    expect(c.keyFor(body(), 'math')).not.toBe(k);
    expect(c.keyFor(body(), 'math')).not.toBe(c.keyFor(body(), 'general'));
    expect(c.keyFor(body(), 'math')).toBe(c.keyFor(body(), 'math'));
  });

  it('TTL and LRU, on the injected clock; hits and misses counted', () => {
    const clock = new ManualClock();
    const mem = new ResponseCache(cfg(), clock);
    // The memory backend answers synchronously.
    const cache = { put: mem.put.bind(mem), get: (k: string) => mem.get(k) as CachedResponse | undefined, get hits() { return mem.hits; }, get misses() { return mem.misses; } };
    cache.put('a', { text: 'A', endpointId: 'e' });
    expect(cache.get('a')?.text).toBe('A');
    clock.tick(1001);
    expect(cache.get('a')).toBeUndefined(); // expired after ttlMs
    cache.put('a', { text: 'A', endpointId: 'e' });
    cache.put('b', { text: 'B', endpointId: 'e' });
    cache.get('a'); // a is now the most recently used
    cache.put('c', { text: 'C', endpointId: 'e' }); // maxEntries 2: evicts b
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.text).toBe('A');
    expect([cache.hits, cache.misses]).toEqual([3, 2]);
  });
});

describe('response cache at the proxy', () => {
  let upstream: StubUpstream;
  let proxy: RunningProxy;
  let calls = 0;
  beforeAll(async () => {
    upstream = await startStubUpstream((_req, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `c${calls}`, object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: `answer ${calls}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }));
    });
    proxy = await startProxy(
      { endpoints: [{ id: 'a', provider: 'p', model: 'm', baseUrl: upstream.base }], server: { port: 0 }, cache: { models: ['m'], ttl_ms: 60_000 } },
      { log: () => {} },
    );
  });
  afterAll(async () => {
    await proxy?.close(1000);
    await upstream?.close();
  });
  const ask = (b: Record<string, unknown>): Promise<Response> =>
    fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });

  it('the second identical temperature-0 request is a hit: same body, no upstream call, counted', async () => {
    const first = await ask(body());
    expect(first.headers.get('x-router-cache')).toBe('miss');
    const text = await first.text();
    const second = await ask({ ...body(), user: 'someone-else' });
    expect(second.status).toBe(200);
    expect(second.headers.get('x-router-cache')).toBe('hit');
    expect(second.headers.get('x-router-endpoint')).toBe('a');
    expect(await second.text()).toBe(text);
    expect(calls).toBe(1);
    // Not cacheable (temperature 0.5): routed, no cache header.
    const other = await ask(body({ temperature: 0.5 }));
    expect(other.headers.get('x-router-cache')).toBeNull();
    await other.text();
    expect(calls).toBe(2);
    const m = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(m).toMatch(/^llm_router_cache_hits_total\{model="m"\} 1$/m);
    expect(m).toMatch(/^llm_router_cache_misses_total\{model="m"\} 1$/m);
  });

  it('a reload keeps the cache when its config is unchanged, empties it when changed, drops it when removed', async () => {
    const cfgWith = (cache: Record<string, unknown> | undefined) => ({
      endpoints: [{ id: 'a', provider: 'p', model: 'm', baseUrl: upstream.base }],
      server: { port: 0 },
      ...(cache ? { cache } : {}),
    });
    const p = await startProxy(cfgWith({ models: ['m'], ttl_ms: 60_000 }), { log: () => {} });
    try {
      const askP = async (): Promise<string | null> => {
        const r = await fetch(`${p.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body({ messages: [{ role: 'user', content: 'reload' }] })) });
        await r.text();
        return r.headers.get('x-router-cache');
      };
      expect(await askP()).toBe('miss');
      expect(p.reload(cfgWith({ models: ['m'], ttl_ms: 60_000 })).cache).toBe('kept');
      expect(await askP()).toBe('hit');
      expect(p.reload(cfgWith({ models: ['m'], ttl_ms: 30_000 })).cache).toBe('new');
      expect(await askP()).toBe('miss'); // a new, empty cache
      expect(p.reload(cfgWith(undefined)).cache).toBe('off');
      expect(await askP()).toBeNull(); // no cache: no header
      expect(p.reload(cfgWith(undefined)).cache).toBe('none');
      // A cache in the shared store needs the store the proxy started with: refused, nothing swapped.
      expect(() => p.reload({ ...cfgWith({ models: ['m'], backend: 'store' }), store: { kind: 'redis', url: 'redis://127.0.0.1:1' } })).toThrow(/cache\.backend.*restart/);
      expect(await askP()).toBeNull();
      // Counters stay monotonic across caches: one hit so far.
      const m = await (await fetch(`${p.url}/metrics`)).text();
      expect(m).toMatch(/^llm_router_cache_hits_total\{model="m"\} 1$/m);
      expect(m).toMatch(/^llm_router_cache_misses_total\{model="m"\} 2$/m);
    } finally {
      await p.close(1000);
    }
  });

  it('bad cache config names the field', async () => {
    await expect(startProxy({ endpoints: [{ id: 'a', provider: 'p', model: 'm', baseUrl: upstream.base }], cache: { models: ['nope'] } }, { log: () => {} })).rejects.toThrow(/cache\.models\[0\]: unknown model group "nope"/);
    await expect(startProxy({ endpoints: [{ id: 'a', provider: 'p', model: 'm', baseUrl: upstream.base }], cache: { models: ['m'], ttl_ms: -1 } }, { log: () => {} })).rejects.toThrow(/cache\.ttl_ms/);
    await expect(startProxy({ endpoints: [{ id: 'a', provider: 'p', model: 'm', baseUrl: upstream.base }], cache: { models: ['m'], backend: 'store' } }, { log: () => {} })).rejects.toThrow(/cache\.backend: "store".*needs store: \{ kind: redis/);
  });
});
