import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../core/clock.js';
import { AbortPool } from '../core/abort-pool.js';
import { RouterError } from '../core/errors.js';
import { PROMPT_CLASS_PATTERN } from '../core/config.js';
import type { RouterListener } from '../core/events.js';
import type { Candidate, Endpoint, RouteRequest, TransportResponse } from '../core/types.js';
import type { Admission } from '../core/rate-limit.js';
import { AccessLog, type AccessRecord, wellFormedRequestId } from './access-log.js';
import { createAuth, type Auth, type ClientKey } from './auth.js';
import type { ServerConfig } from './config.js';
import {
  HttpError,
  badJson,
  bodyTooLarge,
  invalidField,
  methodNotAllowed,
  notFound,
  originNotAllowed,
  shuttingDown,
  toHttpError,
  unknownModel,
} from './errors.js';
import { faultAlerts, faultLogger } from './fault-log.js';
import { createMetrics, type ProxyMetrics } from './metrics.js';
import { ROUTE_DIRECT, type RouteSink } from '../core/direct.js';
import { CLIENT_GONE, ChatCall, REQUEST_ID, chatClosed, type ChatEnv, type RequestIdResponse } from './chat-call.js';
import { cutAtDeadline, flushed } from './drain.js';
import { sseErrorEvent } from './sse.js';
import { validateChatBody } from './validate.js';
import { registerCacheMetrics, type CachedResponse, type ResponseCache } from '../cache/response-cache.js';
import { RouteSignal, type RouteAbort } from './route-signal.js';

/**
 * The OpenAI-compatible edge: node:http (no framework: four routes, and the proxy's
 * overhead is benchmarked), body limit, JSON + schema validation, client auth, then
 * router.route() and a pass-through of the upstream answer.
 *
 * What happens after routing (headers, JSON or stream pass-through, metrics) is
 * chat-call.ts: one object per request, the route's sink and the stream's.
 *
 * Streaming contract: the router returns only after the first upstream chunk arrived
 * (failover happens before that, inside the router). From the first byte we write on,
 * nothing can be retried: an upstream break becomes one SSE error event and the
 * response ends without `[DONE]`. A client disconnect aborts the route via the
 * AbortSignal passed to route(), and an open stream via its return().
 *
 * Nothing from the client reaches the upstream but the JSON body: no headers (Host,
 * base-URL overrides, Authorization) are forwarded; the transport builds its own.
 */

/** The part of the router the edge uses (router/core/router.ts satisfies it). */
export interface ProxyRouter {
  route(req: RouteRequest, opts: { signal: AbortSignal }): Promise<ProxyRouteResult>;
  candidates(): readonly Candidate[];
  models(): readonly string[];
  on(listener: RouterListener): () => void;
}

/** A router with the promise-free route (router/core/router.ts has it). */
interface DirectRouter {
  [ROUTE_DIRECT](req: RouteRequest, sink: RouteSink<ProxyRouteResult>, opts: { signal: AbortSignal }): void;
}

export interface ProxyRouteResult {
  endpoint: Endpoint;
  response: TransportResponse;
  attempts: number | readonly unknown[];
  stream?: AsyncIterable<Uint8Array | string>;
}

export interface ProxyServerOptions {
  router: ProxyRouter;
  server: ServerConfig;
  clock?: Clock;
  env?: Readonly<Record<string, string | undefined>>;
  /** Where warnings/errors go (never bodies or keys). Default: nothing. */
  log?: (line: string) => void;
  /** Per-client-key limits shared with other replicas (router/store); default: local buckets. */
  clientLimit?: (name: string, rpm: number) => Admission;
  /** Exact-match response cache (router/cache); default: none. */
  cache?: ResponseCache | undefined;
}

export interface ProxyServer {
  readonly http: Server;
  readonly metrics: ProxyMetrics;
  /** The access log (server.accessLog), null when off. reopen() it after a log rotation (the CLI does on SIGUSR2). */
  readonly accessLog: AccessLog | null;
  /** Start listening; resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Requests currently being served. */
  inFlight(): number;
  /**
   * Stop accepting, let in-flight requests finish (up to `timeoutMs`), then close
   * every connection. New requests on kept-alive sockets get 503 meanwhile. At the
   * deadline every request still open gets a last word before its socket closes: an open
   * stream an SSE error event (code shutting_down), a request still waiting for its
   * answer a 503 JSON error with Retry-After. Resolves true when everything finished in
   * time, false when the deadline cut requests.
   */
  drain(timeoutMs?: number): Promise<boolean>;
  /**
   * Serve new requests with `next` (a config reload). Requests already routing stay on the
   * router that took them; /metrics follows the new router's events from now on.
   */
  setRouter(next: ProxyRouter): void;
  /** Answer cacheable requests from `next` from now on (a config reload); undefined = no response cache. */
  setCache(next: ResponseCache | undefined): void;
}

/** The route's abort (a RouteSignal, or an AbortController) rides on the response, so one shared 'close' listener serves every request. */
const AC: unique symbol = Symbol('abortController');
/** The request's access-log record, so a response that closes unlogged (an unexpected error) is still written once. */
const REC: unique symbol = Symbol('accessRecord');
type Exchange = ServerResponse & { [AC]?: RouteAbort; [REC]?: AccessRecord };

/**
 * For a router without the direct route (its route() may hand the signal to anything that
 * wants a real AbortSignal). AbortControllers are costly to create (an EventTarget each); a finished request's
 * controller is reused when it was never aborted and nobody still listens to it (the
 * router's own pool, core/abort-pool.ts). 256: enough for the requests routing at once
 * under a closed-loop load; each kept one is ~0.8 KB for good.
 */
const controllers = new AbortPool(256);

/** Bodies beyond this are not read to the end: 413, then the connection is closed. */
const HARD_BODY_CAP = 64 * 1024 * 1024;

/** Deeper JSON (arrays/objects) is refused with 400 before routing: nothing legitimate nests this deep, and re-encoding it for the upstream would overflow the stack. */
export const MAX_JSON_DEPTH = 128;

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** The region a request prefers: the `x-router-region` header (up to 64 characters), else its client key's. */
function regionOf(req: IncomingMessage, key: ClientKey): string | undefined {
  const h = req.headers['x-router-region'];
  return typeof h === 'string' && h !== '' && h.length <= 64 ? h : key.region;
}


/**
 * The prompt class the caller declares in the `x-prompt-class` header (RouteRequest.promptClass:
 * strategies that read classes use it instead of classifying the text); undefined without the
 * header; an HttpError (400) when it is not a short identifier.
 */
function promptClassOf(req: IncomingMessage): string | undefined | HttpError {
  const h = req.headers['x-prompt-class'];
  if (h === undefined) return undefined;
  return typeof h === 'string' && PROMPT_CLASS_PATTERN.test(h) ? h : invalidField('x-prompt-class', "a prompt class: 1-64 letters, digits, '_', '.' or '-'");
}

export function createProxyServer(opts: ProxyServerOptions): ProxyServer {
  const cfg = opts.server;
  let router = opts.router;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? (() => {});
  const auth: Auth = createAuth(cfg.clientKeys, clock, opts.env, opts.clientLimit);
  const metrics = createMetrics(() => router.candidates());
  const accessLog =
    cfg.accessLog === undefined
      ? null
      : new AccessLog({ dest: cfg.accessLog, maxBufferBytes: cfg.accessLogBufferBytes, registry: metrics.registry, log });
  // Metrics, the provider-fault log and the access log follow the router that serves new requests (reload).
  const onFault = faultLogger(() => router.candidates(), log);
  const subscribe = (r: ProxyRouter): (() => void) => {
    const offs = [r.on(metrics.onRouterEvent), r.on(onFault)];
    if (accessLog !== null) offs.push(r.on(accessLog.onRouterEvent));
    return () => {
      for (const off of offs) off();
    };
  };
  let unsubscribe = subscribe(router);
  const started = clock.now();

  let models = new Set(router.models());
  const listModels = (): string =>
    JSON.stringify({ object: 'list', data: [...models].map((id) => ({ id, object: 'model', created: 0, owned_by: 'llm-router' })) });
  let modelsBody = listModels();
  const headerValue = new Map<string, string>(); // endpoint id -> a header-safe value
  const endpointHeader = (id: string): string => {
    let v = headerValue.get(id);
    if (v === undefined) headerValue.set(id, (v = /^[\x20-\x7e]*$/.test(id) ? id : encodeURIComponent(id)));
    return v;
  };

  let cache = opts.cache;
  // Registered even without a cache: a reload may add one.
  const countLookup = registerCacheMetrics(metrics.registry);
  if (cache) cache.onLookup = countLookup;
  const chatEnv: ChatEnv = { metrics, clock, endpointHeader, releaseController, sendError, log, accessLog };
  // The router's promise-free route when it has one (core routers do): see chat-call.ts.
  let routeDirect = (router as Partial<DirectRouter>)[ROUTE_DIRECT];
  let active = 0;
  let draining = false;
  let idle: (() => void) | null = null;
  let seq = 0;

  const allowedOrigins = new Set(cfg.allowedOrigins);
  const serverOptions = {
    headersTimeout: cfg.headersTimeoutMs,
    requestTimeout: cfg.requestTimeoutMs,
    keepAliveTimeout: cfg.keepAliveTimeoutMs,
    // How often node:http looks for requests past those timeouts (its default, 30 s, would let one overrun by that much).
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, cfg.headersTimeoutMs >> 2)),
  };
  /** Responses not yet closed: the drain deadline answers them (drain.ts). */
  const open = new Set<ServerResponse>();
  const http = createServer(serverOptions, (req, res) => {
    active++;
    open.add(res);
    metrics.inFlight(1);
    res.on('close', onDone);
    // Synchronous on the chat path (no promise per request); only /metrics returns one.
    try {
      const p = handle(req, res);
      if (p !== undefined) p.catch((e: unknown) => unhandled(res, e));
    } catch (e) {
      unhandled(res, e);
    }
  });

  function unhandled(res: ServerResponse, e: unknown): void {
    log(`unhandled error: ${(e as Error)?.message ?? String(e)}`);
    if (!res.headersSent) sendError(res, toHttpError(e));
    else res.destroy();
  }

  /** Response closed (finished or client gone): abort the route or the stream if still running, recycle the controller. */
  function onDone(this: ServerResponse): void {
    const ac = (this as Exchange)[AC];
    if (ac !== undefined) {
      (this as Exchange)[AC] = undefined;
      if (!this.writableFinished) ac.abort(new RouterError('aborted', 'client disconnected'));
      else if (!(ac instanceof RouteSignal)) controllers.give(ac);
    }
    chatClosed(this);
    open.delete(this);
    const rec = (this as Exchange)[REC];
    if (rec !== undefined) {
      (this as Exchange)[REC] = undefined;
      // Normally written already (end() is idempotent); this catches a path that forgot to.
      const gone = !this.writableFinished;
      accessLog!.end(rec, clock.now(), gone ? 499 : this.statusCode, gone ? CLIENT_GONE : null, null);
    }
    active--;
    metrics.inFlight(-1);
    if (active === 0 && idle) idle();
  }

  function handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (draining) {
      res.shouldKeepAlive = false;
      return sendError(res, shuttingDown());
    }
    const origin = req.headers.origin;
    if (origin !== undefined && path.startsWith('/v1/') && !allowedOrigins.has(origin)) return sendError(res, originNotAllowed(origin));
    if (path === '/v1/chat/completions') {
      if (req.method !== 'POST') return sendError(res, methodNotAllowed(req.method ?? '', path), { allow: 'POST' });
      return chat(req, res);
    }
    if (path !== '/v1/models' && path !== '/health' && path !== '/metrics') return sendError(res, notFound(`route ${path}`));
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, methodNotAllowed(req.method ?? '', path), { allow: 'GET, HEAD' });
    if (path === '/v1/models') {
      const a = auth.admit(req.headers.authorization);
      if (a instanceof HttpError) return sendError(res, a);
      return sendJson(res, 200, modelsBody);
    }
    if (path === '/metrics') {
      if (cfg.metricsAuth === 'key') {
        const a = auth.verify(req.headers.authorization);
        if (a instanceof HttpError) return sendError(res, a);
      }
      return metrics.render().then((text) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(text);
      });
    }
    if (cfg.healthAuth === 'key') {
      const a = auth.verify(req.headers.authorization);
      if (a instanceof HttpError) return sendError(res, a);
    }
    return health(res);
  }

  /** A response-cache hit: the stored body, no routing. */
  function answerCached(res: ServerResponse, hit: CachedResponse, t0: number, rec: AccessRecord | null): void {
    const len = typeof hit.text === 'string' ? Buffer.byteLength(hit.text) : hit.text.length;
    res.writeHead(200, { 'x-request-id': (res as RequestIdResponse)[REQUEST_ID], 'content-type': 'application/json', 'content-length': len, 'x-router-cache': 'hit', 'x-router-endpoint': endpointHeader(hit.endpointId), 'x-router-attempts': 0 });
    res.end(hit.text);
    const now = clock.now();
    metrics.request('', 200, (now - t0) / 1000);
    if (rec !== null) accessLog!.end(rec, now, 200, null, null);
  }

  /** A shared-store lookup in flight: the client may leave meanwhile (then nothing is sent). */
  async function answerAfterLookup(
    res: ServerResponse,
    lookup: Promise<CachedResponse | undefined>,
    route: () => void,
    t0: number,
    rec: AccessRecord | null,
  ): Promise<void> {
    const hit = await lookup;
    // (Not req.destroyed: a request is destroyed once its body has been read.)
    if (res.destroyed || res.socket === null || res.socket.destroyed) {
      metrics.request('', 499, (clock.now() - t0) / 1000);
      return void (rec !== null && accessLog!.end(rec, clock.now(), 499, CLIENT_GONE, null));
    }
    if (hit !== undefined) return answerCached(res, hit, t0, rec);
    route();
  }

  function chat(req: IncomingMessage, res: ServerResponse): void {
    const t0 = clock.now();
    const hdrId = req.headers['x-request-id'];
    const rec = accessLog === null ? null : accessLog.begin(hdrId, t0, active);
    if (rec !== null) (res as Exchange)[REC] = rec;
    const requestId = rec !== null ? rec.id : wellFormedRequestId(hdrId) ? hdrId : `r${++seq}`;
    (res as RequestIdResponse)[REQUEST_ID] = requestId; // written with the response's headers (chat-call.ts)
    const a = auth.admit(req.headers.authorization);
    if (a instanceof HttpError) return finishError(res, a, '', t0, rec);
    // The rest runs from the body's 'end' (a callback, not a promise: one less allocation and microtask hop per request).
    readBody(req, res, cfg.bodyLimitBytes, (raw) => {
      try {
        chatBody(req, res, raw, t0, rec, requestId, a);
      } catch (e) {
        unhandled(res, e);
      }
    });
  }

  function chatBody(
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer | HttpError | null,
    t0: number,
    rec: AccessRecord | null,
    requestId: string,
    a: ClientKey,
  ): void {
    if (raw instanceof HttpError) return finishError(res, raw, '', t0, rec);
    if (raw === null) {
      // client went away (or timed out) mid-body
      metrics.request('', 499, (clock.now() - t0) / 1000);
      return void (rec !== null && accessLog!.end(rec, clock.now(), 499, CLIENT_GONE, null));
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      return finishError(res, badJson((e as Error).message), '', t0, rec);
    }
    if (nestedDeeperThan(body, MAX_JSON_DEPTH))
      return finishError(res, invalidField('(body)', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`), '', t0, rec);
    const valid = validateChatBody(body);
    if (valid instanceof HttpError) return finishError(res, valid, '', t0, rec);
    const promptClass = promptClassOf(req);
    if (promptClass instanceof HttpError) return finishError(res, promptClass, '', t0, rec);
    if (rec !== null) {
      rec.model = valid.model;
      rec.stream = valid.stream === true;
    }
    if (!models.has(valid.model)) return finishError(res, unknownModel(valid.model), '', t0, rec);
    const c = cache;
    const cacheKey = c === undefined ? null : c.keyFor(valid as never, promptClass);
    if (cacheKey !== null) {
      const hit = c!.get(cacheKey, valid.model);
      if (hit instanceof Promise) {
        const route = () => routeChat(req, res, valid, promptClass, a, t0, rec, requestId, c!, cacheKey);
        return void answerAfterLookup(res, hit, route, t0, rec).catch((e: unknown) => unhandled(res, e));
      }
      if (hit !== undefined) return answerCached(res, hit, t0, rec);
    }
    routeChat(req, res, valid, promptClass, a, t0, rec, requestId, c ?? null, cacheKey);
  }

  function routeChat(
    req: IncomingMessage,
    res: ServerResponse,
    valid: Exclude<ReturnType<typeof validateChatBody>, HttpError>,
    promptClass: string | undefined,
    a: ClientKey,
    t0: number,
    rec: AccessRecord | null,
    requestId: string,
    c: ResponseCache | null,
    cacheKey: string | null,
  ): void {
    // The direct route takes a RouteSignal (route-signal.ts: no EventTarget); route() a real AbortController.
    const direct = routeDirect;
    const ac: RouteAbort = direct !== undefined ? new RouteSignal() : controllers.take();
    (res as Exchange)[AC] = ac;

    const rr: RouteRequest = {
      id: rec !== null ? rec.key : requestId,
      model: valid.model,
      messages: valid.messages as RouteRequest["messages"],
      stream: valid.stream === true,
      maxTokens: valid.max_tokens ?? valid.max_completion_tokens ?? undefined,
      sessionKey: sessionKeyOf(req, valid.user),
      body: valid as Record<string, unknown>,
      region: regionOf(req, a),
      // The caller's declared class, checked by promptClassOf (undefined without the header).
      promptClass,
    };

    const call = new ChatCall(chatEnv, res, rr, ac, t0, rec);
    call.cacheKey = cacheKey;
    call.cache = c;
    if (direct === undefined) return void router.route(rr, { signal: ac.signal as AbortSignal }).then((r) => call.routeDone(r), (e: unknown) => call.routeFailed(e));
    try {
      // The router reads only what RouteSignal has of an AbortSignal (its checkRequest checks that shape).
      direct.call(router, rr, call, { signal: ac.signal as unknown as AbortSignal });
    } catch (e) {
      call.routeFailed(e);
    }
  }

  /**
   * Routing is over and nobody listens to the signal any more (a push stream is aborted
   * through its return()): back to the pool, so an open stream holds no AbortController.
   * One that is still listened to stays, and a client disconnect aborts it as before.
   */
  function releaseController(res: ServerResponse, ac: RouteAbort): void {
    if ((res as Exchange)[AC] !== ac) return;
    if (ac instanceof RouteSignal) {
      if (ac.listenerCount() === 0) (res as Exchange)[AC] = undefined; // nothing to pool
      return;
    }
    if (getEventListeners(ac.signal, 'abort').length !== 0) return;
    (res as Exchange)[AC] = undefined;
    controllers.give(ac);
  }

  function finishError(res: ServerResponse, err: HttpError, endpoint: string, t0: number, rec: AccessRecord | null): void {
    sendError(res, err);
    const now = clock.now();
    metrics.request(endpoint, err.status, (now - t0) / 1000);
    if (rec !== null) accessLog!.end(rec, now, err.status, err.code, endpoint || null);
  }

  function health(res: ServerResponse): void {
    const cands = router.candidates();
    const endpoints = cands.map((c) => ({
      id: c.endpoint.id,
      provider: c.endpoint.provider,
      model: c.endpoint.model,
      state: c.health.state,
      available: c.health.available,
      inFlight: c.stats.inFlight,
      successRate: c.stats.successRate,
      latencyMs: c.stats.latencyMs,
      ttftMs: c.stats.ttftMs,
      consecutiveFailures: c.stats.consecutiveFailures,
      ejections: c.health.ejections,
      ...(c.health.fault === undefined ? {} : { fault: c.health.fault }),
    }));
    // Endpoints that are only cooling down (an upstream 429/503 Retry-After) are not down:
    // requests wait the cooldown out (up to health.maxRecoveryWaitMs), and a load balancer
    // taking this proxy out of rotation would not help. 503 only when none is up or cooling.
    const anyAvailable = cands.some((c) => c.health.available);
    const anyUp = anyAvailable || cands.some((c) => c.health.state === 'cooldown');
    const status = draining ? 'draining' : anyAvailable ? 'ok' : anyUp ? 'cooling_down' : 'degraded';
    const body = {
      status,
      uptimeS: Math.round((clock.now() - started) / 1000),
      inFlight: active - 1,
      memory: memory(),
      endpoints,
      alerts: faultAlerts(cands),
    };
    sendJson(res, anyUp && !draining ? 200 : 503, JSON.stringify(body));
  }

  return {
    http,
    metrics,
    setRouter(next) {
      unsubscribe();
      router = next;
      unsubscribe = subscribe(router);
      models = new Set(router.models());
      modelsBody = listModels();
      routeDirect = (router as Partial<DirectRouter>)[ROUTE_DIRECT];
    },
    setCache(next) {
      if (next) next.onLookup = countLookup;
      cache = next;
    },
    accessLog,
    listen(port = cfg.port, host = cfg.host) {
      return new Promise((resolve, reject) => {
        http.once('error', reject);
        // A deep accept backlog: thousands of clients may connect in one burst (the kernel caps it at somaxconn).
        http.listen({ port, host, backlog: 4096 }, () => {
          http.off('error', reject);
          resolve(http.address() as AddressInfo);
        });
      });
    },
    inFlight: () => active,
    async drain(timeoutMs = cfg.drainTimeoutMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      let finished = true;
      if (active > 0) {
        finished = await new Promise<boolean>((resolve) => {
          const t = clock.setTimeout(() => resolve(false), timeoutMs);
          idle = () => {
            t.cancel();
            resolve(true);
          };
        });
      }
      if (!finished) {
        const edge = { detachController, sendError, metrics };
        for (const res of open) cutAtDeadline(res, edge);
        await flushed(open, clock);
      }
      http.closeAllConnections();
      await closed;
      await accessLog?.close();
      return finished;
    },
  };

  /** The route's abort, taken off the response (so its close does not pool it). */
  function detachController(res: ServerResponse): RouteAbort | undefined {
    const ac = (res as Exchange)[AC];
    (res as Exchange)[AC] = undefined;
    return ac;
  }
}

function memory(): Record<string, number> {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers };
}

function sendJson(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError, extra?: Record<string, string | number>): void {
  if (res.headersSent) {
    res.end(sseErrorEvent(err));
    return;
  }
  const text = JSON.stringify(err.body());
  const headers: Record<string, string | number> = { ...JSON_HEADERS, ...extra, 'content-length': Buffer.byteLength(text) };
  const requestId = (res as RequestIdResponse)[REQUEST_ID];
  if (requestId !== undefined) headers['x-request-id'] = requestId;
  if (err.retryAfterS !== undefined) headers['retry-after'] = err.retryAfterS;
  // RFC 6750 3: a 401 names the scheme the client should use.
  if (err.status === 401) headers['www-authenticate'] = 'Bearer realm="llm-router"';
  res.writeHead(err.status, headers);
  res.end(text);
}

/** The sticky-routing key: `x-session-id` header, else the OpenAI `user` field. */
function sessionKeyOf(req: IncomingMessage, user: string | undefined): string | undefined {
  const h = req.headers['x-session-id'];
  return typeof h === 'string' && h !== '' ? h : user;
}

/**
 * Read the body up to `limit` bytes. Over the limit we keep reading (and dropping)
 * so the client gets its 413 on a reusable connection, up to HARD_BODY_CAP, past
 * which (or when the declared length is past it) the 413 goes out at once and the
 * connection closes. Calls `resolve` once: with null when the client went away.
 *
 * The read's state rides on the request (BODY) and the listeners are shared functions
 * (`this` is the request): no closure per request, and nothing to remove once the body is
 * read (a listener then finds no state and does nothing). The request object lives as long
 * as its response (a whole stream): the state, and with it the body bytes, goes at the end.
 */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number, resolve: (body: Buffer | HttpError | null) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > HARD_BODY_CAP) {
    res.shouldKeepAlive = false;
    return resolve(bodyTooLarge(limit));
  }
  (req as BodyRequest)[BODY] = new BodyRead(res, limit, declared > limit, resolve);
  req.on('data', onBodyData);
  req.on('end', onBodyEnd);
  req.on('error', onBodyGone);
  req.on('close', onBodyClose);
}

const BODY: unique symbol = Symbol('bodyRead');
type BodyRequest = IncomingMessage & { [BODY]?: BodyRead };

/** A request body being read (readBody). */
class BodyRead {
  chunks: Buffer[] = [];
  size = 0;
  constructor(
    readonly res: ServerResponse,
    readonly limit: number,
    /** Past the limit: the rest is read and dropped. */
    public over: boolean,
    readonly resolve: (body: Buffer | HttpError | null) => void,
  ) {}
}

/** The read is over: its state leaves the request, then `resolve` hears `v`. */
function bodyDone(req: BodyRequest, b: BodyRead, v: Buffer | HttpError | null): void {
  req[BODY] = undefined;
  b.chunks = [];
  b.resolve(v);
}

function onBodyData(this: BodyRequest, c: Buffer): void {
  const b = this[BODY];
  if (b === undefined) return;
  b.size += c.length;
  if (b.over) {
    if (b.size > HARD_BODY_CAP) {
      b.res.shouldKeepAlive = false;
      this.pause();
      bodyDone(this, b, bodyTooLarge(b.limit));
    }
    return;
  }
  if (b.size > b.limit) {
    b.over = true;
    b.chunks.length = 0;
    return;
  }
  b.chunks.push(c);
}

function onBodyEnd(this: BodyRequest): void {
  const b = this[BODY];
  if (b === undefined) return;
  if (b.over) bodyDone(this, b, bodyTooLarge(b.limit));
  else bodyDone(this, b, b.chunks.length === 1 ? b.chunks[0]! : Buffer.concat(b.chunks, b.size));
}

function onBodyGone(this: BodyRequest): void {
  const b = this[BODY];
  if (b !== undefined) bodyDone(this, b, null);
}

function onBodyClose(this: BodyRequest): void {
  const b = this[BODY];
  if (b !== undefined && !this.complete) bodyDone(this, b, null);
}

/**
 * Whether a parsed JSON value nests arrays/objects deeper than `max` levels. Visits
 * containers only (strings, the bulk of a chat body, are not looked into), and never
 * recurses more than `max` + 1 deep.
 */
export function nestedDeeperThan(v: unknown, max: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (max === 0) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (nestedDeeperThan(v[i], max - 1)) return true;
  } else {
    for (const k in v) if (nestedDeeperThan((v as Record<string, unknown>)[k], max - 1)) return true;
  }
  return false;
}
