import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeEndpoint, endpointSchema } from '../router/core/config.js';
import { RouterError } from '../router/core/errors.js';
import type { Endpoint } from '../router/core/types.js';
import { createHttpTransport, type HttpTransport } from '../router/transport/http.js';
import { sse, startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';

/** A tiny upstream stub whose behaviour each test picks via the request's model name. */
interface Seen {
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
  url: string;
}

let stub: StubUpstream;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  stub = await startStubUpstream((req, res, raw) => {
    if (req.method === 'GET') return void res.writeHead(200).end('{"data":[]}');
    const body = JSON.parse(raw) as Record<string, unknown>;
    seen.push({ headers: req.headers, body, url: req.url ?? '' });
    const model = String(body.model);
    if (model === 'json')
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: 'x', choices: [], usage: { prompt_tokens: 3, completion_tokens: 5 } }));
    if (model === 'limited') return void res.writeHead(429, { 'retry-after': '2' }).end('{"error":{"message":"slow down"}}');
    if (model === 'malformed') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"oops');
    if (model === 'stream')
      return sse(res, ['{"choices":[{"delta":{"content":"a"}}]}', '{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2}}'], true);
    if (model === 'cut') return sse(res, ['{"choices":[{"delta":{"content":"a"}}]}'], false);
    if (model === 'reset') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"a"}}]}\n\n');
      setImmediate(() => res.socket?.destroy());
      return;
    }
    if (model === 'hang') return; // never answers
    res.writeHead(500).end();
  });
  base = stub.base;
});

afterAll(() => stub.close());

function ep(upstreamModel: string, extra: Record<string, unknown> = {}): Endpoint {
  return normalizeEndpoint(
    endpointSchema.parse({ provider: 'stub', model: 'group', upstreamModel, baseUrl: base, apiKeyEnv: 'STUB_KEY', ...extra }),
  );
}

const signal = (): AbortSignal => new AbortController().signal;

async function collect(it: AsyncIterable<Uint8Array | string>): Promise<string> {
  let s = '';
  for await (const c of it) s += Buffer.from(c as Uint8Array).toString();
  return s;
}

describe('http transport', () => {
  let t: HttpTransport;
  beforeAll(() => {
    t = createHttpTransport({ env: { STUB_KEY: 'sk-secret' } });
  });
  afterAll(() => t.destroy());

  it('sends the body with the upstream model and its own auth, never client headers', async () => {
    const r = await t.send(ep('json'), { model: 'group', body: { model: 'group', messages: [{ role: 'user', content: 'hi' }] } }, { signal: signal() });
    expect(r.status).toBe(200);
    expect(r.usage).toEqual({ inputTokens: 3, outputTokens: 5 });
    const s = seen.at(-1)!;
    expect(s.body.model).toBe('json');
    expect(s.url).toBe('/v1/chat/completions');
    expect(s.headers.authorization).toBe('Bearer sk-secret');
    expect(s.headers.host).toBe(new URL(base).host);
  });

  it('returns 429 with Retry-After in ms', async () => {
    const r = await t.send(ep('limited'), { model: 'group', messages: [] }, { signal: signal() });
    expect(r.status).toBe(429);
    expect(r.retryAfterMs).toBe(2000);
    expect(r.body).toEqual({ error: { message: 'slow down' } });
  });

  it('rejects a 2xx body that is not JSON with malformed_response', async () => {
    await expect(t.send(ep('malformed'), { model: 'group' }, { signal: signal() })).rejects.toMatchObject({ code: 'malformed_response' });
  });

  it('passes a stream through and reads usage from its last chunk', async () => {
    const r = await t.send(ep('stream'), { model: 'group', stream: true }, { signal: signal() });
    const text = await collect(r.stream!);
    expect(text).toContain('data: [DONE]');
    expect(r.usage).toEqual({ inputTokens: 7, outputTokens: 2 });
  });

  it('a stream that ends without [DONE] throws stream_cut after the chunks', async () => {
    const r = await t.send(ep('cut'), { model: 'group', stream: true }, { signal: signal() });
    const got: string[] = [];
    const err = await (async () => {
      for await (const c of r.stream!) got.push(Buffer.from(c as Uint8Array).toString());
    })().catch((e: unknown) => e);
    expect(got.join('')).toContain('"content":"a"');
    expect(err).toBeInstanceOf(RouterError);
    expect((err as RouterError).code).toBe('stream_cut');
  });

  it('a socket reset mid-stream throws stream_cut', async () => {
    const r = await t.send(ep('reset'), { model: 'group', stream: true }, { signal: signal() });
    await expect(collect(r.stream!)).rejects.toMatchObject({ code: 'stream_cut' });
  });

  it('connection refused -> connect_failed', async () => {
    const dead = normalizeEndpoint(endpointSchema.parse({ provider: 'x', model: 'g', baseUrl: 'http://127.0.0.1:1/v1' }));
    await expect(t.send(dead, { model: 'g' }, { signal: signal() })).rejects.toMatchObject({ code: 'connect_failed' });
  });

  it('abort cancels a hanging request', async () => {
    const ac = new AbortController();
    const p = t.send(ep('hang'), { model: 'group' }, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'aborted' });
  });

  it('check() answers true for a live upstream', async () => {
    expect(await t.check!(ep('json'), { signal: signal() })).toBe(true);
  });
});
