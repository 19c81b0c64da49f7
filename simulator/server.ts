import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { constants as h2, createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { systemClock, type Clock, type Timer } from '../router/core/clock.js';
import type { ProviderProfile } from './profile.js';
import { createProviderModel, createProviderState, type ProviderModel } from './model.js';
import { Timeline, type OutageMode } from './timeline.js';
import { assertNever, OUTAGE_MODES } from './fault-kinds.js';
import {
  healthBody,
  modelsBody,
  planResponse,
  simRequestFromChat,
  sseEvent,
  WireError,
  wireErrorBody,
  type WirePlan,
} from './openai-wire.js';

/**
 * A real loopback HTTP server for one provider profile, speaking the OpenAI chat
 * completions API (JSON and SSE), driven by the same pure model as the simulator.
 * Faults are real: an outage (mode refuse) closes the listening socket for the
 * phase and reopens it after; mode reset destroys every connection; a stream cut
 * ends the SSE stream without `[DONE]`; a hang holds the socket until the client
 * gives up; malformed sends invalid JSON.
 *
 * One port speaks HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c): the first
 * bytes of a connection pick the protocol (HTTP/2's preface starts `PRI `). Over
 * HTTP/2 a per-request refusal is RST_STREAM REFUSED_STREAM and a per-request reset
 * RST_STREAM INTERNAL_ERROR (the connection carries other requests); an outage still
 * destroys whole connections.
 *
 * Time: scenario ms = (clock.now() − start) · speed; every modelled delay d waits
 * d / speed real ms. The clock is injectable so tests can drive phases with a
 * ManualClock.
 */

export interface ProviderServerOptions {
  /** 0 (default) = an ephemeral port. */
  port?: number;
  /** Only 127.0.0.1 is accepted: the mock providers never listen beyond loopback. */
  host?: string;
  seed?: string | number;
  /** Time compression: 10 = ten scenario seconds per real second. */
  speed?: number;
  clock?: Clock;
  /** Minimum real ms between SSE chunks (tokens are grouped), default 20. */
  minChunkMs?: number;
  /**
   * Real ms of scenario time already elapsed at start (so several provider processes
   * can share one time origin): scenario ms = (elapsedMs + clock delta) · speed.
   */
  elapsedMs?: number;
  /** Called with a line of text when the server notes something (re-listen failures). */
  log?: (line: string) => void;
}

export interface ProviderServer {
  readonly id: string;
  readonly port: number;
  /** Base URL including /v1. */
  readonly url: string;
  readonly model: ProviderModel;
  /** Current scenario time, ms. */
  scenarioNow(): number;
  /** Is the listening socket open right now (false during a `refuse` outage)? */
  listening(): boolean;
  /** Resolves once the last phase change finished closing/reopening the listener. */
  settled(): Promise<void>;
  /**
   * Restart scenario time: from now on scenario ms = (elapsedMs + clock delta) · speed
   * (elapsedMs < 0: t=0 lies ahead). The RPM/TPM window forgets what came before (warm-up
   * traffic must not count against the measured run's limits); requests in flight stay
   * counted. The timeline phase in force is re-applied at once.
   */
  setOrigin(elapsedMs: number): void;
  close(): Promise<void>;
}

export const LOOPBACK = '127.0.0.1';
const MAX_BODY = 1 << 20;
/** The first bytes of HTTP/2's connection preface (RFC 9113 §3.4); no HTTP/1 method starts so. */
const H2_PREFIX = Buffer.from('PRI * HTTP/2.0');
/** A connection that sends nothing for this long before its first bytes is closed. */
const SNIFF_IDLE_MS = 10_000;

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

const isH2 = (req: Req): req is Http2ServerRequest => 'stream' in req;

/** Has the response's connection (HTTP/1) or stream (HTTP/2) gone away? */
function gone(res: Res): boolean {
  return 'stream' in res ? res.stream.destroyed : res.destroyed;
}

/** Fail one request the way its protocol can: HTTP/1 loses its connection, HTTP/2 only its stream. */
function dropRequest(req: Req, h2Code: number): void {
  if (isH2(req)) req.stream.close(h2Code);
  else req.socket.destroy();
}

/** An outage: the whole connection goes, whatever it carries. */
function dropConnection(req: Req): void {
  if (isH2(req)) req.stream.session?.destroy();
  else req.socket.destroy();
}

/**
 * Scenario ms after arrival until which a request keeps its provider slot even if the
 * client left: the answer (JSON, an error status, a reset) or the stream's first event;
 * nothing for a refusal or a hang. The sim transport holds slots the same way (sim-transport.ts).
 */
export function holdMs(plan: WirePlan): number {
  switch (plan.type) {
    case 'json':
    case 'reset':
      return plan.atMs;
    case 'stream':
      return plan.events.length > 0 ? plan.events[0]!.atMs : plan.endMs;
    case 'refuse':
    case 'hang':
      return 0;
    default:
      return assertNever(plan, 'wire plan');
  }
}

export async function startProviderServer(profile: ProviderProfile, opts: ProviderServerOptions = {}): Promise<ProviderServer> {
  const host = opts.host ?? LOOPBACK;
  if (host !== LOOPBACK) throw new Error(`provider server ${profile.id}: host ${host} refused; mock providers bind ${LOOPBACK} only`);
  const speed = opts.speed ?? 1;
  if (!(speed > 0 && Number.isFinite(speed))) throw new Error(`provider server ${profile.id}: speed must be a positive number`);
  const clock = opts.clock ?? systemClock;
  const seed = opts.seed ?? 1;
  const minChunkMs = (opts.minChunkMs ?? 20) * speed;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const model = createProviderModel(profile, seed);
  const timeline = new Timeline(profile);
  let state = createProviderState();
  let t0 = clock.now() - (opts.elapsedMs ?? 0);
  const scenarioNow = (): number => (clock.now() - t0) * speed;
  const sockets = new Set<Socket>();
  let counter = 0;
  let mode: OutageMode | null = null;
  let isListening = false;
  let closed = false;
  let boundary: Timer | undefined;
  let transition: Promise<void> = Promise.resolve();

  const http1 = createServer((req, res) => handle(req, res));
  http1.keepAliveTimeout = 5_000;
  const http2 = createH2Server((req, res) => handle(req, res));
  // noDelay and allowHalfOpen as node:http's own server sets them (SSE chunks must not wait for Nagle).
  const server: Server = createNetServer({ noDelay: true, allowHalfOpen: true }, (s: Socket) => {
    if (mode !== null && OUTAGE_MODES[mode].dropsConnections) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    sniff(s);
  });

  /**
   * Hand the socket to the HTTP/2 server if its first bytes are the h2 preface, else to
   * HTTP/1.1. Until then this owns the socket: an error (a client resetting before its
   * first bytes) or SNIFF_IDLE_MS of silence just closes it.
   */
  function sniff(s: Socket): void {
    let seen: Buffer = Buffer.alloc(0);
    const drop = (): void => void s.destroy();
    const onData = (b: Buffer): void => {
      seen = seen.length === 0 ? b : Buffer.concat([seen, b]);
      if (seen.length < H2_PREFIX.length && H2_PREFIX.subarray(0, seen.length).equals(seen)) return; // need more bytes
      s.off('data', onData);
      s.off('error', drop);
      s.off('timeout', drop);
      s.setTimeout(0);
      s.pause();
      s.unshift(seen);
      if (seen.subarray(0, H2_PREFIX.length).equals(H2_PREFIX)) {
        http2.emit('connection', s); // the session reads what was unshifted from the socket's buffer
      } else {
        http1.emit('connection', s);
        s.resume();
      }
    };
    s.on('data', onData);
    s.on('error', drop);
    s.setTimeout(SNIFF_IDLE_MS, drop);
  }

  const wait = (scenarioMs: number, fn: () => void): Timer => clock.setTimeout(fn, scenarioMs / speed);

  function send(res: Res, status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): void {
    if (res.headersSent || gone(res)) return;
    res.writeHead(status, headers);
    res.end(body);
  }

  function handle(req: Req, res: Res): void {
    const path = (req.url ?? '/').split('?')[0];
    if (mode === 'reset' || mode === 'refuse') {
      dropConnection(req);
      return;
    }
    if (req.method === 'GET' && path === '/health') return send(res, mode === 'http_503' ? 503 : 200, healthBody(profile, mode === null));
    if (req.method === 'GET' && path === '/v1/models') return send(res, 200, modelsBody(profile));
    if (req.method === 'POST' && path === '/v1/chat/completions') return void readBody(req, res);
    send(res, 404, wireErrorBody(404, `no route ${req.method} ${path}`));
  }

  function readBody(req: Req, res: Res): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        send(res, 413, wireErrorBody(413, `body larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, wireErrorBody(400, 'body: invalid JSON'));
      }
      try {
        chat(req, res, body);
      } catch (e) {
        if (e instanceof WireError) return send(res, e.status, wireErrorBody(e.status, e.message));
        // never crash the provider on one bad request (e.g. an absurd x-sim-now-ms)
        send(res, 400, wireErrorBody(400, (e as Error).message));
      }
    });
  }

  function chat(req: Req, res: Res, body: unknown): void {
    const get = (n: string): string | undefined => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const parsed = simRequestFromChat(body, get, counter++, profile, seed);
    const now = parsed.nowMs ?? scenarioNow();
    // Warm-up traffic (openai-wire.ts ParsedChat.warmup) is answered without touching the state.
    const o = parsed.warmup ? model.outcome(parsed.req, now, 0) : model.outcome(parsed.req, now, state.inFlight, state);
    if (!parsed.warmup) model.admit(state, now, parsed.req, o);
    let released = false;
    let timer: Timer | undefined;
    const done = (): void => {
      if (released) return;
      released = true;
      timer?.cancel();
      if (!parsed.warmup) model.release(state);
    };
    const plan = planResponse(o, parsed.req, profile, { minChunkMs, speed });
    // A client that leaves early frees the slot at once only where the provider would notice
    // (a hang, an open stream); otherwise the work goes on until its next event (holdMs).
    const arrived = scenarioNow();
    const hold = holdMs(plan);
    res.on('close', () => {
      const left = hold - (scenarioNow() - arrived);
      if (left > 0 && !released) wait(left, done);
      else done();
    });
    execute(plan, req, res, arrived, (t) => (timer = t));
  }

  /**
   * Every event of a plan is timed from the request's arrival (`arrived`, scenario ms), not from
   * the event before it: a timer that fires late delays that one chunk, and the next is
   * still due at its own planned time, so a stream's lateness does not accumulate chunk by chunk
   * (a 40-chunk stream on a busy machine ran 10-20% long before; test/sim-server-stream-timing.test.ts).
   */
  function execute(plan: WirePlan, req: Req, res: Res, arrived: number, setTimer: (t: Timer) => void): void {
    const at = (atMs: number, fn: () => void): Timer => wait(Math.max(0, arrived + atMs - scenarioNow()), fn);
    switch (plan.type) {
      case 'refuse':
        dropRequest(req, h2.NGHTTP2_REFUSED_STREAM);
        return;
      case 'reset':
        setTimer(at(plan.atMs, () => dropRequest(req, h2.NGHTTP2_INTERNAL_ERROR)));
        return;
      case 'hang':
        return; // hold the socket; `close` fires when the client gives up
      case 'json':
        setTimer(at(plan.atMs, () => send(res, plan.status, plan.body, { ...plan.headers })));
        return;
      case 'stream': {
        let i = 0;
        const next = (): void => {
          if (gone(res)) return;
          const out = res as ServerResponse; // the HTTP/2 compat response has the same calls (its typings lack flushHeaders)
          if (!out.headersSent) {
            out.writeHead(200, { ...plan.headers });
            out.flushHeaders();
          }
          // send every event due now, then wait for the next one
          // (every event already due, when a timer fired late)
          const ev = plan.events;
          const due = Math.max(i < ev.length ? ev[i]!.atMs : plan.endMs, scenarioNow() - arrived);
          while (i < ev.length && ev[i]!.atMs <= due) out.write(sseEvent(ev[i++]!.data));
          if (i < ev.length) setTimer(at(ev[i]!.atMs, next));
          else if (plan.endMs === Infinity) return; // a stall: hold the stream open until the client gives up
          else if (plan.endMs > due) setTimer(at(plan.endMs, () => res.end()));
          else res.end();
        };
        const first = plan.events.length > 0 ? plan.events[0]!.atMs : (plan.headMs ?? plan.endMs);
        setTimer(at(first, next));
        return;
      }
      default:
        return assertNever(plan, 'wire plan');
    }
  }

  function listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      server.once('error', onError);
      server.listen({ port, host, exclusive: true }, () => {
        server.off('error', onError);
        isListening = true;
        resolve();
      });
    });
  }

  function stopListening(): Promise<void> {
    if (!isListening) return Promise.resolve();
    isListening = false;
    return new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  }

  /** Enter the timeline segment in force now and schedule the next boundary. */
  function applyPhase(): void {
    if (closed) return;
    const now = scenarioNow();
    const fx = timeline.at(now);
    const prev = mode;
    mode = fx.outage;
    if (mode === 'refuse' && prev !== 'refuse') transition = transition.then(stopListening);
    if (mode === 'reset' && prev !== 'reset') for (const s of sockets) s.destroy();
    if (mode !== 'refuse' && prev === 'refuse')
      transition = transition
        .then(() => (closed || isListening ? undefined : listen(port)))
        .catch((e: Error) => log(`provider ${profile.id}: cannot re-listen on ${port}: ${e.message}`));
    const nextStart = timeline.segments.find((s) => s.startMs > now)?.startMs;
    boundary = nextStart === undefined ? undefined : wait(nextStart - now, applyPhase);
  }

  await listen(opts.port ?? 0);
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  applyPhase();

  return {
    id: profile.id,
    port,
    url: `http://${host}:${port}/v1`,
    model,
    scenarioNow,
    listening: () => isListening,
    settled: () => transition,
    setOrigin(elapsedMs: number) {
      if (closed) return;
      t0 = clock.now() - elapsedMs;
      const inFlight = state.inFlight;
      state = createProviderState();
      state.inFlight = inFlight;
      boundary?.cancel();
      applyPhase();
    },
    async close() {
      closed = true;
      boundary?.cancel();
      await transition;
      await stopListening();
      for (const s of sockets) s.destroy();
    },
  };
}
