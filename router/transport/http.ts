import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { RouterError, parseRetryAfter, toRouterError } from '../core/errors.js';
import type { Endpoint, RouteRequest, SendOptions, Transport, TransportResponse, Usage } from '../core/types.js';

/**
 * The real transport: one undici Pool (keep-alive) per upstream origin, shared by
 * every endpoint on that origin. It is the library's default transport and the
 * proxy's, so it lives outside router/http/.
 *
 * Why a Pool per origin and not fetch: fetch builds WHATWG streams and Response
 * objects per call (several times slower on this hot path); Pool.request hands us a
 * Node Readable we can pass through chunk by chunk.
 *
 * The upstream URL comes only from Endpoint.baseUrl (config); nothing of the client's
 * request (headers, host) is forwarded except the JSON body, whose `model` is
 * rewritten to the endpoint's upstream model.
 */

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
}

export interface HttpTransport extends Transport {
  /** Close every pool (waits for in-flight requests). */
  close(): Promise<void>;
  /** Destroy every pool now (aborts in-flight requests). */
  destroy(): Promise<void>;
}

/** Everything about an endpoint that is fixed: computed once, reused per request. */
interface Prepared {
  pool: Pool;
  chatPath: string;
  modelsPath: string;
  headers: Record<string, string>;
}

const TAIL_BYTES = 32;

export function createHttpTransport(opts: HttpTransportOptions = {}): HttpTransport {
  const pools = new Map<string, Pool>();
  const prepared = new WeakMap<Endpoint, Prepared>();
  const env = opts.env ?? process.env;

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

  async function send(endpoint: Endpoint, request: RouteRequest, { signal }: SendOptions): Promise<TransportResponse> {
    const p = prepare(endpoint);
    const payload = buildBody(endpoint, request);
    let res: Dispatcher.ResponseData;
    try {
      res = await p.pool.request({ method: 'POST', path: p.chatPath, headers: p.headers, body: payload, signal });
    } catch (e) {
      throw toRouterError(e, endpoint.id);
    }
    const headers = flattenHeaders(res.headers);
    const status = res.statusCode;
    const retryAfterMs = parseRetryAfter(headers['retry-after']);
    const ok = status >= 200 && status < 300;
    if (ok && request.stream && !String(headers['content-type'] ?? '').includes('json')) {
      const out: TransportResponse = { status, headers, retryAfterMs };
      out.stream = passThrough(res.body, out, endpoint.id);
      return out;
    }
    let body: unknown;
    try {
      body = await readBody(res.body, ok);
    } catch (e) {
      if (e instanceof RouterError) throw e;
      throw toRouterError(e, endpoint.id);
    }
    if (body === MALFORMED)
      throw new RouterError('malformed_response', `upstream ${endpoint.id} sent a body that is not JSON`, {
        endpointId: endpoint.id,
      });
    return { status, headers, body, usage: ok ? usageOf(body) : undefined, retryAfterMs };
  }

  async function check(endpoint: Endpoint, { signal }: SendOptions): Promise<boolean> {
    const p = prepare(endpoint);
    try {
      const res = await p.pool.request({ method: 'GET', path: p.modelsPath, headers: p.headers, signal });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      return false;
    }
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

const MALFORMED = Symbol('malformed');

/** Error bodies may be anything (HTML from a proxy, empty): keep text then. A 2xx body must be JSON. */
async function readBody(body: Dispatcher.ResponseData['body'], ok: boolean): Promise<unknown> {
  const text = await body.text();
  if (text === '') return ok ? MALFORMED : undefined;
  try {
    return JSON.parse(text);
  } catch {
    return ok ? MALFORMED : text;
  }
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

function flattenHeaders(h: Dispatcher.ResponseData['headers']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k in h) {
    const v = h[k];
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** OpenAI usage `{prompt_tokens, completion_tokens}` -> Usage. */
export function usageOf(body: unknown): Usage | undefined {
  const u = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
  if (!u || typeof u !== 'object') return undefined;
  const inputTokens = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const outputTokens = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  return { inputTokens, outputTokens };
}

/**
 * Yield upstream chunks unchanged (no re-framing: zero copies on the hot path) while
 * watching two things on the side:
 *  - usage: only complete lines of a chunk that contains `"usage"` are parsed;
 *  - completion: a clean SSE stream ends with `data: [DONE]`, so the last 32 bytes
 *    must contain it. An upstream that closes without it has cut the stream, and we
 *    throw stream_cut rather than let the client see a silent clean end.
 */
async function* passThrough(
  body: AsyncIterable<Buffer>,
  out: TransportResponse,
  endpointId: string,
): AsyncGenerator<Uint8Array> {
  let carry: Buffer | null = null; // bytes after the last newline (an incomplete line)
  let tail: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of body) {
      yield chunk;
      tail = chunk.length >= TAIL_BYTES ? chunk : Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
      const nl = chunk.lastIndexOf(10);
      if (nl === -1) {
        // A line longer than a chunk: keep it, bounded (a usage line is short).
        carry = carry ? (carry.length > 65_536 ? null : Buffer.concat([carry, chunk])) : chunk;
        continue;
      }
      const complete: Buffer = carry ? Buffer.concat([carry, chunk.subarray(0, nl + 1)]) : chunk.subarray(0, nl + 1);
      carry = nl + 1 < chunk.length ? chunk.subarray(nl + 1) : null;
      if (complete.includes('"usage"')) readUsage(complete, out);
    }
  } catch (e) {
    const err = toRouterError(e, endpointId);
    if (err.code === 'aborted') throw err;
    throw new RouterError('stream_cut', `upstream ${endpointId} stream broke: ${err.message}`, { endpointId, cause: e });
  }
  if (!tail.includes('[DONE]'))
    throw new RouterError('stream_cut', `upstream ${endpointId} stream ended without [DONE]`, { endpointId });
}

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
