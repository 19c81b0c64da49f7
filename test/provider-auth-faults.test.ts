import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../router/core/clock.js';
import { seededRandom } from '../router/core/random.js';
import { sha256Hex } from '../router/http/auth.js';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { scrubCredentials } from '../router/http/scrub.js';
import { startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';

/**
 * Issue #21, defect 1: a provider's own 401/403/404 is an endpoint fault (the router's
 * key or model is wrong there), not the client's. Three endpoints on one stub upstream,
 * told apart by upstream model: `bad-key` answers 401 quoting the key it refused, the
 * others answer. Also: a provider 400 is rewritten and scrubbed; 401s carry
 * WWW-Authenticate; /health and /metrics need a client key by default.
 */

const PROVIDER_KEY = 'sk-proj-LeakMeIfYouCan0123456789';
const CLIENT_KEY = 'client-key-21';
const auth = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' };
const logs: string[] = [];
let stub: StubUpstream;
let proxy: RunningProxy;
let pool: Pool;

beforeAll(async () => {
  stub = await startStubUpstream((req, res, raw) => {
    const model = (JSON.parse(raw) as { model: string }).model;
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (model === 'bad-key')
      return json(401, { error: { message: `Incorrect API key provided: ${req.headers.authorization}. You can find your API key at https://platform.example/keys.`, type: 'invalid_request_error', code: 'invalid_api_key' } });
    if (model === 'gone') return json(404, { error: { message: 'The model `gone` does not exist', type: 'invalid_request_error', code: 'model_not_found' } });
    const content = (JSON.parse(raw) as { messages: Array<{ content: string }> }).messages[0]!.content;
    if (content === 'too-long')
      return json(400, { error: { message: `context too long for key ${PROVIDER_KEY}`, type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' } });
    json(200, { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1 } });
  });
  proxy = await startProxy(
    {
      endpoints: [
        { id: 'good-a', provider: 'p', model: 'chat', upstream_model: 'good', base_url: stub.base, api_key_env: 'GOOD_KEY' },
        { id: 'bad', provider: 'p', model: 'chat', upstream_model: 'bad-key', base_url: stub.base, api_key_env: 'BAD_PROVIDER_KEY' },
        { id: 'good-b', provider: 'p', model: 'chat', upstream_model: 'good', base_url: stub.base, api_key_env: 'GOOD_KEY' },
        { id: 'gone', provider: 'p', model: 'other', upstream_model: 'gone', base_url: stub.base },
        { id: 'other-ok', provider: 'p', model: 'other', upstream_model: 'good', base_url: stub.base },
      ],
      strategy: 'round-robin',
      server: { port: 0, client_keys: [{ name: 'k', key_sha256: sha256Hex(CLIENT_KEY) }] },
    },
    { env: { GOOD_KEY: 'sk-good-0000000000', BAD_PROVIDER_KEY: PROVIDER_KEY }, random: seededRandom(21), log: (l) => logs.push(l) },
  );
  pool = new Pool(proxy.url, { connections: 4 });
});

afterAll(async () => {
  await pool.close();
  await proxy.close(100);
  await stub.close();
});

async function chat(content: string, model = 'chat') {
  const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: auth, body: JSON.stringify({ model, messages: [{ role: 'user', content }] }) });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

describe('provider-side 401/403/404 are endpoint faults', () => {
  it('a bad provider key on 1 of 3 endpoints: 20 of 20 requests succeed, the key never reaches a client, the endpoint is ejected and named once', async () => {
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await chat(`hello ${i}`));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    for (const r of results) expect(r.text).not.toContain(PROVIDER_KEY);
    expect(results.filter((r) => String(r.headers['x-router-tried']).includes('bad'))).toHaveLength(1); // tried once, then ejected
    const bad = proxy.router.candidates().find((c) => c.endpoint.id === 'bad')!;
    expect(bad.health).toMatchObject({ state: 'ejected', fault: 'provider_auth' });
    expect(bad.health.until! - systemClock.now()).toBeGreaterThan(60_000); // a long ejection, not seconds
    const lines = logs.filter((l) => l.includes('bad'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('BAD_PROVIDER_KEY');
    expect(logs.join('\n')).not.toContain(PROVIDER_KEY);
  });

  it('/health shows the fault as an alert and /metrics counts it', async () => {
    const h = await pool.request({ method: 'GET', path: '/health', headers: auth });
    const body = (await h.body.json()) as { alerts: unknown[]; endpoints: Array<{ id: string; fault?: string }> };
    expect(body.alerts).toContainEqual({ endpoint: 'bad', fault: 'provider_auth', apiKeyEnv: 'BAD_PROVIDER_KEY' });
    expect(body.endpoints.find((e) => e.id === 'bad')?.fault).toBe('provider_auth');
    const m = await (await pool.request({ method: 'GET', path: '/metrics', headers: auth })).body.text();
    expect(m).toMatch(/llm_router_endpoint_fault\{endpoint="bad",fault="provider_auth"\} 1/);
    expect(m).toMatch(/llm_router_upstream_attempts_total\{endpoint="bad",outcome="upstream_auth_error"\} 1/);
  });

  it('a provider 404 (model not found there) fails over too', async () => {
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await chat('x', 'other')).status);
    expect(codes).toEqual([200, 200, 200, 200]);
    expect(proxy.router.candidates().find((c) => c.endpoint.id === 'gone')?.health.fault).toBe('provider_model_not_found');
  });

  it("a provider 400 (the request's fault) passes through in the proxy's words, credentials scrubbed", async () => {
    const r = await chat('too-long');
    expect(r.status).toBe(400);
    const e = (JSON.parse(r.text) as { error: { message: string; code: string; param: string; type: string } }).error;
    expect(e).toMatchObject({ code: 'context_length_exceeded', param: 'messages', type: 'invalid_request_error' });
    expect(e.message).toMatch(/^upstream good-[ab] rejected the request \(400\): context too long for key \[redacted\]$/);
    expect(r.text).not.toContain(PROVIDER_KEY);
  });

  it('401s carry WWW-Authenticate; /health and /metrics need the client key by default', async () => {
    for (const path of ['/health', '/metrics']) {
      const r = await pool.request({ method: 'GET', path });
      await r.body.text();
      expect(r.statusCode, path).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="llm-router"');
    }
    const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', body: '{}' });
    await r.body.text();
    expect(r.headers['www-authenticate']).toBe('Bearer realm="llm-router"');
  });
});

describe('scrubCredentials', () => {
  it.each([
    ['Incorrect API key provided: Bearer sk-abc123456789. See docs.', 'Incorrect API key provided: [redacted] See docs.'],
    ['bad key sk-ant-api03-AAAAAAAA', 'bad key [redacted]'],
    ['api_key=hunter2hunter2 is wrong', 'api_key=[redacted] is wrong'],
    ['key AIzaSyA1234567890abcdefgh', 'key [redacted]'],
    ["This model's maximum context length is 8192 tokens.", "This model's maximum context length is 8192 tokens."],
  ])('%s', (input, out) => expect(scrubCredentials(input)).toBe(out));

  it('caps the text and drops control characters', () => {
    expect(scrubCredentials('a\nb\u0000c')).toBe('a b c');
    expect(scrubCredentials('word '.repeat(500)).length).toBeLessThanOrEqual(300);
  });
});
