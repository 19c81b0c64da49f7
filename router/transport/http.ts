import { createRequire } from 'node:module';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import { RouterError, parseRetryAfter, toRouterError } from '../core/errors.js';
import type { Endpoint, RouteRequest, SendOptions, Transport, TransportResponse, Usage } from '../core/types.js';

/**
 * The real transport: one undici Pool (keep-alive) per upstream origin, shared by
 * every endpoint on that origin. It is the library's default transport and the
 * proxy's, so it lives outside router/http/.
 *
 * Why `pool.dispatch` with our own handler and not fetch or `pool.request`: this is
 * the proxy's hot path. fetch builds WHATWG streams and Response objects per call;
 * `request` builds a Readable body stream and its consume machinery. A handler gets
 * the raw header pairs and body chunks and costs neither (profiled: see bench/proxy.ts).
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
 * Load only undici's Pool (and what it needs), not the package index, which also
 * loads fetch, WebSocket, caching and mocks: ~9 MB less RSS in the proxy, whose
 * memory is budgeted. undici is pinned to an exact version; if this internal path
 * ever moves we fall back to the public export.
 */
function loadPool(): typeof UndiciPool {
  const require = createRequire(import.meta.url);
  try {
    const P = require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
    if (typeof P === 'function' && typeof P.prototype.dispatch === 'function') return P;
  } catch {
    // fall through
  }
  return (require('undici') as { Pool: typeof UndiciPool }).Pool;
}
const Pool = loadPool();
type Pool = UndiciPool;

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

export interface HttpTransport extends Transport {
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

  function poolFor(origin: string): Pool {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: opts.connections ?? null,
        keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
        headersTimeout: opts.headersTimeoutMs ?? 300_000,
        bodyTimeout: opts.bodyTimeoutMs ?? 300_000,
      });
      pools.set(origin, pool);
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
    p = { pool: poolFor(url.origin), chatPath: `${base}/chat/completions`, modelsPath: `${base}/models`, headers };
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
      const call = new UpstreamCall(endpoint.id, request.stream === true, signal, maxBody, resolve, reject);
      p.pool.dispatch({ method: 'POST', path: p.chatPath, headers: p.headers, body: payload }, call);
    });
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

/** The client's body with `model` set to the endpoint's upstream model. Without a body, a minimal one. */
export function buildBody(endpoint: Endpoint, request: RouteRequest): string {
  const src = request.body;
  if (src) {
    if (src.model === endpoint.upstreamModel) return JSON.stringify(src);
    return JSON.stringify({ ...src, model: endpoint.upstreamModel });
  }
  const out: Record<string, unknown> = { model: endpoint.upstreamModel, messages: request.messages ?? [] };
  if (request.maxTokens !== undefined) out.max_tokens = request.maxTokens;
  if (request.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return JSON.stringify(out);
}

/**
 * OpenAI usage `{prompt_tokens, completion_tokens}` -> Usage. A numeric `cost` (USD, as
 * OpenRouter reports it) is kept as the billed cost, so the router sees price changes.
 */
export function usageOf(body: unknown): Usage | undefined {
  const u = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; cost?: unknown } } | null)?.usage;
  if (!u || typeof u !== 'object') return undefined;
  const inputTokens = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const outputTokens = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  const cost = u.cost;
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0
    ? { inputTokens, outputTokens, costUsd: cost }
    : { inputTokens, outputTokens };
}

/** Upstream response headers the router uses (content-type: stream or JSON; Retry-After for cooldowns; request ids for traces). */
const KEPT_HEADERS = new Set(['content-type', 'retry-after', 'retry-after-ms', 'x-request-id']);

const TAIL_BYTES = 32;
/** Pause the upstream socket when this many bytes wait for the consumer. */
const HIGH_WATER = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const DONE_MARK = Buffer.from('[DONE]');

type Waiter = { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void };

/**
 * One upstream request, as an undici (legacy, allocation-free) dispatch handler.
 * Resolves `resolve` with the TransportResponse at the response head (streams) or at
 * its end (JSON); is its own async iterator for streams.
 *
 * Stream checks, on the side of the pass-through: usage is read only from complete
 * lines of chunks that contain `"usage"`; a clean SSE stream ends with `data: [DONE]`,
 * so its last 32 bytes must contain `[DONE]`: an upstream that closes without it has
 * cut the stream and the consumer gets stream_cut instead of a silent clean end.
 */
class UpstreamCall implements AsyncIterableIterator<Uint8Array> {
  private abortFn: ((err?: Error) => void) | null = null;
  private resume: (() => void) | null = null;
  private headResolved = false;
  private finished = false;
  private status = 0;
  private headers: Record<string, string | undefined> = {};
  private retryAfterMs: number | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  // stream mode
  private streaming = false;
  private response: TransportResponse | null = null;
  private waiter: Waiter | null = null;
  private error: RouterError | null = null;
  private ended = false;
  private paused = false;
  private carry: Buffer | null = null;
  private tail: Buffer = EMPTY;

  constructor(
    private readonly endpointId: string,
    private readonly wantStream: boolean,
    private readonly signal: AbortSignal,
    private readonly maxBody: number,
    private readonly resolveHead: (r: TransportResponse) => void,
    private readonly rejectHead: (e: RouterError) => void,
  ) {
    if (signal.aborted) return;
    signal.addEventListener('abort', this);
  }

  // ---- AbortSignal listener (an object: no closure per request)
  handleEvent(): void {
    const reason = this.signal.reason as unknown;
    const err = reason instanceof Error ? reason : new RouterError('aborted', 'request aborted', { endpointId: this.endpointId });
    if (this.abortFn) this.abortFn(err);
    else this.onError(err);
  }

  private detach(): void {
    this.signal.removeEventListener('abort', this);
  }

  // ---- undici handler
  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.signal.aborted) abort(this.signal.reason instanceof Error ? this.signal.reason : undefined);
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
      const res: TransportResponse = { status: statusCode, headers: h, retryAfterMs: this.retryAfterMs };
      res.stream = this;
      this.response = res;
      this.headResolved = true;
      this.resolveHead(res);
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
    this.watch(chunk);
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w.resolve({ value: chunk, done: false });
      return true;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size >= HIGH_WATER) {
      this.paused = true;
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.finished = true;
    this.detach();
    if (this.streaming) {
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
      this.headResolved = true;
      this.rejectHead(
        new RouterError('malformed_response', `upstream ${this.endpointId} sent a body that is not JSON`, { endpointId: this.endpointId }),
      );
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
    this.headResolved = true;
    this.resolveHead(res);
  }

  onError(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.detach();
    const e = toRouterError(err, this.endpointId);
    if (!this.headResolved) {
      this.headResolved = true;
      this.rejectHead(e);
      return;
    }
    this.error =
      e.code === 'aborted' || e.code === 'timeout' || e.code === 'ttft_timeout'
        ? e
        : new RouterError('stream_cut', `upstream ${this.endpointId} stream broke: ${e.message}`, { endpointId: this.endpointId, cause: err });
    this.wake();
  }

  // ---- stream side
  /** Usage and [DONE] bookkeeping for one chunk (see the class comment). */
  private watch(chunk: Buffer): void {
    this.tail = chunk.length >= TAIL_BYTES ? chunk : Buffer.concat([this.tail, chunk]).subarray(-TAIL_BYTES);
    const nl = chunk.lastIndexOf(10);
    if (nl === -1) {
      // A line longer than a chunk: keep it, bounded (a usage line is short).
      const c = this.carry;
      this.carry = c ? (c.length > 65_536 ? null : Buffer.concat([c, chunk])) : chunk;
      return;
    }
    const complete = this.carry ? Buffer.concat([this.carry, chunk.subarray(0, nl + 1)]) : chunk.subarray(0, nl + 1);
    this.carry = nl + 1 < chunk.length ? chunk.subarray(nl + 1) : null;
    if (complete.includes('"usage"')) readUsage(complete, this.response!);
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = null;
    this.next().then(w.resolve, w.reject);
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
      if (!this.tail.includes('[DONE]'))
        return Promise.reject(new RouterError('stream_cut', `upstream ${this.endpointId} stream ended without [DONE]`, { endpointId: this.endpointId }));
      return Promise.resolve({ value: undefined, done: true });
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
    this.ended = true;
    this.tail = DONE_MARK; // a consumer that stopped has no stream to judge
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

function readUsage(lines: Buffer, out: TransportResponse): void {
  for (const line of lines.toString('utf8').split('\n')) {
    if (!line.startsWith('data:') || !line.includes('"usage"')) continue;
    try {
      const u = usageOf(JSON.parse(line.slice(5)));
      if (u) out.usage = u;
    } catch {
      // not JSON: not our business here; the client sees the bytes as they were
    }
  }
}
