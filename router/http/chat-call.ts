import type { ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { RouterError } from '../core/errors.js';
import type { RouteRequest } from '../core/types.js';
import type { RouteSink } from '../core/direct.js';
import { STREAM_CANCEL, STREAM_PUSH, STREAM_RESUME, isPushSource, type ChunkSink, type PushSource } from '../core/push.js';
import { pushSourceOf } from '../core/push-iterable.js';
import { rawBodyOf } from '../transport/http.js';
import type { ResponseCache } from '../cache/response-cache.js';
import { type HttpError, toHttpError } from './errors.js';
import type { AccessLog, AccessRecord } from './access-log.js';
import type { ProxyMetrics } from './metrics.js';
import { SSE_HEADERS, sseErrorEvent } from './sse.js';
import type { RouteAbort } from './route-signal.js';

/**
 * One chat completion after validation: the router's answer, then the response. It is
 * the route's sink (the router's promise-free `[ROUTE_DIRECT]` when it has one) and, for a
 * stream, the stream's push sink — so an open stream costs the proxy this one object,
 * referenced from its response, instead of suspended async frames, a route promise kept
 * by the router, and a promise chain and iterator result per chunk.
 *
 * Streams (push sources, router/core/push.ts) are written from the transport's data
 * callback. Backpressure: when `res.write` says the socket buffer is full, pushChunk
 * returns false (the upstream socket pauses) and the response's 'drain' resumes it.
 * A stream ends exactly one way: the source ends (res.end(), counted with the upstream
 * status); it fails after the first byte (one SSE error event, then end, never `[DONE]`;
 * counted as a stream error); or the client goes away (the source's STREAM_CANCEL aborts
 * the upstream; counted as 499). The proxy reads push only: a pull-only stream (another
 * ProxyRouter's AsyncIterable) is wrapped by the shared adapter (core/push-iterable.ts),
 * and keeps its AbortController, which a client disconnect aborts.
 */

/** What every call of one server shares. */
export interface ChatEnv {
  readonly metrics: ProxyMetrics;
  readonly clock: Clock;
  /** Header-safe value of an endpoint id. */
  endpointHeader(id: string): string;
  /** The route no longer needs its abort (the server drops it, or pools an AbortController, when nobody listens). */
  releaseController(res: ServerResponse, ac: RouteAbort): void;
  sendError(res: ServerResponse, err: HttpError, headers?: Record<string, string | number>): void;
  log(line: string): void;
  /** The access log, when one is configured (access-log.ts). */
  readonly accessLog: AccessLog | null;
}

/** The access log's error code for a client that went away before the response ended. */
export const CLIENT_GONE = 'client_disconnected';

/** What the edge needs of a route result (core RouteResult satisfies it). */
export interface ChatRouteResult {
  endpoint: { id: string };
  response: { status: number; body?: unknown; stream?: AsyncIterable<Uint8Array | string> };
  attempts: number | readonly unknown[];
  stream?: AsyncIterable<Uint8Array | string>;
}

const CALL: unique symbol = Symbol('chatCall');
type CallResponse = ServerResponse & { [CALL]?: ChatCall };

/**
 * A chat response's `x-request-id`, kept on the response and written with the status line's
 * headers (writeHead's object) rather than by setHeader first: node then stores the headers
 * without re-validating each one through setHeader (~1-2 µs a request). Every path that
 * answers a chat request writes it: the JSON answer and the stream's head here, sendError
 * (server.ts), the cache hit. A stream's object holds its headers too, with nothing set before: a
 * setHeader would make node keep a store of every header (a dictionary and an array per header,
 * ~0.8 KB) on the response for as long as the stream lasts.
 */
export const REQUEST_ID: unique symbol = Symbol('requestId');
export type RequestIdResponse = ServerResponse & { [REQUEST_ID]?: string };

export class ChatCall implements RouteSink<ChatRouteResult>, ChunkSink {
  private req: RouteRequest | null;
  private ac: RouteAbort | null;
  // streaming state
  private source: PushSource | null = null;
  private endpointId = '';
  private status = 0;
  private paused = false;
  private over = false;
  /** Set by the server for a cacheable request: a 200 answer is stored under it, in `cache`. */
  cacheKey: string | null = null;
  cache: ResponseCache | null = null;

  constructor(
    private readonly env: ChatEnv,
    private readonly res: ServerResponse,
    req: RouteRequest,
    ac: RouteAbort,
    /** Clock time the request arrived (ms). */
    private readonly t0: number,
    /** This request's access-log record (null when no access log is configured). */
    private readonly rec: AccessRecord | null = null,
  ) {
    this.req = req;
    this.ac = ac;
  }

  // ---- the route's outcome (RouteSink)

  routeDone(result: ChatRouteResult): void {
    try {
      this.answer(result);
    } catch (e) {
      // Never throw into the router: this runs inside its callbacks.
      this.env.log(`unhandled error: ${(e as Error)?.message ?? String(e)}`);
      if (!this.res.headersSent) this.env.sendError(this.res, toHttpError(e));
      else this.res.destroy();
    }
  }

  routeFailed(e: unknown): void {
    const { env, res } = this;
    const ac = this.ac!;
    this.req = null;
    this.ac = null;
    // Aborted: the client left (499), or the drain deadline answered it already (drain.ts counted that).
    if (ac.signal.aborted) return res.headersSent ? undefined : this.done('', 499, CLIENT_GONE);
    env.releaseController(res, ac);
    const err = toHttpError(e);
    // Which endpoints a failed request went to, as on a success (debugging; failover metrics).
    const attempts = (e as Partial<RouterError> | null)?.attempts ?? [];
    const last = attempts[attempts.length - 1];
    env.sendError(
      res,
      err,
      last === undefined ? undefined : { 'x-router-attempts': attempts.length, 'x-router-tried': triedHeader(attempts, last.endpointId, env.endpointHeader) },
    );
    this.done((e as Partial<RouterError> | null)?.endpointId ?? '', err.status, err.code);
  }

  private answer(result: ChatRouteResult): void {
    const { env, res } = this;
    const rr = this.req!;
    const ac = this.ac!;
    this.req = null;
    this.ac = null;
    const id = result.endpoint.id;
    const attempts = typeof result.attempts === 'number' ? result.attempts : result.attempts.length;
    const tried = triedHeader(result.attempts, id, env.endpointHeader);
    const resp = result.response;
    const stream = result.stream ?? resp.stream;
    // A pull-only stream may still watch the signal (a client disconnect aborts it); else routing is over.
    if (!stream || isPushSource(stream)) env.releaseController(res, ac);

    if (!stream) {
      // The upstream's own bytes when the transport kept them (no re-serialising).
      const text = rawBodyOf(resp as never) ?? JSON.stringify(resp.body ?? null);
      if (this.cacheKey !== null) {
        res.setHeader('x-router-cache', 'miss');
        if (resp.status === 200) this.cache?.put(this.cacheKey, { text: typeof text === 'string' ? text : Buffer.from(text), endpointId: id });
      }
      res.writeHead(resp.status, {
        'x-request-id': (res as RequestIdResponse)[REQUEST_ID],
        'content-type': 'application/json',
        'content-length': typeof text === 'string' ? Buffer.byteLength(text) : text.length,
        'x-router-endpoint': env.endpointHeader(id),
        'x-router-attempts': attempts,
        'x-router-tried': tried,
      });
      res.end(text);
      const dt = this.seconds();
      env.metrics.ttft(id, dt);
      if (this.rec !== null) this.rec.ttftMs = dt * 1000;
      this.done(id, resp.status, null, dt);
      return;
    }

    // Every header in writeHead's object, none set before: node keeps no per-header store
    // (kOutHeaders: a dictionary and an array per header) for as long as the stream lasts.
    res.writeHead(resp.status, {
      'x-request-id': (res as RequestIdResponse)[REQUEST_ID],
      ...SSE_HEADERS,
      'x-router-endpoint': env.endpointHeader(id),
      'x-router-attempts': attempts,
      'x-router-tried': tried,
    });
    res.flushHeaders();
    const firstByte = this.seconds();
    env.metrics.ttft(id, firstByte);
    if (this.rec !== null) this.rec.ttftMs = firstByte * 1000;
    // No failover after the first chunk: the router keeps the request for the outcome only,
    // so the prompt (often the largest thing a request holds) can go now.
    rr.body = undefined;
    rr.messages = undefined;
    this.source = pushSourceOf(stream);
    this.endpointId = id;
    this.status = resp.status;
    (res as CallResponse)[CALL] = this;
    res.on('drain', onDrain);
    // Gone already ('close' came before the route finished): abort instead of writing into nothing.
    if (res.destroyed) return this.clientGone();
    this.source[STREAM_PUSH](this);
  }

  // ---- the stream (ChunkSink)

  pushChunk(chunk: Uint8Array | string): boolean {
    if (this.over || this.res.write(chunk)) return true;
    this.paused = true;
    return false;
  }

  pushEnd(): void {
    if (!this.finish()) return;
    if (this.res.destroyed) return this.count(499, CLIENT_GONE);
    this.res.end();
    this.count(this.status, null);
  }

  pushError(e: unknown): void {
    if (!this.finish()) return;
    if (this.res.destroyed) return this.count(499, CLIENT_GONE);
    const err = toHttpError(e);
    this.env.metrics.streamError(this.endpointId, err.code);
    this.count(err.status, err.code);
    this.res.end(sseErrorEvent(err));
  }

  drained(): void {
    if (!this.paused || this.over) return;
    this.paused = false;
    this.source![STREAM_RESUME]();
  }

  /** The response closed before the stream ended: the client went away. */
  clientGone(): void {
    if (!this.finish()) return;
    this.source![STREAM_CANCEL]();
    this.count(499, CLIENT_GONE);
  }

  /** The server is shutting down (drain deadline): end the stream with `err` as an SSE error event. */
  shutdown(err: HttpError): void {
    if (!this.finish()) return;
    this.source![STREAM_CANCEL]();
    if (this.res.destroyed) return this.count(499, CLIENT_GONE);
    this.env.metrics.streamError(this.endpointId, err.code);
    this.count(err.status, err.code);
    this.res.end(sseErrorEvent(err));
  }

  private finish(): boolean {
    if (this.over) return false;
    this.over = true;
    this.res.off('drain', onDrain);
    (this.res as CallResponse)[CALL] = undefined;
    return true;
  }

  private count(status: number, code: string | null): void {
    this.done(this.endpointId, status, code);
  }

  /** The response is over: the request metric and the access-log line. */
  private done(endpoint: string, status: number, code: string | null, seconds = this.seconds()): void {
    this.env.metrics.request(endpoint, status, seconds);
    if (this.rec !== null) this.env.accessLog!.end(this.rec, this.t0 + seconds * 1000, status, code, endpoint || null);
  }

  private seconds(): number {
    return (this.env.clock.now() - this.t0) / 1000;
  }
}

/** One listener function for every response ('drain' is emitted with the response as `this`). */
function onDrain(this: CallResponse): void {
  this[CALL]?.drained();
}

/** Call from the response's 'close': a stream still running means the client left mid-stream. */
export function chatClosed(res: ServerResponse): void {
  (res as CallResponse)[CALL]?.clientGone();
}

/** At the drain deadline: end this response's push stream with `err`; false when it has none running. */
export function chatShutdown(res: ServerResponse, err: HttpError): boolean {
  const call = (res as CallResponse)[CALL];
  if (call === undefined) return false;
  call.shutdown(err);
  return true;
}

/**
 * `x-router-tried`: every endpoint this request was sent to, in order, comma-separated
 * (a scenario runner measures failover from it: the endpoint that answered is not enough).
 */
export function triedHeader(attempts: number | readonly unknown[], answered: string, endpointHeader: (id: string) => string): string {
  if (typeof attempts === 'number' || attempts.length <= 1) return endpointHeader(answered);
  const ids: string[] = [];
  for (const a of attempts) {
    const id = (a as { endpointId?: unknown }).endpointId;
    if (typeof id === 'string' && !ids.includes(id)) ids.push(id);
  }
  return ids.length ? ids.map(endpointHeader).join(',') : endpointHeader(answered);
}
