/** x-router-tried lists every endpoint a request was sent to, so a load driver can see failover. */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transport } from '../router/core/types.js';
import { startProxy, type RunningProxy } from '../router/http/start.js';

const transport: Transport = {
  async send(endpoint) {
    if (endpoint.id === 'down' || endpoint.id === 'down2') throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    return { status: 200, headers: {}, body: { choices: [] }, usage: { inputTokens: 1, outputTokens: 1 } };
  },
};

let proxy: RunningProxy;
beforeAll(async () => {
  proxy = await startProxy(
    {
      server: { port: 0 },
      endpoints: [
        { id: 'down', provider: 'p1', model: 'chat', base_url: 'http://127.0.0.1:9/v1' },
        { id: 'up', provider: 'p2', model: 'chat', base_url: 'http://127.0.0.1:9/v1' },
        { id: 'down2', provider: 'p3', model: 'dead', base_url: 'http://127.0.0.1:9/v1' },
      ],
      strategy: 'priority',
      health: { consecutive_failures: 100 },
    },
    { transport, port: 0, host: '127.0.0.1' },
  );
});
afterAll(() => proxy.close());

describe('x-router-tried', () => {
  it('names the failed endpoint and the one that answered, in order', async () => {
    const res = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-router-endpoint']).toBe('up');
    expect(res.headers['x-router-attempts']).toBe('2');
    expect(res.headers['x-router-tried']).toBe('down,up');
  });

  it('is also set on an error response: every endpoint the failed request went to', async () => {
    const res = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dead', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = JSON.parse(await res.body.text()) as { error: { code: string } };
    expect(res.statusCode).toBe(502);
    expect(body.error.code).toBe('connect_failed');
    expect(Number(res.headers['x-router-attempts'])).toBeGreaterThanOrEqual(2); // retried
    expect(res.headers['x-router-tried']).toBe('down2');
    expect(res.headers['x-router-endpoint']).toBeUndefined();
  });
});
