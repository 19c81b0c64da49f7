import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';
import { startRedis, type TestRedis } from './helpers/redis-server.js';

/**
 * Two proxy replicas sharing one redis-server (own instance, loopback, stopped by PID):
 * a client key's RPM holds across both, and /metrics shows the store's state.
 */
let redis: TestRedis;
let upstream: StubUpstream;
const proxies: RunningProxy[] = [];

const completion = JSON.stringify({
  id: 'c1', object: 'chat.completion', created: 0, model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

beforeAll(async () => {
  redis = await startRedis();
  upstream = await startStubUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(completion);
  });
});

afterAll(async () => {
  for (const p of proxies) await p.close(1000);
  await upstream?.close();
  await redis?.stop();
});

async function replica(): Promise<RunningProxy> {
  const p = await startProxy(
    {
      endpoints: [{ id: 'a', provider: 'p', model: 'm', baseUrl: upstream.base }],
      server: { port: 0, clientKeys: [{ name: 'team', keyEnv: 'CLIENT_KEY', rpm: 3 }] },
      store: { kind: 'redis', url: redis.url, key_prefix: 'proxy-test', sync_interval_ms: 60_000 },
    },
    { env: { CLIENT_KEY: 'secret-client-key' }, log: () => {} },
  );
  proxies.push(p);
  return p;
}

const ask = (p: RunningProxy): Promise<Response> =>
  fetch(`${p.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer secret-client-key', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('proxy replicas sharing a Redis store', () => {
  it('a client key RPM is shared: 3 on replica A leave none for replica B (429 + Retry-After)', async () => {
    const a = await replica();
    const b = await replica();
    for (let i = 0; i < 3; i++) expect((await ask(a)).status).toBe(200);
    await a.store!.syncNow(); // barrier: A's charges are in Redis
    await b.store!.syncNow(); // B re-reads the shared level (the loop does it every sync_interval_ms)
    const r = await ask(b);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await r.json()) as { error: { type: string } }).error.type).toBeDefined();
    const m = await (await fetch(`${b.url}/metrics`, { headers: { authorization: 'Bearer secret-client-key' } })).text(); // /metrics needs a client key when keys are configured
    expect(m).toMatch(/^llm_router_store_up 1$/m);
  });

  it('Redis unreachable at start: the proxy starts, serves, and reports store_up 0; required: true refuses to start', async () => {
    const lines: string[] = [];
    const cfg = (required: boolean) => ({
      endpoints: [{ id: 'a', provider: 'p', model: 'm', baseUrl: upstream.base, limits: { rpm: 100 } }],
      server: { port: 0 },
      store: { kind: 'redis', url: 'redis://127.0.0.1:1', connect_wait_ms: 200, required },
    });
    const p = await startProxy(cfg(false), { log: (l) => lines.push(l) });
    proxies.push(p);
    const r = await fetch(`${p.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(200);
    expect(await (await fetch(`${p.url}/metrics`)).text()).toMatch(/^llm_router_store_up 0$/m);
    expect(lines.some((l) => /warning: config\.store: cannot use redis/.test(l))).toBe(true);
    await expect(startProxy(cfg(true), { log: () => {} })).rejects.toMatchObject({ code: 'invalid_config' });
  });
});
