import { createRequire } from 'node:module';
import type { Client as UndiciClient, Dispatcher, Pool as UndiciPool } from 'undici';
import { RouterError } from '../core/errors.js';
import type { Endpoint, RouteRequest, SendOptions, Transport, TransportResponse } from '../core/types.js';
import { SEND_DIRECT, type DirectTransport, type UpstreamHandle, type UpstreamSink } from '../core/direct.js';
import { H2Pool } from './h2-pool.js';
import { JsonCall, RAW_BODY } from './json-call.js';
import { StreamCall } from './stream-call.js';

export { usageOf } from './sse-scan.js';
export { RAW_BODY } from './json-call.js';

/**
 * The real transport: one undici Pool (keep-alive) per upstream origin, shared by
 * every endpoint on that origin (an H2Pool for endpoints with `http2: true`). It is the
 * library's default transport and the proxy's, so it lives outside router/http/.
 *
 * Why `pool.dispatch` with our own handler and not fetch or `pool.request`: this is
 * the proxy's hot path. fetch builds WHATWG streams and Response objects per call;
 * `request` builds a Readable body stream and its consume machinery. A handler gets
 * the raw header pairs and body chunks and costs neither (profiled: see bench/proxy.ts).
 * The router sends through `[SEND_DIRECT]` (core/direct.ts: the attempt is the abort
 * handle and the sink, so no AbortController or promise per request), and streams are
 * read by push (core/push.ts): an open stream then holds no promise.
 *
 * One request is one handler object, by job: upstream-call.ts (abort wiring, the response
 * head, header filtering), json-call.ts (a JSON body), stream-call.ts (an SSE stream, with
 * the pure scanners sse-check.ts and sse-scan.ts on the side).
 *
 * The upstream URL comes only from Endpoint.baseUrl (config); nothing of the client's
 * request (headers, host) is forwarded except the JSON body, whose `model` is
 * rewritten to the endpoint's upstream model. The API key is read once per endpoint
 * from the env var the config names and is never logged.
 *
 * Non-streaming 2xx bodies are parsed (a 2xx that is not JSON is `malformed_response`,
 * retryable) and also kept as bytes under RAW_BODY, so the proxy can send them on
 * without re-serialising. Streams are passed through chunk by chunk with backpressure
 * (a slow consumer pauses the upstream socket).
 */

/**
 * Load only undici's Pool and Client (and what they need), not the package index,
 * which also loads fetch, WebSocket, caching and mocks: ~9 MB less RSS in the proxy,
 * whose memory is budgeted. undici is pinned to an exact version; if an internal
 * path ever moves we fall back to the public export.
 */
function loadUndici<T>(file: string, name: 'Pool' | 'Client'): T {
  const require = createRequire(import.meta.url);
  try {
    const C = require(`undici/lib/dispatcher/${file}`) as unknown;
    if (typeof C === 'function' && typeof (C.prototype as { dispatch?: unknown }).dispatch === 'function') return C as T;
  } catch {
    // fall through
  }
  return (require('undici') as Record<typeof name, T>)[name];
}
const Pool = loadUndici<typeof UndiciPool>('pool.js', 'Pool');
const Client = loadUndici<typeof UndiciClient>('client.js', 'Client');
type Pool = UndiciPool | H2Pool;

/** Concurrent streams per HTTP/2 connection (a server's SETTINGS may lower it). */
const H2_STREAMS = 100;

export interface HttpTransportOptions {
  /** Max sockets per origin (undici Pool `connections`); default unlimited. */
  connections?: number | null;
  /** Idle keep-alive socket lifetime, ms (default 30 s). */
  keepAliveTimeoutMs?: number;
  /** undici headersTimeout / bodyTimeout, ms (defaults 300 s; the router's own deadlines usually fire first). */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  /** Where API keys are read from (default process.env). Keys are read once per endpoint and never logged. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Sent upstream as user-agent. */
  userAgent?: string;
  /** Largest non-streaming response body accepted, bytes (default 32 MiB). */
  maxBodyBytes?: number;
}

export interface HttpTransport extends Transport, DirectTransport {
  /** Close every pool (waits for in-flight requests). */
  close(): Promise<void>;
  /** Destroy every pool now (aborts in-flight requests). */
  destroy(): Promise<void>;
}

/** Raw body bytes of a response from this transport, when it has them. */
export function rawBodyOf(res: TransportResponse): Buffer | undefined {
  return (res as { [RAW_BODY]?: Buffer })[RAW_BODY];
}

/** Everything about an endpoint that is fixed: computed once, reused per request. */
interface Prepared {
  pool: Pool;
  chatPath: string;
  modelsPath: string;
  headers: Record<string, string>;
}

export function createHttpTransport(opts: HttpTransportOptions = {}): HttpTransport {
  const pools = new Map<string, Pool>();
  const prepared = new WeakMap<Endpoint, Prepared>();
  const env = opts.env ?? process.env;
  const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;

  function poolFor(origin: string, http2: boolean): Pool {
    const key = http2 ? `h2 ${origin}` : origin;
    let pool = pools.get(key);
    if (!pool) {
      const common = {
        keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
        headersTimeout: opts.headersTimeoutMs ?? 300_000,
        bodyTimeout: opts.bodyTimeoutMs ?? 300_000,
      };
      // HTTP/2: up to H2_STREAMS requests share one connection (h2c = prior knowledge).
      const h2c = origin.startsWith('http:');
      pool = http2
        ? new H2Pool(Client, origin, { ...common, allowH2: true, useH2c: h2c } as UndiciClient.Options, H2_STREAMS, h2c) // useH2c: missing from undici 7's types
        : new Pool(origin, { ...common, connections: opts.connections ?? null });
      pools.set(key, pool);
    }
    return pool;
  }

  function prepare(endpoint: Endpoint): Prepared {
    let p = prepared.get(endpoint);
    if (p) return p;
    if (!endpoint.baseUrl)
      throw new RouterError('invalid_config', `endpoint ${endpoint.id}: baseUrl is required by the HTTP transport`, {
        endpointId: endpoint.id,
      });
    let url: URL;
    try {
      url = new URL(endpoint.baseUrl);
    } catch {
      throw new RouterError('invalid_config', `endpoint ${endpoint.id}: baseUrl is not a URL`, { endpointId: endpoint.id });
    }
    const base = url.pathname.replace(/\/+$/, '');
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (opts.userAgent) headers['user-agent'] = opts.userAgent;
    if (endpoint.apiKeyEnv) {
      const key = env[endpoint.apiKeyEnv];
      if (key) headers.authorization = `Bearer ${key}`;
    }
    p = { pool: poolFor(url.origin, endpoint.http2 === true), chatPath: `${base}/chat/completions`, modelsPath: `${base}/models`, headers };
    prepared.set(endpoint, p);
    return p;
  }

  function send(endpoint: Endpoint, request: RouteRequest, { signal }: SendOptions): Promise<TransportResponse> {
    let p: Prepared;
    let payload: string;
    try {
      p = prepare(endpoint);
      payload = buildBody(endpoint, request);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<TransportResponse>((resolve, reject) => {
      const sink: UpstreamSink = { upstreamResponse: resolve, upstreamError: reject };
      const call = request.stream === true ? new StreamCall(endpoint.id, maxBody, sink, signal, null) : new JsonCall(endpoint.id, maxBody, sink, signal, null);
      p.pool.dispatch({ method: 'POST', path: p.chatPath, headers: p.headers, body: payload }, call);
    });
  }

  /**
   * The router's way in (core/direct.ts): the attempt is the abort handle and the sink,
   * so a request costs no AbortController (an EventTarget, ~1 KB while the stream lasts)
   * and no promise. Declines (the router then uses `send`, which reports the error) when
   * the endpoint or body cannot be prepared.
   */
  function sendDirect(endpoint: Endpoint, request: RouteRequest, handle: UpstreamHandle, sink: UpstreamSink): boolean {
    let p: Prepared;
    let payload: string;
    try {
      p = prepare(endpoint);
      payload = buildBody(endpoint, request);
    } catch {
      return false;
    }
    const call = request.stream === true ? new StreamCall(endpoint.id, maxBody, sink, null, handle) : new JsonCall(endpoint.id, maxBody, sink, null, handle);
    call.dispatching = true;
    try {
      p.pool.dispatch({ method: 'POST', path: p.chatPath, headers: p.headers, body: payload }, call);
    } finally {
      call.dispatching = false;
    }
    return true;
  }

  /** Active health check: GET <baseUrl>/models answers 2xx. */
  function check(endpoint: Endpoint, { signal }: SendOptions): Promise<boolean> {
    let p: Prepared;
    try {
      p = prepare(endpoint);
    } catch {
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve) => {
      let status = 0;
      let abort: ((e?: Error) => void) | null = null;
      const onAbort = (): void => abort?.(new RouterError('aborted', 'health check aborted'));
      const done = (ok: boolean): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      if (signal.aborted) return resolve(false);
      signal.addEventListener('abort', onAbort);
      p.pool.dispatch(
        { method: 'GET', path: p.modelsPath, headers: p.headers },
        {
          onConnect: (a: (e?: Error) => void) => {
            abort = a;
            if (signal.aborted) onAbort();
          },
          onHeaders: (code: number) => {
            status = code;
            return true;
          },
          onData: () => true,
          onComplete: () => done(status >= 200 && status < 300),
          onError: () => done(false),
        } as unknown as Dispatcher.DispatchHandler,
      );
    });
  }

  return {
    send,
    [SEND_DIRECT]: sendDirect,
    check,
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      pools.clear();
    },
    async destroy() {
      await Promise.all([...pools.values()].map((pool) => pool.destroy()));
      pools.clear();
    },
  };
}

/**
 * The client's body with `model` set to the endpoint's upstream model. Without a body, a
 * minimal one. A body JSON cannot encode (a cycle, a BigInt, nesting deep enough to
 * overflow the stack) is the request's fault: RouterError('invalid_request'), never
 * retried and not held against the endpoint.
 */
export function buildBody(endpoint: Endpoint, request: RouteRequest): string {
  const src = request.body;
  if (src) {
    try {
      return JSON.stringify(src.model === endpoint.upstreamModel ? src : { ...src, model: endpoint.upstreamModel });
    } catch (e) {
      throw new RouterError('invalid_request', `request body cannot be encoded as JSON: ${(e as Error)?.message ?? String(e)}`);
    }
  }
  const out: Record<string, unknown> = { model: endpoint.upstreamModel, messages: request.messages ?? [] };
  if (request.maxTokens !== undefined) out.max_tokens = request.maxTokens;
  if (request.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return JSON.stringify(out);
}
