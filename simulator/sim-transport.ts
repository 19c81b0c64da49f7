import { type ErrorCode, RouterError, stackless } from '../router/core/errors.js';
import type { Clock, Timer } from '../router/core/clock.js';
import type { Endpoint, RouteRequest, SendOptions, Transport, TransportResponse } from '../router/core/types.js';
import { SEND_DIRECT, type DirectTransport, type UpstreamHandle, type UpstreamSink } from '../router/core/direct.js';
import { STREAM_CANCEL, STREAM_PROGRESS, STREAM_PUSH, STREAM_RESUME, type ChunkSink, type ProgressSource, type PushSource } from '../router/core/push.js';
import { PullIterator } from '../router/core/push-iterable.js';
import type { Engine, Task } from './engine.js';
import { createProviderState, type ProviderModel, type ProviderState } from './model.js';
import type { ProviderOutcome, SimRequest } from './types.js';
import { assertNever } from './fault-kinds.js';

/**
 * The simulated transport: the router's Transport on the engine's virtual clock. A send
 * asks the endpoint's provider model for the outcome of this request at this instant
 * with the provider's current in-service load (requests admitted and not yet finished,
 * queued ones included), then settles on the virtual clock the way a socket would:
 *
 *   ok (JSON)        resolve 200 + usage + ttftMs at totalMs
 *   ok (stream)      resolve 200 at ttftMs with a stream: first chunk at once, the rest
 *                    (usage, [DONE]) at totalMs
 *   stream_cut       as a stream, but the stream throws RouterError('stream_cut') at totalMs;
 *                    with no token sent: reject RouterError('stream_cut') at ttftMs (= totalMs),
 *                    before a first byte, as the HTTP transport sees a stream that ends at once
 *   malformed_event  as a stream, but the stream throws RouterError('malformed_response') at
 *                    totalMs (with 0 tokens before it: reject malformed_response at totalMs)
 *   stall            as a stream whose end never comes: only the caller's abort ends it (the
 *                    router's stall timeout); it vouches for progress until stallAtMs
 *   http_error/429   resolve the status (Retry-After header + retryAfterMs) at totalMs
 *   refused          reject RouterError('connect_failed') at ttftMs
 *   reset            reject RouterError('connection_reset') at totalMs
 *   malformed        reject RouterError('malformed_response') at totalMs
 *   hang             never settles; only the caller's AbortSignal ends it
 *
 * The router sends through `[SEND_DIRECT]` (router/core/direct.ts): no promise and no
 * AbortSignal per attempt, the router's attempt is the sink and the abort handle. `send`
 * (promises, AbortSignal) behaves the same for any other caller.
 *
 * The AbortSignal is honoured: a hang or an open stream ends at the abort (slot freed,
 * rejected with the signal's reason); any other aborted attempt is rejected at its next
 * event and keeps its provider slot until then (see Call). An aborted attempt is not
 * billed. The provider slot (capacity, RPM/TPM window) is taken at send.
 */

export interface SimProvider {
  /** Endpoint id the router uses for this provider. */
  readonly id: string;
  readonly model: ProviderModel;
  /** Capacity and RPM/TPM state (created when absent). */
  state?: ProviderState;
}

/** What the transport tells its owner about each attempt (billing, oracle, metrics). */
export interface AttemptInfo {
  readonly request: SimRequest;
  /** The router's request (the object passed to send). */
  readonly route: RouteRequest;
  readonly providerId: string;
  readonly sentAtMs: number;
  readonly load: number;
  readonly outcome: ProviderOutcome;
}

/**
 * What the transport asks of its owner, as the methods of one object (SimTransportOptions.hooks,
 * run.ts): a class's methods are the same functions from one run to the next, where closures
 * made per run are new call targets each time (V8 threw the optimised transport code away per run).
 */
export interface SimTransportHooks {
  lookup(request: RouteRequest): SimRequest | undefined;
  onAttempt(info: AttemptInfo): void;
  outcomeHint(request: RouteRequest, providerId: string, nowMs: number, load: number, state: ProviderState): ProviderOutcome | undefined;
  onAttemptEnd(info: AttemptInfo, completed: boolean): void;
}

export interface SimTransportOptions {
  readonly engine: Engine;
  readonly providers: readonly SimProvider[];
  /** lookup, onAttempt, outcomeHint and onAttemptEnd as one object's methods (then the functions below are not read). */
  readonly hooks?: SimTransportHooks;
  /** The SimRequest behind a RouteRequest (run.ts keys them by `id`); required without `hooks`. */
  readonly lookup?: (request: RouteRequest) => SimRequest | undefined;
  /** Called once per send, after the outcome is drawn. */
  readonly onAttempt?: (info: AttemptInfo) => void;
  /**
   * An outcome the owner already drew for exactly this request, provider, instant, load and
   * RPM/TPM state (the oracle asks every provider at arrival): returned instead of asking
   * the model again. Must be what `model.outcome` would return.
   */
  readonly outcomeHint?: (request: RouteRequest, providerId: string, nowMs: number, load: number, state: ProviderState) => ProviderOutcome | undefined;
  /** Called once per send when the provider slot is freed: `completed` = the outcome played out (not aborted). */
  readonly onAttemptEnd?: (info: AttemptInfo, completed: boolean) => void;
  /** A delay (ms) added to each attempt's answer, first byte and end alike (arrival-jitter.ts completionDelays); absent: none. */
  readonly completionDelayMs?: () => number;
}

export interface SimTransport extends Transport, DirectTransport {
  /** Current in-service load of a provider. */
  load(providerId: string): number;
  /** Attempts still in service (all providers). */
  inService(): number;
}

const NO_HEADERS: Readonly<Record<string, string | undefined>> = Object.freeze({});
const SSE_HEADERS: Readonly<Record<string, string | undefined>> = Object.freeze({ 'content-type': 'text/event-stream' });
const OK_BODY = Object.freeze({ object: 'chat.completion', simulated: true });
const FIRST_CHUNK = 'data: {"object":"chat.completion.chunk","simulated":true}\n\n';
const LAST_CHUNK = 'data: {"object":"chat.completion.chunk","simulated":true,"usage":{}}\n\ndata: [DONE]\n\n';

/** Outcomes that reach the caller as a stream (when it asked for one): at least one chunk, then the end, an error or a stall. */
function isStreamKind(o: ProviderOutcome): boolean {
  switch (o.kind) {
    case 'ok':
    case 'stall':
      return true;
    case 'stream_cut': // a cut before any token fails before the first byte
    case 'malformed_event':
      return o.outputTokens > 0;
    case 'http_error':
    case 'rate_limited':
    case 'refused':
    case 'reset':
    case 'hang':
    case 'malformed':
      return false;
    default:
      return assertNever(o.kind, 'outcome kind');
  }
}

/**
 * A simulated failure. No stack trace: it would only show the engine, and capturing one is
 * the most expensive part of an error (~2-4 µs), paid for every refused attempt of an outage.
 */
function simError(code: ErrorCode, message: string, endpointId: string): RouterError {
  return stackless(() => new RouterError(code, message, { endpointId }));
}

function abortError(reason: unknown, endpointId: string): unknown {
  return reason ?? simError('aborted', `request to ${endpointId} aborted`, endpointId);
}

/** One provider of the transport, and what its calls share (the engine, the end hook): not kept per call. */
interface Entry {
  readonly id: string;
  readonly model: ProviderModel;
  readonly state: ProviderState;
  readonly engine: Engine;
  /** Hears the end of each call (SimTransportImpl.callEnded). */
  readonly transport: SimTransportImpl;
}

/** The same outcome answered `d` ms later: first byte, end and stall point. */
function delayed(o: ProviderOutcome, d: number): ProviderOutcome {
  return o.stallAtMs === undefined
    ? { ...o, ttftMs: o.ttftMs + d, totalMs: o.totalMs + d }
    : { ...o, ttftMs: o.ttftMs + d, totalMs: o.totalMs + d, stallAtMs: o.stallAtMs + d };
}

export function createSimTransport(opts: SimTransportOptions): SimTransport {
  return new SimTransportImpl(opts);
}

/** SimTransportOptions' functions as hooks (absent ones do nothing). */
class FunctionHooks implements SimTransportHooks {
  constructor(private readonly o: SimTransportOptions) {}

  lookup(request: RouteRequest): SimRequest | undefined {
    return this.o.lookup!(request);
  }

  onAttempt(info: AttemptInfo): void {
    this.o.onAttempt?.(info);
  }

  outcomeHint(request: RouteRequest, providerId: string, nowMs: number, load: number, state: ProviderState): ProviderOutcome | undefined {
    return this.o.outcomeHint?.(request, providerId, nowMs, load, state);
  }

  onAttemptEnd(info: AttemptInfo, completed: boolean): void {
    this.o.onAttemptEnd?.(info, completed);
  }
}

/**
 * The transport: a class, not an object of closures made per run, so the functions the
 * router and the calls invoke (send, the direct send, a call's end) are the same from one run
 * to the next and optimised code made in one run is not thrown away in the next (a new
 * closure is a new call target to V8).
 */
class SimTransportImpl implements SimTransport {
  private readonly engine: Engine;
  private readonly clock: Clock;
  private readonly hooks: SimTransportHooks;
  private readonly completionDelayMs: SimTransportOptions['completionDelayMs'];
  private inServiceCount = 0;
  private readonly byId = new Map<string, Entry>();

  constructor(opts: SimTransportOptions) {
    this.engine = opts.engine;
    this.clock = opts.engine.clock;
    if (opts.hooks === undefined && typeof opts.lookup !== 'function') throw new Error('sim transport: expected hooks or a lookup function');
    this.hooks = opts.hooks ?? new FunctionHooks(opts);
    this.completionDelayMs = opts.completionDelayMs;
    for (const p of opts.providers) {
      if (this.byId.has(p.id)) throw new Error(`sim transport: duplicate provider id "${p.id}"`);
      this.byId.set(p.id, { id: p.id, model: p.model, state: (p.state ??= createProviderState()), engine: this.engine, transport: this });
    }
  }

  /** A call left service (Call.release). */
  callEnded(info: AttemptInfo, completed: boolean): void {
    this.inServiceCount--;
    this.hooks.onAttemptEnd(info, completed);
  }

  /** Draw the provider's outcome for this attempt, admit it, report it, and put it in service. */
  private begin(
    entry: Entry,
    request: RouteRequest,
    sim: SimRequest,
    signal: AbortSignal | null,
    handle: UpstreamHandle | null,
    sink: UpstreamSink,
  ): void {
    const now = this.clock.now();
    const state = entry.state;
    const load = state.inFlight;
    const drawn = this.hooks.outcomeHint(request, entry.id, now, load, state) ?? entry.model.outcome(sim, now, load, state);
    entry.model.admit(state, now, sim, drawn);
    // A refused connection is the kernel's answer (no provider timer), so it is not delayed.
    const completionDelayMs = this.completionDelayMs;
    const o = completionDelayMs === undefined || drawn.kind === 'refused' ? drawn : delayed(drawn, completionDelayMs());
    this.inServiceCount++;
    const flags = (sim.stream && request.stream === true ? WANTS_STREAM : 0) | (handle !== null ? DIRECT : 0);
    const call = new Call(entry, sim, request, now, load, o, handle ?? signal!, sink, flags);
    this.hooks.onAttempt(call);
    call.start();
  }

  send(endpoint: Endpoint, request: RouteRequest, { signal }: SendOptions): Promise<TransportResponse> {
    const entry = this.byId.get(endpoint.id);
    if (!entry)
      return Promise.reject(
        new RouterError('connect_failed', `no simulated provider for endpoint "${endpoint.id}"`, { endpointId: endpoint.id }),
      );
    if (signal.aborted) return Promise.reject(abortError(signal.reason, entry.id));
    const sim = this.hooks.lookup(request);
    if (!sim) return Promise.reject(new RouterError('invalid_request', `sim transport: unknown request id "${request.id}"`));
    return new Promise<TransportResponse>((resolve, reject) =>
      this.begin(entry, request, sim, signal, null, { upstreamResponse: resolve, upstreamError: reject }),
    );
  }

  /** The router's promise-free path: the same Call, reporting to the attempt. Declines the odd cases (send rejects them). */
  [SEND_DIRECT](endpoint: Endpoint, request: RouteRequest, handle: UpstreamHandle, sink: UpstreamSink): boolean {
    const entry = this.byId.get(endpoint.id);
    if (!entry || handle.aborted) return false;
    const sim = this.hooks.lookup(request);
    if (!sim) return false;
    this.begin(entry, request, sim, null, handle, sink);
    return true;
  }

  async check(endpoint: Endpoint): Promise<boolean> {
    const e = this.byId.get(endpoint.id);
    if (!e) return false;
    const down = e.model.effectsAt(this.clock.now()).outage !== null;
    await this.clock.sleep(5);
    return !down;
  }

  load(providerId: string): number {
    return this.byId.get(providerId)?.state.inFlight ?? 0;
  }

  inService(): number {
    return this.inServiceCount;
  }
}

/**
 * One attempt in service: a small state machine driven by engine events, one object per
 * send (no closures per branch). It listens to the AbortSignal only while an abort can
 * change the outcome's timing (a hang, an open stream): Node's AbortSignal listeners cost
 * ~2 µs each. Otherwise an abort is seen at the next event: the upstream keeps the slot
 * until it would have finished (a non-streaming upstream does not notice a client that
 * left), then the attempt ends (billed in full in attempt spend: run.ts onAttemptEnd) and the
 * (already settled) caller is rejected.
 */
class Call implements Task, AttemptInfo {
  /**
   * RELEASED, LISTENING, STREAMING, WANTS_STREAM, DIRECT (the abort side is the router's
   * handle, not a signal), as bits: a call lives as long as its attempt is in service, and
   * each young-generation GC copies every field of it.
   */
  private flags: number;
  private timer: Timer | null = null;
  private stream: SimStream | null = null;

  constructor(
    private readonly entry: Entry,
    readonly request: SimRequest,
    readonly route: RouteRequest,
    readonly sentAtMs: number,
    readonly load: number,
    readonly outcome: ProviderOutcome,
    /** The abort side: an AbortSignal (send) or the router's handle (direct send; flag DIRECT). */
    private readonly abortSide: AbortSignal | UpstreamHandle,
    private readonly sink: UpstreamSink,
    /** WANTS_STREAM, DIRECT. */
    flags: number,
  ) {
    this.flags = flags;
  }

  get providerId(): string {
    return this.entry.id;
  }

  private get handle(): UpstreamHandle | null {
    return (this.flags & DIRECT) !== 0 ? (this.abortSide as UpstreamHandle) : null;
  }

  private get signal(): AbortSignal | null {
    return (this.flags & DIRECT) !== 0 ? null : (this.abortSide as AbortSignal);
  }

  private get wantsStream(): boolean {
    return (this.flags & WANTS_STREAM) !== 0;
  }

  private get released(): boolean {
    return (this.flags & RELEASED) !== 0;
  }

  private get listening(): boolean {
    return (this.flags & LISTENING) !== 0;
  }

  private get streaming(): boolean {
    return (this.flags & STREAMING) !== 0;
  }

  start(): void {
    const o = this.outcome;
    if (o.kind === 'hang') return this.listen(); // only an abort ends it
    const isStream = this.wantsStream && isStreamKind(o);
    this.timer = this.entry.engine.schedule(this.sentAtMs + (o.kind === 'refused' || isStream ? o.ttftMs : o.totalMs), this);
  }

  private get aborted(): boolean {
    return this.handle !== null ? this.handle.aborted : this.signal!.aborted;
  }

  private abortError(): unknown {
    return abortError(this.handle !== null ? this.handle.abortReason : this.signal!.reason, this.entry.id);
  }

  private listen(): void {
    if (this.listening) return;
    this.flags |= LISTENING;
    if (this.handle !== null) this.handle.abortListener = this;
    else this.signal!.addEventListener('abort', this);
  }

  private release(completed: boolean): void {
    if (this.released) return;
    this.flags |= RELEASED;
    this.entry.model.release(this.entry.state);
    if (this.listening) {
      if (this.handle !== null) {
        if (this.handle.abortListener === this) this.handle.abortListener = null;
      } else this.signal!.removeEventListener('abort', this);
    }
    this.entry.transport.callEnded(this, completed);
  }

  /** The abort fired (EventListener object for a signal, AbortListener for a handle). */
  handleEvent(): void {
    if (this.released) return;
    this.timer?.cancel();
    this.timer = null;
    this.release(false);
    const err = this.abortError();
    if (this.stream) this.stream.fail(err);
    else this.sink.upstreamError(err);
  }

  handleAbort(): void {
    this.handleEvent();
  }

  /** The scheduled event (Task): the outcome plays out. */
  fire(): void {
    this.timer = null;
    if (this.released) return;
    if (!this.listening && this.aborted) {
      this.release(false);
      return this.sink.upstreamError(this.abortError());
    }
    const o = this.outcome;
    const id = this.entry.id;
    if (this.streaming) {
      this.release(true);
      return this.stream!.finish();
    }
    switch (o.kind) {
      case 'refused':
        this.release(true);
        return this.sink.upstreamError(simError('connect_failed', `simulated connection refused from ${id}`, id));
      case 'reset':
        this.release(true);
        return this.sink.upstreamError(simError('connection_reset', `simulated connection reset from ${id}`, id));
      case 'malformed':
      case 'malformed_event':
        if (this.wantsStream && isStreamKind(o)) return this.openStream(o, id); // tokens, then the broken event
        this.release(true);
        return this.sink.upstreamError(simError('malformed_response', `simulated malformed body from ${id}`, id));
      case 'http_error':
      case 'rate_limited': {
        this.release(true);
        const body = { error: { message: `simulated ${o.status}`, type: 'simulated' } };
        return this.sink.upstreamResponse(
          o.retryAfterMs !== undefined
            ? {
                status: o.status,
                headers: { 'retry-after': String(Math.ceil(o.retryAfterMs / 1000)) },
                retryAfterMs: o.retryAfterMs,
                body,
              }
            : { status: o.status, headers: NO_HEADERS, body },
        );
      }
      case 'ok':
      case 'stream_cut':
      case 'stall':
        if (o.kind === 'stream_cut' && o.outputTokens === 0) {
          // Headers, then the end before any token: the router fails it before its first byte, as over a socket.
          this.release(true);
          return this.sink.upstreamError(simError('stream_cut', `simulated stream from ${id} ended before its first chunk`, id));
        }
        if (!this.wantsStream) {
          this.release(true);
          return this.sink.upstreamResponse({
            status: 200,
            headers: NO_HEADERS,
            body: OK_BODY,
            usage: { inputTokens: o.inputTokens, outputTokens: o.outputTokens, costUsd: o.costUsd },
            ttftMs: o.ttftMs,
          });
        }
        return this.openStream(o, id);
      case 'hang':
        return;
      default:
        return assertNever(o.kind, 'outcome kind');
    }
  }

  /**
   * Headers and the first chunk at TTFT; the end is scheduled now, consumed or not, so the
   * provider slot is always freed (a stall has no end: only the caller's abort, its stall
   * timeout, ends it).
   */
  private openStream(o: ProviderOutcome, id: string): void {
    const res: TransportResponse = { status: 200, headers: SSE_HEADERS, ttftMs: o.ttftMs };
    this.stream = new SimStream(o, res, id, this.sentAtMs);
    res.stream = this.stream;
    this.flags |= STREAMING;
    this.listen();
    if (o.kind !== 'stall') this.timer = this.entry.engine.schedule(this.sentAtMs + o.totalMs, this);
    this.sink.upstreamResponse(res);
  }
}

/** Call.flags bits. */
const RELEASED = 1;
const LISTENING = 2;
const STREAMING = 4;
const WANTS_STREAM = 8;
const DIRECT = 16;

/**
 * A two-chunk stream: the first chunk is there at TTFT; the second (usage, [DONE]) or
 * the cut arrives when the transport calls finish() at totalMs; fail() ends it early
 * (abort). Read by push (STREAM_PUSH, router/core/push.ts: no promise per chunk, so the
 * engine step that ends the stream needs no microtask drain); for-await goes through the
 * shared adapter (router/core/push-iterable.ts).
 *
 * step: 0 = first chunk not pushed, 1 = pushed, 2 = last chunk pushed (end pending a resume),
 * 3 = over.
 */
class SimStream implements AsyncIterable<string>, PushSource, ProgressSource {
  private step = 0;
  private ended: { ok: true } | { ok: false; err: unknown } | null = null;
  private sink: ChunkSink | null = null;
  private paused = false;

  constructor(
    private readonly o: ProviderOutcome,
    private readonly res: TransportResponse,
    private readonly id: string,
    private readonly sentAtMs: number,
  ) {}

  /** A stall before the first token: the head came, no chunk ever will. */
  private get silent(): boolean {
    return this.o.kind === 'stall' && this.o.outputTokens === 0;
  }

  /** Two chunks stand for the whole stream: its upstream is sending until the end, or until a stall (STREAM_PROGRESS). */
  [STREAM_PROGRESS](): number {
    return this.sentAtMs + (this.o.kind === 'stall' ? (this.o.stallAtMs ?? this.o.ttftMs) : this.o.totalMs);
  }

  [Symbol.asyncIterator](): PullIterator<string> {
    return new PullIterator<string>(this);
  }

  finish(): void {
    if (this.ended) return;
    this.res.usage = { inputTokens: this.o.inputTokens, outputTokens: this.o.outputTokens, costUsd: this.o.costUsd };
    const kind = this.o.kind;
    this.ended =
      kind === 'stream_cut'
        ? { ok: false, err: simError('stream_cut', `simulated stream cut from ${this.id}`, this.id) }
        : kind === 'malformed_event'
          ? { ok: false, err: simError('malformed_response', `simulated malformed SSE event from ${this.id}`, this.id) }
          : { ok: true };
    this.deliver();
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.ended = { ok: false, err };
    this.deliver();
  }

  [STREAM_CANCEL](): void {
    this.step = 3;
    this.sink = null;
  }

  [STREAM_PUSH](sink: ChunkSink): void {
    if (this.step >= 2) return; // already read to the end
    this.sink = sink;
    if (this.step === 0 && !this.silent) {
      this.step = 1;
      if (!sink.pushChunk(FIRST_CHUNK)) {
        this.paused = true;
        return;
      }
    }
    this.deliver();
  }

  [STREAM_RESUME](): void {
    if (!this.paused) return;
    this.paused = false;
    this.deliver();
  }

  /** Push what is due: the last chunk then the end, or the error; stop while paused. */
  private deliver(): void {
    const s = this.sink;
    const e = this.ended;
    if (s === null || e === null || this.paused) return;
    if (!e.ok) {
      this.step = 3;
      this.sink = null;
      return s.pushError(e.err);
    }
    if (this.step < 2) {
      this.step = 2;
      if (!s.pushChunk(LAST_CHUNK)) {
        this.paused = true;
        return;
      }
    }
    this.step = 3;
    this.sink = null;
    s.pushEnd();
  }
}
