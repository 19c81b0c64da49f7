import { createRequire } from 'node:module';
import type { Client as UndiciClient, Dispatcher, Pool as UndiciPool } from 'undici';
import { RouterError, parseRetryAfter, toRouterError } from '../core/errors.js';
import type { Endpoint, RouteRequest, SendOptions, Transport, TransportResponse, Usage } from '../core/types.js';
import { SEND_DIRECT, type DirectTransport, type UpstreamHandle, type UpstreamSink } from '../core/direct.js';
import { STREAM_PUSH, STREAM_RESUME, type ChunkSink, type PushSource } from '../core/push.js';
import { H2Pool } from './h2-pool.js';
import { SseChecker } from './sse-check.js';
import { SseUsageScan, usageOf } from './sse-scan.js';

export { usageOf } from './sse-scan.js';

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
 * handle and the sink, so no AbortController or promise per request), and the proxy
 * reads streams by push (core/push.ts): an open stream then holds no promise.
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

/** The upstream's exact bytes of a non-streaming response body (a Buffer), for pass-through. */
export const RAW_BODY: unique symbol = Symbol.for('llm-router.rawBody');

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
      const call = new UpstreamCall(endpoint.id, request.stream === true, maxBody, { upstreamResponse: resolve, upstreamError: reject }, signal, null);
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
    const call = new UpstreamCall(endpoint.id, request.stream === true, maxBody, sink, null, handle);
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

/** Upstream response headers the router uses (content-type: stream or JSON; Retry-After for cooldowns; request ids for traces). */
const KEPT_HEADERS = new Set(['content-type', 'retry-after', 'retry-after-ms', 'x-request-id']);

/** Pull mode: pause the upstream socket when this many bytes wait for the consumer. */
const HIGH_WATER = 64 * 1024;
type Waiter = { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void };

/**
 * One upstream request, as an undici (legacy, allocation-free) dispatch handler.
 * Reports to `head` with the TransportResponse at the response head (streams) or at its
 * end (JSON), or with the error; for streams it is then the response's stream, read
 * either as an async iterator or by push (STREAM_PUSH, router/core/push.ts: each
 * chunk goes straight to the sink, and a sink that cannot take more pauses the
 * upstream socket).
 *
 * Aborts come from an AbortSignal (`send`) or from the router's attempt itself
 * (`[SEND_DIRECT]`: the attempt calls handleAbort; no AbortController per request).
 *
 * Stream checks, on the side of the pass-through, are pure scanners of the bytes: whole
 * SSE events with complete JSON (sse-check.ts), the usage event and the closing
 * `data: [DONE]` (sse-scan.ts): an upstream that closes without it has cut the stream and
 * the consumer gets stream_cut instead of a silent clean end. Neither keeps a chunk after
 * it was handed on (a kept chunk would pin its socket read buffer until the next full GC).
 */
class UpstreamCall implements AsyncIterableIterator<Uint8Array>, PushSource {
  private abortFn: ((err?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private headDone = false;
  private finished = false;
  /** Inside pool.dispatch: a direct send must not report from inside its call. */
  dispatching = false;
  private status = 0;
  private headers: Record<string, string | undefined> = {};
  private retryAfterMs: number | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  // stream mode
  private streaming = false;
  private response: TransportResponse | null = null;
  private waiter: Waiter | null = null;
  private sink: ChunkSink | null = null;
  private error: RouterError | null = null;
  private ended = false;
  /** The upstream socket is paused (onData returned false). */
  private paused = false;
  /** Streams: usage and the closing `[DONE]`, read on the side of the pass-through (sse-scan.ts). */
  private scan: SseUsageScan | null = null;
  /** The consumer called return(): nothing more is delivered. */
  private abandoned = false;
  /** Streams: forwards only whole SSE events whose data is complete JSON or [DONE]. */
  private sse: SseChecker | null = null;

  constructor(
    private readonly endpointId: string,
    private readonly wantStream: boolean,
    private readonly maxBody: number,
    private readonly head: UpstreamSink,
    private readonly signal: AbortSignal | null,
    private readonly handle: UpstreamHandle | null,
  ) {
    if (signal !== null && !signal.aborted) signal.addEventListener('abort', this);
    if (handle !== null) handle.abortListener = this;
  }

  // ---- abort sources: an AbortSignal listener, or the attempt's handle (objects: no closure per request)
  handleEvent(): void {
    this.abortWith(this.signal!.reason);
  }

  handleAbort(): void {
    this.abortWith(this.handle!.abortReason);
  }

  private abortWith(reason: unknown): void {
    const err = reason instanceof Error ? reason : new RouterError('aborted', 'request aborted', { endpointId: this.endpointId });
    if (this.abortFn) this.abortFn(err);
    else this.onError(err);
  }

  private abortedReason(): unknown {
    if (this.signal?.aborted) return this.signal.reason;
    if (this.handle?.aborted) return this.handle.abortReason;
    return undefined;
  }

  private detach(): void {
    this.signal?.removeEventListener('abort', this);
    if (this.handle !== null && this.handle.abortListener === this) this.handle.abortListener = null;
  }

  /** Report the head (response or error) once; a direct send never reports from inside its own call. */
  private reportHead(res: TransportResponse | null, err: RouterError | null): void {
    this.headDone = true;
    if (this.dispatching) queueMicrotask(() => this.deliverHead(res, err));
    else this.deliverHead(res, err);
  }

  private deliverHead(res: TransportResponse | null, err: RouterError | null): void {
    if (err !== null) this.head.upstreamError(err);
    else this.head.upstreamResponse(res!);
  }

  // ---- undici handler
  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    const reason = this.abortedReason();
    if (reason !== undefined) abort(reason instanceof Error ? reason : undefined);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational
    this.status = statusCode;
    this.resume = resume;
    // Only the headers the router reads are kept (decoding every header costs on the hot path).
    const h: Record<string, string | undefined> = {};
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      const len = name.length;
      if (len !== 12 && len !== 11 && len !== 14) continue; // the lengths of KEPT_HEADERS
      const k = name.toString('latin1').toLowerCase();
      if (!KEPT_HEADERS.has(k)) continue;
      const v = rawHeaders[i + 1]!.toString('latin1');
      const prev = h[k];
      h[k] = prev === undefined ? v : `${prev}, ${v}`;
    }
    this.headers = h;
    // OpenAI-style `retry-after-ms` is more precise than Retry-After (whole or fractional seconds).
    const ram = h['retry-after-ms'];
    if (ram !== undefined && /^\d+(\.\d+)?$/.test(ram.trim())) this.retryAfterMs = Number(ram);
    else if (h['retry-after'] !== undefined) this.retryAfterMs = parseRetryAfter(h['retry-after']);
    const ok = statusCode >= 200 && statusCode < 300;
    if (ok && this.wantStream && !(h['content-type'] ?? '').includes('json')) {
      this.streaming = true;
      this.sse = new SseChecker();
      this.scan = new SseUsageScan();
      const res: TransportResponse = { status: statusCode, headers: h, retryAfterMs: this.retryAfterMs };
      res.stream = this;
      this.response = res;
      this.reportHead(res, null);
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.streaming) {
      this.size += chunk.length;
      if (this.size > this.maxBody) {
        this.abortFn?.(new RouterError('malformed_response', `upstream ${this.endpointId} body exceeds ${this.maxBody} bytes`, { endpointId: this.endpointId }));
        return false;
      }
      this.chunks.push(chunk);
      return true;
    }
    const sse = this.sse!;
    const ready = sse.feed(chunk);
    const more = ready === null || this.deliver(ready);
    if (sse.problem !== null) this.malformed();
    return more;
  }

  /** Hand checked stream bytes on (push sink, pull waiter, or the buffer); false pauses the socket. */
  private deliver(chunk: Buffer): boolean {
    this.scan!.scan(chunk, this.response!);
    const s = this.sink;
    if (s !== null && !this.paused) {
      if (s.pushChunk(chunk)) return true;
      this.paused = true;
      return false;
    }
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w.resolve({ value: chunk, done: false });
      return true;
    }
    // Nobody is reading right now (pull between next() calls, or a paused sink): keep it.
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (s !== null || this.size >= HIGH_WATER) {
      this.paused = true;
      return false;
    }
    return true;
  }

  /**
   * The upstream sent an SSE event that is not complete JSON (sse-check.ts): stop reading it.
   * Before the first chunk reached the router this fails the attempt (it fails over);
   * after it the consumer gets the error instead of the event and `[DONE]`.
   */
  private malformed(): void {
    if (this.error !== null) return;
    const err = new RouterError('malformed_response', `upstream ${this.endpointId} sent ${this.sse!.problem}`, { endpointId: this.endpointId });
    this.error = err;
    if (!this.finished) {
      this.finished = true;
      this.detach();
      this.abortFn?.(err);
    }
    this.wake();
  }

  onComplete(): void {
    this.finished = true;
    this.detach();
    if (this.streaming) {
      const rest = this.sse!.end();
      if (rest !== null) this.deliver(rest);
      if (this.sse!.problem !== null) return this.malformed();
      this.ended = true;
      this.wake();
      return;
    }
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    const ok = this.status >= 200 && this.status < 300;
    let body: unknown;
    if (buf.length === 0) body = undefined;
    else {
      try {
        body = JSON.parse(buf.toString('utf8'));
      } catch {
        body = ok ? MALFORMED : buf.toString('utf8');
      }
    }
    if (ok && (body === undefined || body === MALFORMED)) {
      this.reportHead(null, new RouterError('malformed_response', `upstream ${this.endpointId} sent a body that is not JSON`, { endpointId: this.endpointId }));
      return;
    }
    const res: TransportResponse & { [RAW_BODY]?: Buffer } = {
      status: this.status,
      headers: this.headers,
      body,
      usage: ok ? usageOf(body) : undefined,
      retryAfterMs: this.retryAfterMs,
    };
    if (ok) res[RAW_BODY] = buf;
    this.reportHead(res, null);
  }

  onError(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.detach();
    const e = toRouterError(err, this.endpointId);
    if (!this.headDone) return this.reportHead(null, e);
    this.error =
      e.code === 'aborted' || e.code === 'timeout' || e.code === 'ttft_timeout'
        ? e
        : new RouterError('stream_cut', `upstream ${this.endpointId} stream broke: ${e.message}`, { endpointId: this.endpointId, cause: err });
    this.wake();
  }

  // ---- stream side
  /** The stream's end as the consumer sees it: the error, stream_cut when `[DONE]` never came, or null (clean). */
  private endError(): RouterError | null {
    if (this.error) return this.error;
    if (!this.scan!.sawDone)
      return new RouterError('stream_cut', `upstream ${this.endpointId} stream ended without [DONE]`, { endpointId: this.endpointId });
    return null;
  }

  /** The upstream ended or failed: tell whoever is reading (pull waiter, or push sink unless it paused). */
  private wake(): void {
    const s = this.sink;
    if (s !== null) {
      if (!this.paused) this.flush(s);
      return;
    }
    const w = this.waiter;
    if (!w) return;
    this.waiter = null;
    this.next().then(w.resolve, w.reject);
  }

  /** Push mode: hand over what is buffered, then the end or error if it came (as next() does); else resume the socket. */
  private flush(s: ChunkSink): void {
    if (this.chunks.length > 0) {
      const c = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
      this.chunks = [];
      this.size = 0;
      if (!s.pushChunk(c)) {
        this.paused = true;
        return;
      }
    }
    if (this.ended || this.error) {
      this.sink = null;
      const e = this.endError();
      if (e) s.pushError(e);
      else s.pushEnd();
      return;
    }
    if (this.paused) {
      this.paused = false;
      this.resume?.();
    }
  }

  [STREAM_PUSH](sink: ChunkSink): void {
    if (this.sink !== null || this.waiter !== null) throw new Error('UpstreamCall: already being read');
    if (this.abandoned) return;
    this.sink = sink;
    this.flush(sink);
  }

  [STREAM_RESUME](): void {
    const s = this.sink;
    if (s === null || !this.paused) return;
    this.flush(s);
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.chunks.length > 0) {
      // Hand over everything buffered as one chunk (fewer writes downstream).
      const c = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
      this.chunks = [];
      this.size = 0;
      if (this.paused) {
        this.paused = false;
        this.resume?.();
      }
      return Promise.resolve({ value: c, done: false });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended) {
      const e = this.endError();
      return e ? Promise.reject(e) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** The consumer stopped early: abort the upstream request. */
  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.finished) {
      this.finished = true;
      this.detach();
      this.abortFn?.(new RouterError('aborted', 'stream abandoned by the consumer', { endpointId: this.endpointId }));
    }
    this.chunks = [];
    this.size = 0;
    this.sink = null;
    this.abandoned = true;
    this.ended = true;
    this.error = null;
    this.scan?.abandon(); // a consumer that stopped has no stream to judge
    const w = this.waiter;
    this.waiter = null;
    w?.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

const MALFORMED = Symbol('malformed');
