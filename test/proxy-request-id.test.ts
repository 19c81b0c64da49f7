/**
 * `x-request-id` on every chat answer, whichever path writes it: the JSON answer, a stream,
 * an error before routing (bad JSON, invalid field, unknown model), a routing failure, and
 * the response-cache hit. The edge writes it with the status line's headers (not setHeader
 * first: chat-call.ts REQUEST_ID), so each of these paths must carry it on its own.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterError } from '../router/core/errors.js';
import type { Transport } from '../router/core/types.js';
import { startProxy, type RunningProxy } from '../router/http/start.js';

const transport: Transport = {
  async send(endpoint, req) {
    if (endpoint.model === 'busy')
      throw new RouterError('upstream_client_error', 'busy answered 400', { endpointId: endpoint.id, status: 400 });
    if (req.stream) {
      async function* chunks(): AsyncGenerator<string> {
        yield 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n';
        yield 'data: [DONE]\n\n';
      }
      return { status: 200, headers: {}, stream: chunks() };
    }
    return { status: 200, headers: {}, body: { choices: [{ message: { role: 'assistant', content: 'hi' } }] } };
  },
};

let proxy: RunningProxy;
beforeAll(async () => {
  proxy = await startProxy(
    {
      server: { port: 0 },
      endpoints: [
        { id: 'up', provider: 'p', model: 'chat', base_url: 'http://127.0.0.1:9/v1' },
        { id: 'busy-1', provider: 'p', model: 'busy', base_url: 'http://127.0.0.1:9/v1' },
      ],
      cache: { models: ['chat'], ttl_ms: 60_000 },
      health: { consecutive_failures: 100 },
    },
    { transport, port: 0, host: '127.0.0.1' },
  );
});
afterAll(async () => {
  await proxy.close();
});

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.body.text();
  return { status: res.statusCode, id: res.headers['x-request-id'], headers: res.headers, text };
}
const msg = (model: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], ...extra });

describe('x-request-id on every chat answer', () => {
  it('a JSON answer, a stream, and each error path carry one id each, all distinct', async () => {
    const answers = [
      await post(msg('chat')),
      await post(msg('chat', { stream: true })),
      await post('{not json'),
      await post(JSON.stringify({ model: 'chat', messages: [] })),
      await post(msg('nope')),
      await post(msg('busy')),
      await post(msg('busy', { stream: true })),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 400, 400, 404, 400, 400]);
    for (const a of answers) expect(a.id).toMatch(/^\S+$/);
    expect(new Set(answers.map((a) => a.id)).size).toBe(answers.length);
    expect(answers[1]!.text).toContain('[DONE]');
    // Written once, not twice (a header set both ways would be joined with ", ").
    for (const a of answers) expect(String(a.id)).not.toContain(',');
  });

  it("keeps the client's well-formed id on success, error and cache hit", async () => {
    const body = msg('chat', { temperature: 0 });
    const first = await post(body, { 'x-request-id': 'client-1' });
    const hit = await post(body, { 'x-request-id': 'client-2' });
    const err = await post(msg('nope'), { 'x-request-id': 'client-3' });
    const stream = await post(msg('chat', { stream: true }), { 'x-request-id': 'client-4' });
    expect([first.id, hit.id, err.id, stream.id]).toEqual(['client-1', 'client-2', 'client-3', 'client-4']);
    expect(hit.headers['x-router-cache']).toBe('hit');
  });
});
