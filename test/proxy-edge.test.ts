import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { parseRouterConfig } from '../router/core/config.js';
import { RouterError } from '../router/core/errors.js';
import type { RouterListener } from '../router/core/events.js';
import type { Candidate, RouteRequest } from '../router/core/types.js';
import { sha256Hex } from '../router/http/auth.js';
import { parseProxyConfig } from '../router/http/config.js';
import { createProxyServer, type ProxyRouteResult, type ProxyRouter, type ProxyServer } from '../router/http/server.js';
import { parsePrometheusText } from './proxy-prom.js';

/**
 * The edge alone, over a scripted fake router (the real router + mock providers are
 * covered in proxy-e2e): status codes, the OpenAI error shape, headers, auth, limits,
 * streaming errors after the first byte, client disconnects and drain.
 * The fake picks its behaviour from the last message's content.
 */

const { endpoints } = parseRouterConfig({ endpoints: [{ id: 'ep-a', provider: 'x', model: 'm', baseUrl: 'http://127.0.0.1:1/v1' }] });
const ep = endpoints[0]!;

const candidate: Candidate = {
  endpoint: ep,
  stats: {
    inFlight: 0, requests: 0, successes: 0, failures: 0, latencyMs: null, ttftMs: null, successRate: null, windowRequests: 0,
    consecutiveFailures: 0, recentLatenciesMs: [], lastFailureAt: null, lastSuccessAt: null, inputTokens: 0, outputTokens: 0, costUsd: 0,
  },
  health: { state: 'healthy', available: true, until: null, ejections: 0, slowStart: 1 },
};

const seenAborts: string[] = [];
const gates = new Map<string, () => void>();
const seenRequests: RouteRequest[] = [];

function gate(name: string): Promise<void> {
  return new Promise((r) => gates.set(name, r));
}

const fake: ProxyRouter = {
  candidates: () => [candidate],
  models: () => ['m'],
  on: (_l: RouterListener) => () => {},
  async route(req, { signal }): Promise<ProxyRouteResult> {
    seenRequests.push(req);
    const last = String(req.messages?.at(-1)?.content ?? '');
    if (last === 'unhealthy') throw new RouterError('no_healthy_endpoint', 'all endpoints are ejected', { retryAfterMs: 2500 });
    if (last === 'upstream400')
      throw new RouterError('upstream_client_error', 'bad', { status: 400, endpointId: 'ep-a', upstreamBody: { error: { message: 'context too long', type: 'invalid_request_error', code: 'context_length_exceeded' } } });
    if (last === 'hold') {
      // Wait until the test releases us or the client goes away.
      await new Promise<void>((resolve, reject) => {
        gates.set('hold', resolve);
        signal.addEventListener('abort', () => {
          seenAborts.push('hold');
          reject(signal.reason);
        });
      });
      return { endpoint: ep, attempts: 1, response: { status: 200, headers: {}, body: { held: true } } };
    }
    if (req.stream) {
      const cut = last === 'cut';
      async function* chunks(): AsyncGenerator<string> {
        yield 'data: {"choices":[{"delta":{"content":"a"}}]}\n\n';
        if (last === 'slowstream') {
          await new Promise<void>((resolve, reject) => {
            gates.set('slowstream', resolve);
            signal.addEventListener('abort', () => {
              seenAborts.push('slowstream');
              reject(signal.reason);
            });
          });
        }
        yield 'data: {"choices":[{"delta":{"content":"b"}}]}\n\n';
        if (cut) throw new RouterError('stream_cut', 'upstream ep-a stream broke', { endpointId: 'ep-a', committed: true });
        yield 'data: [DONE]\n\n';
      }
      return { endpoint: ep, attempts: [{}, {}], response: { status: 200, headers: {} }, stream: chunks() };
    }
    return { endpoint: ep, attempts: 2, response: { status: 200, headers: {}, body: { id: 'ok', echo: req.body } } };
  },
};

let server: ProxyServer;
let pool: Pool;
let origin: string;

const KEY = 'client-key-1';

beforeAll(async () => {
  const cfg = parseProxyConfig({
    endpoints: [{ provider: 'x', model: 'm', baseUrl: 'http://127.0.0.1:1/v1' }],
    server: { port: 0, bodyLimitBytes: 4096, clientKeys: [{ name: 'a', keySha256: sha256Hex(KEY), rpm: 600 }, { name: 'slow', keyEnv: 'SLOW_KEY', rpm: 1 }] },
  });
  server = createProxyServer({ router: fake, server: cfg.server, env: { SLOW_KEY: 'slow-key' } });
  const addr = await server.listen(0, '127.0.0.1');
  origin = `http://127.0.0.1:${addr.port}`;
  pool = new Pool(origin, { connections: 16 });
});

afterAll(async () => {
  await pool.destroy();
  await server.drain(100);
});

const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const chatBody = (content: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model: 'm', messages: [{ role: 'user', content }], ...extra });

async function post(body: string | Buffer, headers: Record<string, string> = auth, path = '/v1/chat/completions') {
  const res = await pool.request({ method: 'POST', path, headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as { error: Record<string, unknown> } };
}

function expectOpenAIError(r: { text: string }, status: number, code?: string): void {
  const j = JSON.parse(r.text) as { error: { message: unknown; type: unknown; code: unknown } };
  expect(typeof j.error.message).toBe('string');
  expect(typeof j.error.type).toBe('string');
  if (code) expect(j.error.code).toBe(code);
  expect(status).toBeGreaterThanOrEqual(400);
}

describe('proxy edge', () => {
  it('answers JSON with the endpoint and attempt headers, forwarding only the body', async () => {
    const r = await post(chatBody('hi', { temperature: 0.5, user: 'u1' }), { ...auth, host: 'evil.example', 'x-base-url': 'http://evil.example' });
    expect(r.status).toBe(200);
    expect(r.headers['x-router-endpoint']).toBe('ep-a');
    expect(r.headers['x-router-attempts']).toBe('2');
    const rr = seenRequests.at(-1)!;
    expect(rr.sessionKey).toBe('u1');
    expect(rr.body).toMatchObject({ model: 'm', temperature: 0.5 });
    expect(Object.keys(rr)).not.toContain('headers');
  });

  it('401 without or with a wrong key, on chat and models', async () => {
    const r1 = await post(chatBody('hi'), { 'content-type': 'application/json' });
    expect(r1.status).toBe(401);
    expectOpenAIError(r1, 401, 'invalid_api_key');
    const r2 = await post(chatBody('hi'), { authorization: 'Bearer nope' });
    expect(r2.status).toBe(401);
    // The scheme is case-insensitive.
    expect((await post(chatBody('hi'), { authorization: `bearer ${KEY}` })).status).toBe(200);
    const m = await pool.request({ method: 'GET', path: '/v1/models' });
    expect(m.statusCode).toBe(401);
    await m.body.dump();
    const ok = await pool.request({ method: 'GET', path: '/v1/models', headers: auth });
    expect(((await ok.body.json()) as { data: Array<{ id: string }> }).data.map((d) => d.id)).toEqual(['m']);
  });

  it('429 + Retry-After past a key rate', async () => {
    const h = { authorization: 'Bearer slow-key' };
    expect((await post(chatBody('hi'), h)).status).toBe(200);
    const r = await post(chatBody('hi'), h);
    expect(r.status).toBe(429);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    expectOpenAIError(r, 429, 'rate_limit_exceeded');
  });

  it('413, 400 (bad JSON, bad field), 404 (model, route), 405, 503 + Retry-After', async () => {
    const big = await post(chatBody('x'.repeat(10_000)));
    expect(big.status).toBe(413);
    expectOpenAIError(big, 413, 'request_too_large');
    const bad = await post('{"model": "m", ');
    expect(bad.status).toBe(400);
    expectOpenAIError(bad, 400, 'invalid_json');
    const field = await post(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 'ten' }));
    expect(field.status).toBe(400);
    expect(field.json().error.param).toBe('max_tokens');
    expect(field.json().error.message).toContain('max_tokens');
    const model = await post(JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }));
    expect(model.status).toBe(404);
    expectOpenAIError(model, 404, 'model_not_found');
    const route = await post('{}', auth, '/v2/other');
    expect(route.status).toBe(404);
    const get = await pool.request({ method: 'GET', path: '/v1/chat/completions' });
    expect(get.statusCode).toBe(405);
    await get.body.dump();
    const down = await post(chatBody('unhealthy'));
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('3');
    expectOpenAIError(down, 503, 'no_healthy_endpoint');
  });

  it('passes an upstream 4xx through in its own words, quoting the (scrubbed) upstream message', async () => {
    const r = await post(chatBody('upstream400'));
    expect(r.status).toBe(400);
    expect(r.json().error).toMatchObject({ message: 'upstream ep-a rejected the request (400): context too long', code: 'context_length_exceeded' });
  });

  it('streams chunks and ends with [DONE]', async () => {
    const r = await post(chatBody('ok', { stream: true }));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/event-stream');
    expect(r.headers['x-router-attempts']).toBe('2');
    expect(r.text).toBe('data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"choices":[{"delta":{"content":"b"}}]}\n\ndata: [DONE]\n\n');
  });

  it('a stream cut after the first byte ends with an SSE error event, not [DONE], and is counted', async () => {
    const r = await post(chatBody('cut', { stream: true }));
    expect(r.text).toContain('"content":"b"');
    expect(r.text).not.toContain('[DONE]');
    const last = r.text.trim().split('\n\n').at(-1)!;
    const ev = JSON.parse(last.slice('data: '.length)) as { error: { code: string; type: string } };
    expect(ev.error).toMatchObject({ code: 'stream_cut', type: 'server_error' });
    const m = await pool.request({ method: 'GET', path: '/metrics', headers: auth });
    const fams = parsePrometheusText(await m.body.text());
    expect(fams.get('llm_router_stream_errors_total')?.samples.some((s) => s.labels.code === 'stream_cut' && s.value >= 1)).toBe(true);
  });

  it('a client disconnect aborts the route (JSON and mid-stream)', async () => {
    const ac = new AbortController();
    const p = pool.request({ method: 'POST', path: '/v1/chat/completions', headers: auth, body: chatBody('hold'), signal: ac.signal });
    while (!gates.has('hold')) await new Promise((r) => setImmediate(r));
    ac.abort();
    await expect(p).rejects.toThrow();
    while (!seenAborts.includes('hold')) await new Promise((r) => setImmediate(r));
    gates.delete('hold');

    const ac2 = new AbortController();
    const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: auth, body: chatBody('slowstream', { stream: true }), signal: ac2.signal });
    for await (const _ of res.body) break; // first chunk arrived
    ac2.abort();
    while (!seenAborts.includes('slowstream')) await new Promise((r) => setImmediate(r));
  });

  it('GET /health reports per-endpoint state; /metrics is Prometheus text', async () => {
    const h = await pool.request({ method: 'GET', path: '/health', headers: auth });
    const body = (await h.body.json()) as { status: string; endpoints: Array<{ id: string; state: string }> };
    expect(h.statusCode).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.endpoints[0]).toMatchObject({ id: 'ep-a', state: 'healthy' });
    const m = await pool.request({ method: 'GET', path: '/metrics', headers: auth });
    expect(m.headers['content-type']).toContain('text/plain');
    const fams = parsePrometheusText(await m.body.text());
    for (const name of ['llm_router_requests_total', 'llm_router_request_duration_seconds', 'llm_router_ttft_seconds', 'llm_router_in_flight_requests', 'llm_router_breaker_state'])
      expect(fams.has(name), name).toBe(true);
    const reqs = fams.get('llm_router_requests_total')!.samples;
    expect(reqs.some((s) => s.labels.endpoint === 'ep-a' && s.labels.status === '200')).toBe(true);
    expect(reqs.some((s) => s.labels.endpoint === 'none' && s.labels.status === '401')).toBe(true);
  });
});

describe('drain', () => {
  it('finishes in-flight requests, refuses new ones, then closes', async () => {
    const p = post(chatBody('hold'));
    while (!gates.has('hold')) await new Promise((r) => setImmediate(r));
    const drained = server.drain(30_000);
    // The in-flight request still completes.
    gates.get('hold')!();
    const r = await p;
    expect(r.status).toBe(200);
    await drained;
    expect(server.http.listening).toBe(false);
  });
});
