import { connect, constants, createServer as createH2Server, type ClientHttp2Session, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { createConnection, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Client as UndiciClient } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { endpointSchema, normalizeEndpoint } from '../router/core/config.js';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { H2Pool } from '../router/transport/h2-pool.js';
import { createHttpTransport } from '../router/transport/http.js';
import { parseProfile } from '../simulator/profile.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import { baseProfile, chatBody, noFail } from './sim-profile-fixtures.js';
import { observe } from './sim-server-observe.js';
import { startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';

/**
 * HTTP/2 to upstreams: the mock provider server speaks h2c (prior knowledge) on the
 * same port as HTTP/1.1, and the HTTP transport multiplexes an endpoint's requests
 * over a few h2 connections when the endpoint sets `http2: true`.
 */

const closers: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const chat = chatBody;

async function provider(over: Parameters<typeof baseProfile>[0], opts: Parameters<typeof startProviderServer>[1] = {}): Promise<ProviderServer> {
  const s = await startProviderServer(parseProfile(baseProfile(over), 'test'), { speed: 1000, ...opts });
  closers.push(() => s.close());
  return s;
}

function h2session(port: number): ClientHttp2Session {
  const s = connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {}); // failures are read from the streams
  closers.push(() => void s.destroy());
  return s;
}

interface H2Result {
  status: number;
  text: string;
  /** RST_STREAM code when the server reset the stream, else 0 (NGHTTP2_NO_ERROR). */
  rstCode: number;
  error?: string;
}

/** One request on an h2 session, with node:http2 itself (independent of undici). */
function h2request(session: ClientHttp2Session, path: string, body?: object, headers: Record<string, string> = {}): Promise<H2Result> {
  return new Promise((resolve) => {
    const req = session.request({
      ':method': body ? 'POST' : 'GET',
      ':path': path,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...headers,
    });
    let status = 0;
    let text = '';
    let error: string | undefined;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('error', (e: Error) => (error = e.message));
    req.on('close', () => resolve({ status, text, rstCode: req.rstCode ?? 0, ...(error ? { error } : {}) }));
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe('mock provider server over HTTP/2 (h2c, same port as HTTP/1.1)', () => {
  it('serves /health, /v1/models, JSON and SSE over one h2 connection, many streams at once', async () => {
    const s = await provider({ ...noFail, capacity: { maxConcurrent: 100, queue: 0 } });
    const session = h2session(s.port);
    expect((await h2request(session, '/health')).status).toBe(200);
    expect(JSON.parse((await h2request(session, '/v1/models')).text).data[0].id).toBe('m');
    const json = await h2request(session, '/v1/chat/completions', chat(false, 5), { 'x-sim-output-tokens': '30' });
    expect(json.status).toBe(200);
    expect(JSON.parse(json.text).usage.completion_tokens).toBe(5);
    const streams = await Promise.all(
      Array.from({ length: 40 }, (_, i) => h2request(session, '/v1/chat/completions', chat(true), { 'x-sim-output-tokens': '20', 'x-sim-request-id': String(i) })),
    );
    for (const r of streams) {
      expect(r.status).toBe(200);
      expect(r.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    }
  });

  it('a client that resets before or during its first bytes does not take the server down', async () => {
    const s = await provider(noFail);
    for (const first of ['', 'PRI', 'GET /hea']) {
      await new Promise<void>((resolve) => {
        const c = createConnection({ host: '127.0.0.1', port: s.port }, () => {
          if (first) c.write(first);
          c.resetAndDestroy();
        });
        c.on('error', () => {});
        c.on('close', () => resolve());
      });
    }
    expect((await h2request(h2session(s.port), '/health')).status).toBe(200);
    expect((await fetch(s.url.replace('/v1', '/health'))).status).toBe(200);
  });

  it('answers the same request identically over HTTP/1.1 and HTTP/2', async () => {
    const s = await provider({});
    const session = h2session(s.port);
    for (let id = 0; id < 20; id++) {
      const headers = { 'x-sim-request-id': String(id), 'x-sim-now-ms': '1000', 'x-sim-output-tokens': '12' };
      const h1 = await observe(`${s.url}/chat/completions`, chat(true), headers);
      const h2 = await h2request(session, '/v1/chat/completions', chat(true), headers);
      expect(h2.status, `request ${id}`).toBe(h1.status);
      expect(h2.text.includes('[DONE]'), `request ${id}`).toBe(h1.done);
      if (h1.usage) expect(h2.text).toContain(`"completion_tokens":${h1.usage.completion_tokens}`);
    }
  });

  it('a per-request refusal resets only that stream (REFUSED_STREAM); the connection keeps serving', async () => {
    const s = await provider({ ...noFail, timeline: [{ at: 100, until: 200, kind: 'error_burst', rate: 1, kinds: { refused: 1 } }] });
    const session = h2session(s.port);
    const refused = await h2request(session, '/v1/chat/completions', chat(false), { 'x-sim-now-ms': '150000' });
    expect(refused.rstCode).toBe(constants.NGHTTP2_REFUSED_STREAM);
    expect(refused.status).toBe(0);
    const ok = await h2request(session, '/v1/chat/completions', chat(false), { 'x-sim-now-ms': '0' });
    expect(ok.status).toBe(200);
    expect(session.destroyed).toBe(false);
  });

  it('a stream cut ends the h2 stream without [DONE]', async () => {
    const s = await provider({ failures: { baseErrorRate: 1, kinds: { stream_cut: 1 } } });
    const session = h2session(s.port);
    const r = await h2request(session, '/v1/chat/completions', chat(true), { 'x-sim-output-tokens': '50' });
    expect(r.status).toBe(200);
    expect(r.text).not.toContain('[DONE]');
  });

  it('an outage (reset) destroys the h2 connection; an outage (refuse) refuses new ones (ManualClock)', async () => {
    const clock = new ManualClock();
    const s = await provider({ ...noFail, timeline: [{ at: 1, until: 2, kind: 'outage', mode: 'reset' }, { at: 10, until: 20, kind: 'outage', mode: 'refuse' }] }, { clock, speed: 1 });
    const session = h2session(s.port);
    expect((await h2request(session, '/health')).status).toBe(200);
    clock.tick(1000);
    const reset = await h2request(session, '/health');
    expect(reset.status).toBe(0);
    expect(session.destroyed).toBe(true);
    clock.tick(9000);
    await s.settled();
    expect(s.listening()).toBe(false);
    const refused = await new Promise<string>((resolve) => {
      const c = connect(`http://127.0.0.1:${s.port}`);
      c.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
      c.on('connect', () => resolve('connected'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

/**
 * A bare h2c server counting connections. It holds every stream open until `burst`
 * streams have arrived, then answers them all: a client that does not really run
 * them concurrently never completes (the test then fails on its timeout).
 */
async function holdingH2Server(
  burst: number,
  maxConcurrentStreams?: number,
): Promise<{ url: string; sessions: () => number; setBurst: (n: number) => void }> {
  let sessions = 0;
  const held: ServerHttp2Stream[] = [];
  const server: Http2Server = createH2Server(maxConcurrentStreams === undefined ? {} : { settings: { maxConcurrentStreams } });
  server.on('session', () => sessions++);
  server.on('stream', (stream) => {
    stream.resume();
    stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
    stream.write('data: {"choices":[{"delta":{"content":"a"}}]}\n\n');
    held.push(stream);
    if (held.length < burst) return;
    for (const h of held.splice(0)) h.end('data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n\ndata: [DONE]\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    sessions: () => sessions,
    setBurst: (n) => (burst = n),
  };
}

/** A transport and an http2 endpoint at `baseUrl`; each call streams one request and returns its text. */
function h2Streamer(baseUrl: string): () => Promise<string> {
  const t = createHttpTransport();
  closers.push(() => t.destroy());
  const ep = normalizeEndpoint(endpointSchema.parse({ provider: 'h2', model: 'g', baseUrl, http2: true }));
  return async () => {
    const res = await t.send(ep, { model: 'g', messages: [{ role: 'user', content: 'hi' }], stream: true }, { signal: new AbortController().signal });
    let s = '';
    for await (const c of res.stream!) s += Buffer.from(c as Uint8Array).toString();
    return s;
  };
}

describe('HTTP transport with http2: true', () => {
  it('multiplexes 250 concurrent streams over at most 3 connections (100 streams each)', async () => {
    const up = await holdingH2Server(250);
    const ask = h2Streamer(up.url);
    const texts = await Promise.all(Array.from({ length: 250 }, ask));
    expect(texts.every((s) => s.includes('[DONE]'))).toBe(true);
    expect(up.sessions()).toBeLessThanOrEqual(3);
  }, 10_000);

  it("opens more connections for a server that allows fewer concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS 10)", async () => {
    const up = await holdingH2Server(1, 10);
    const ask = h2Streamer(up.url);
    // one request first, so a connection has read the server's settings (a cold burst cannot know them)
    expect(await ask()).toContain('[DONE]');
    up.setBurst(50); // now the server answers only once 50 streams are open at once
    const texts = await Promise.all(Array.from({ length: 50 }, ask));
    expect(texts.every((x) => x.includes('[DONE]'))).toBe(true);
    expect(up.sessions()).toBeGreaterThanOrEqual(5);
  }, 10_000);

  it('an endpoint config rejects a non-boolean http2, naming the field', () => {
    const r = endpointSchema.safeParse({ provider: 'p', model: 'm', http2: 'yes' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['http2']);
  });

  it('never pipelines when ALPN may pick HTTP/1.1: one request per socket until a connection reports HTTP/2', async () => {
    let maxPerSocket = 0;
    const perSocket = new Map<unknown, number>();
    const sockets = new Set<unknown>();
    const held: Array<() => void> = [];
    const stub: StubUpstream = await startStubUpstream((req, res) => {
      sockets.add(req.socket);
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      maxPerSocket = Math.max(maxPerSocket, n);
      held.push(() => {
        perSocket.set(req.socket, perSocket.get(req.socket)! - 1);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
      if (held.length === 6) for (const answer of held.splice(0)) answer(); // all 6 at once, or never
    });
    closers.push(() => stub.close());
    const Client = createRequire(import.meta.url)('undici').Client as typeof UndiciClient;
    // allowH2 false stands in for an https upstream whose ALPN picks http/1.1
    const pool = new H2Pool(Client, new URL(stub.base).origin, { allowH2: false }, 100, false);
    closers.push(() => pool.destroy());
    const one = (): Promise<number> =>
      new Promise((resolve, reject) => {
        let status = 0;
        pool.dispatch(
          { method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: '{}' },
          {
            onConnect: () => {},
            onHeaders: (s: number) => ((status = s), true),
            onData: () => true,
            onComplete: () => resolve(status),
            onError: reject,
          } as never,
        );
      });
    // a cold burst: the six run side by side on six sockets, none queued behind another
    const statuses = await Promise.all(Array.from({ length: 6 }, one));
    expect(statuses).toEqual(Array(6).fill(200));
    expect(maxPerSocket).toBe(1);
    expect(sockets.size).toBe(6);
    // after a connection reported HTTP/1.1, still one at a time per socket
    const again = await Promise.all(Array.from({ length: 6 }, one));
    expect(again).toEqual(Array(6).fill(200));
    expect(maxPerSocket).toBe(1);
  }, 10_000);
});

describe('proxy over h2c upstreams', () => {
  it('streams through http2 endpoints; one provider going away mid-run costs no client request', async () => {
    const a = await provider(noFail);
    const b = await provider(noFail);
    const config = {
      server: { port: 0 },
      endpoints: [
        { id: 'a', provider: 'mock', model: 'm', baseUrl: a.url, http2: true },
        { id: 'b', provider: 'mock', model: 'm', baseUrl: b.url, http2: true },
      ],
      strategy: 'round-robin',
    };
    const proxy: RunningProxy = await startProxy(config, { log: () => {} });
    closers.push(() => proxy.close(1000));
    const ask = (i: number) => observe(`${proxy.url}/v1/chat/completions`, chat(i % 2 === 0), { 'x-sim-output-tokens': '10' });
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(i)));
    expect(first.every((o) => o.kind === 'ok')).toBe(true);
    await a.close(); // its h2 connections and its listener go away
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(i)));
    expect(after.map((o) => o.kind)).toEqual(Array(20).fill('ok'));
  });

  it('a client leaving mid-stream resets the upstream HTTP/2 stream (and only that stream)', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    const server: Http2Server = createH2Server();
    server.on('stream', (stream) => {
      stream.resume();
      stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
      stream.write('data: {"choices":[{"delta":{"content":"a"}}]}\n\n'); // then holds the stream open
      stream.on('close', () => upstreamClosed());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const proxy: RunningProxy = await startProxy(
      { server: { port: 0 }, endpoints: [{ id: 'h2', provider: 'mock', model: 'm', baseUrl: base, http2: true }] },
      { log: () => {} },
    );
    closers.push(() => proxy.close(1000));
    const ac = new AbortController();
    const res = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(chat(true)), signal: ac.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"content":"a"');
    ac.abort();
    await closed; // the proxy reset the upstream stream; a hang here fails on the test timeout
    expect(proxy.server.inFlight()).toBe(0);
  });
});
