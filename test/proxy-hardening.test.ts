import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { parseRouterConfig } from '../router/core/config.js';
import { RouterError, toRouterError } from '../router/core/errors.js';
import type { Candidate, RouteRequest } from '../router/core/types.js';
import { normaliseOrigin, parseProxyConfig } from '../router/http/config.js';
import { fromRouterError } from '../router/http/errors.js';
import { createProxyServer, MAX_JSON_DEPTH, nestedDeeperThan, type ProxyRouter, type ProxyServer } from '../router/http/server.js';

/**
 * The edge against hostile or broken clients (found by a robustness review): clients that
 * never finish their request, bodies nested deep enough to break re-encoding, browser
 * pages (cross-site / DNS rebinding) trying to spend the provider keys, huge declared
 * bodies, and upstream addresses in error messages.
 */

const { endpoints } = parseRouterConfig({ endpoints: [{ id: 'ep-a', provider: 'x', model: 'm', baseUrl: 'http://127.0.0.1:1/v1' }] });
const ep = endpoints[0]!;
let health = { state: 'healthy', available: true, until: null as number | null, ejections: 0, slowStart: 1 };
const candidate = (): Candidate => ({ endpoint: ep, stats: { inFlight: 0 }, health }) as unknown as Candidate;

const routed: RouteRequest[] = [];
const fake: ProxyRouter = {
  candidates: () => [candidate()],
  models: () => ['m'],
  on: () => () => {},
  route(req) {
    routed.push(req);
    return Promise.resolve({ endpoint: ep, attempts: 1, response: { status: 200, headers: {}, body: { ok: true } } });
  },
};

let server: ProxyServer;
let pool: Pool;
let port = 0;
/** A second server with short client timeouts, used only by the 408 test (so a slow machine cannot time out the others' requests). */
let strict: ProxyServer;
let strictPort = 0;

beforeAll(async () => {
  const cfg = parseProxyConfig({
    endpoints: [{ provider: 'x', model: 'm', baseUrl: 'http://127.0.0.1:1/v1' }],
    server: { allowedOrigins: ['https://App.example/'] },
  });
  server = createProxyServer({ router: fake, server: cfg.server });
  port = (await server.listen(0, '127.0.0.1')).port;
  pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 });
  const strictCfg = parseProxyConfig({
    endpoints: [{ provider: 'x', model: 'm', baseUrl: 'http://127.0.0.1:1/v1' }],
    server: { headersTimeoutMs: 200, requestTimeoutMs: 400 },
  });
  strict = createProxyServer({ router: fake, server: strictCfg.server });
  strictPort = (await strict.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await pool.destroy();
  await server.drain(100);
  await strict.drain(100);
});

const chatBody = (extra: Record<string, unknown> = {}): string => JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra });

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: JSON.parse(text) as { error: { code: string; message: string; type: string } } };
}

/** Write `bytes` on a raw connection and collect everything until the server closes it. */
function rawExchange(bytes: string, to = port): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(to, '127.0.0.1');
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('error', reject);
    s.on('close', () => resolve(out));
    if (bytes) s.write(bytes);
  });
}

describe('proxy hardening', () => {
  it('a client that sends nothing, trickles headers or never finishes its body gets 408 and its connection is closed', async () => {
    const before = routed.length;
    const outs = await Promise.all([
      rawExchange('', strictPort),
      rawExchange('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n', strictPort),
      rawExchange('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"model"', strictPort),
      rawExchange('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"mod\r\n', strictPort),
    ]);
    for (const o of outs) expect(o.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(routed.length).toBe(before);
    expect(strict.inFlight()).toBe(0);
    // Still serving: a complete request is answered.
    const ok = await rawExchange(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(chatBody())}\r\n\r\n${chatBody()}`, strictPort);
    expect(ok.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels with 400 before routing`, async () => {
    const before = routed.length;
    const deep = chatBody({ x: '[['.repeat(2500) + ']]'.repeat(2500) });
    const r = await post(deep.replace('"[[', '[[').replace(']]"', ']]'));
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_request', type: 'invalid_request_error' });
    expect(r.json.error.message).toContain(`deeper than ${MAX_JSON_DEPTH}`);
    expect(routed.length).toBe(before);
    // Brackets inside strings (with escaped quotes) do not count.
    const ok = await post(chatBody({ messages: [{ role: 'user', content: '\\"[[[[' + '{'.repeat(500) }] }));
    expect(ok.status).toBe(200);
  });

  it('nestedDeeperThan counts container levels only', () => {
    expect(nestedDeeperThan(JSON.parse('[[[]]]'), 3)).toBe(false);
    expect(nestedDeeperThan(JSON.parse('[[[[]]]]'), 3)).toBe(true);
    expect(nestedDeeperThan({ a: '[[[[{{{{' }, 1)).toBe(false);
    expect(nestedDeeperThan(JSON.parse('{"a":{"b":{}}}'), 2)).toBe(true);
    expect(nestedDeeperThan('x', 0)).toBe(false);
  });

  it('a browser Origin not in server.allowedOrigins gets 403 on /v1/*; allowed origins and clients without Origin pass', async () => {
    const before = routed.length;
    const evil = await post(chatBody(), { origin: 'https://evil.example', host: 'rebind.evil.example:1234' });
    expect(evil.status).toBe(403);
    expect(evil.json.error).toMatchObject({ code: 'origin_not_allowed', type: 'permission_error' });
    const models = await pool.request({ method: 'GET', path: '/v1/models', headers: { origin: 'null' } });
    expect(models.statusCode).toBe(403);
    await models.body.dump();
    expect(routed.length).toBe(before);
    // The configured 'https://App.example/' is normalised; the header must be that exact origin.
    expect((await post(chatBody(), { origin: 'https://app.example' })).status).toBe(200);
    expect((await post(chatBody(), { origin: 'https://app.example.evil.example' })).status).toBe(403);
    expect((await post(chatBody())).status).toBe(200);
  });

  it('server.allowedOrigins entries are normalised origins; anything else is a config error naming the field', () => {
    expect(normaliseOrigin('https://App.example:443/')).toBe('https://app.example');
    expect(normaliseOrigin('http://localhost:3000')).toBe('http://localhost:3000');
    for (const bad of ['https://app.example/path', 'app.example', 'ftp://x', 'null', 'https://u@app.example'])
      expect(normaliseOrigin(bad), bad).toBeNull();
    expect(() => parseProxyConfig({ endpoints: [{ provider: 'x', model: 'm', baseUrl: 'http://127.0.0.1:1/v1' }], server: { allowedOrigins: ['https://a.example/x'] } })).toThrow(
      /\nserver\.allowedOrigins\[0\]: an origin/,
    );
  });

  it('405 says which methods are allowed', async () => {
    const a = await pool.request({ method: 'GET', path: '/v1/chat/completions' });
    expect(a.statusCode).toBe(405);
    expect(a.headers.allow).toBe('POST');
    await a.body.dump();
    const b = await pool.request({ method: 'DELETE', path: '/health' });
    expect(b.statusCode).toBe(405);
    expect(b.headers.allow).toBe('GET, HEAD');
    await b.body.dump();
  });

  it('a declared body past the hard cap gets 413 (not a reset) and the connection closes', async () => {
    const out = await rawExchange(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"model":',
    );
    expect(out.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(out).toContain('"code":"request_too_large"');
  });

  it('/health: 200 while every endpoint is only cooling down (a 429 storm is not an outage), 503 when all are ejected', async () => {
    const get = async (): Promise<[number, string]> => {
      const r = await pool.request({ method: 'GET', path: '/health' });
      return [r.statusCode, ((await r.body.json()) as { status: string }).status];
    };
    try {
      expect(await get()).toEqual([200, 'ok']);
      health = { ...health, state: 'cooldown', available: false, until: 2000 };
      expect(await get()).toEqual([200, 'cooling_down']);
      health = { ...health, state: 'ejected', available: false, until: 30_000 };
      expect(await get()).toEqual([503, 'degraded']);
    } finally {
      health = { state: 'healthy', available: true, until: null, ejections: 0, slowStart: 1 };
    }
  });

  it('error messages name the endpoint, never the upstream address a socket error carries', () => {
    const sys = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:8443'), { code: 'ECONNREFUSED' });
    const e = fromRouterError(toRouterError(sys, 'ep-a'));
    expect(e.status).toBe(502);
    expect(e.message).toBe('could not connect to the upstream (endpoint ep-a)');
    const reset = fromRouterError(toRouterError(Object.assign(new Error('read ECONNRESET 10.1.2.3:8443'), { code: 'ECONNRESET' }), 'ep-a'));
    expect(reset.message).not.toContain('10.1.2.3');
    // Wrapped twice (a stream error around a connect error): still no address.
    const wrapped = new RouterError('stream_cut', 'stream from ep-a failed: connect failed: connect ECONNREFUSED 10.1.2.3:8443', {
      endpointId: 'ep-a',
      cause: toRouterError(sys, 'ep-a'),
    });
    expect(fromRouterError(wrapped).message).toBe('the upstream stream broke (endpoint ep-a)');
    // Errors that wrap nothing keep their own (address-free) message.
    expect(fromRouterError(new RouterError('no_healthy_endpoint', 'no endpoint of "m" is available')).message).toBe('no endpoint of "m" is available');
  });
});
