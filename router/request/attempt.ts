import type { Timer } from '../core/clock.js';
import { type ErrorCode, RouterError, errorFromStatus, parseRetryAfter, stackless, toRouterError } from '../core/errors.js';
import { estimateTokens } from '../core/rate-limit.js';
import { costOf } from '../core/stats.js';
import type { AttemptRecord, EndpointFault, TransportResponse, Usage } from '../core/types.js';
import type { AttemptOwner, RequestCtx, Runtime } from './context.js';
import type { Candidate } from '../core/types.js';
import type { EndpointSlot, PickRecord } from './select.js';
import {
  type AbortListener,
  SEND_DIRECT,
  SET_TIMEOUT_TASK,
  CLEAR_TIMEOUT_TASK,
  type TaskClock,
  type TimerTask,
  type UpstreamHandle,
  type UpstreamSink,
  defaultAbortReason,
} from '../core/direct.js';
import { type ChunkSink, type PushSource, STREAM_CANCEL, STREAM_PUSH } from '../core/push.js';
import { pushSourceOf } from '../core/push-iterable.js';
import { RecordedStream, stallTimeoutMs, streamError } from './stream.js';

type Chunk = Uint8Array | string;

const RESOLVED = Promise.resolve();

/**
 * One attempt: one request sent to one endpoint. It owns the abort handle the transport
 * sees, the deadline timer (armed by the timeout layer) and the settle-once logic: whichever
 * comes first (response, error, timer, caller abort, hedge loss) decides, and the outcome is
 * recorded exactly once and reported to the attempt's owner (the request, or a hedge race)
 * by a plain method call, not a promise. A stream "wins" at its first chunk; its outcome is
 * recorded by the RecordedStream when it ends.
 *
 * Two ways to reach the transport: a direct send (direct.ts; the attempt is its own abort
 * handle and sink, nothing else is allocated), else `send` with a pooled AbortController.
 *
 * A stream response is read by push (core/push.ts) with the attempt as the sink: it takes
 * the first chunk (pausing the source), then hands the stream to a RecordedStream and
 * forwards the source's later pushes to it.
 */
export class Attempt implements UpstreamHandle, UpstreamSink, TimerTask, ChunkSink, PickRecord {
  /** The transport's AbortController (pooled: see abort-pool.ts); null until sent through `send`. */
  controller: AbortController | null = null;
  /** Who hears the outcome; set by launchAttempt. */
  owner: AttemptOwner | null = null;
  /** UpstreamHandle (direct sends): why the upstream call was aborted (`aborted`: a flag). */
  abortReason: unknown = undefined;
  abortListener: AbortListener | null = null;
  readonly slot: EndpointSlot;
  readonly reason: string;
  /**
   * The attempt's start when it differs from its request's, else null (startedAt reads the
   * request's): in virtual time a first attempt starts at its request's instant, and a
   * number field costs a heap number per attempt in flight.
   */
  private readonly ownStart: number | null;
  /** The pick that chose this attempt's endpoint (PickRecord; the trace reads it): what the strategy saw and said. */
  readonly candidates: readonly Candidate[];
  readonly scores: readonly number[] | undefined;
  readonly pickReason: string;
  /**
   * The booleans, as bits (ABORTED, PROBE, SETTLED, UPSTREAM_DONE, RELEASED, PANIC), the
   * timer's error code (TIMER_*) and, from bit INDEX_SHIFT up, the pick's index: an attempt
   * lives as long as its request is in flight, ~2,500 of them in the simulator benchmark,
   * and every field of it is copied by each young-generation GC.
   */
  private flags = 0;
  /**
   * The deadline timer: with a task clock (direct.ts) the clock's handle (TimerTask; flag
   * TASK_TIMER), else the Timer of clock.setTimeout; null when none is pending.
   */
  timerHandle: unknown = null;
  /** A stream response's state (source, first push, recorded stream); null before one (always, for a JSON answer). */
  private sh: StreamHead | null = null;

  /**
   * An attempt on `slot`, just picked by selectEndpoint: the rest of the pick is read from
   * rt.env.picked (refilled by the next pick, so read here, at once).
   */
  constructor(
    rt: Runtime,
    readonly ctx: RequestCtx,
    slot: EndpointSlot,
    readonly model: string,
    reason: string,
  ) {
    const now = rt.clock.now();
    const pick = rt.env.picked;
    this.slot = slot;
    this.ownStart = now === ctx.startedAt ? null : now;
    this.candidates = pick.candidates;
    this.scores = pick.scores;
    this.pickReason = pick.reason;
    let flags = (pick.index << INDEX_SHIFT) | (pick.panic ? PANIC : 0);
    const probe = slot.health.beginAttempt(now);
    if (probe) flags |= PROBE;
    this.flags = flags;
    this.reason = probe ? 'probe' : reason;
    slot.stats.onStart(now);
    slot.statsVersion++;
    ctx.addPick(this);
    ctx.attemptCount++;
    ctx.signal?.addEventListener('abort', this);
    if (rt.bus.active)
      rt.bus.emit({ type: 'attempt-start', at: now, requestId: ctx.id, endpointId: slot.endpoint.id, model: this.model, reason: this.reason });
  }

  /** The router's runtime (the request's: not a field of each attempt in flight). */
  get rt(): Runtime {
    return this.ctx.rt;
  }

  /** UpstreamHandle: the upstream call was aborted (direct sends). */
  get aborted(): boolean {
    return (this.flags & ABORTED) !== 0;
  }

  /** Clock time the attempt started (PickRecord: the pick's time). */
  get startedAt(): number {
    const s = this.ownStart;
    return s === null ? this.ctx.startedAt : s;
  }

  /** PickRecord: the candidate the strategy picked. */
  get pickIndex(): number {
    return this.flags >>> INDEX_SHIFT;
  }

  /** PickRecord: the pick was made in panic (ejections ignored). */
  get panic(): boolean {
    return (this.flags & PANIC) !== 0;
  }

  /** This attempt is a half-open endpoint's probe. */
  get probe(): boolean {
    return (this.flags & PROBE) !== 0;
  }

  /** True once the outcome is decided (recorded, or handed to a stream). */
  get settled(): boolean {
    return (this.flags & SETTLED) !== 0;
  }

  /** Clock time of the first chunk (streams), -1 before. */
  get firstByteAt(): number {
    return this.sh === null ? -1 : this.sh.firstByteAt;
  }

  /** Index of this attempt's provisional record in ctx.attempts (streams), -1 when none. */
  get recordIndex(): number {
    return this.sh === null ? -1 : this.sh.recordIndex;
  }

  /** The caller's signal fired (EventListener object: no closure per attempt). */
  handleEvent(): void {
    this.fail(new RouterError('aborted', 'request aborted by the caller', { endpointId: this.slot.endpoint.id }));
  }

  /** Fail with `code` at clock time `at` unless settled first (TTFT / total deadline). */
  arm(at: number, code: TimerCode): void {
    if (!Number.isFinite(at)) return;
    this.flags = (this.flags & ~TIMER_BITS) | TIMER_FLAG[code];
    const clock = this.rt.clock;
    const ms = Math.max(0, at - clock.now());
    // Both halves of the task API, or neither: a clock with only SET would fail on cancel.
    // Called as a method (not through .call): the engine's can then be inlined here.
    if ((clock as Partial<TaskClock>)[SET_TIMEOUT_TASK] !== undefined && (clock as Partial<TaskClock>)[CLEAR_TIMEOUT_TASK] !== undefined) {
      this.flags |= TASK_TIMER;
      (clock as unknown as TaskClock)[SET_TIMEOUT_TASK](this, ms);
    } else {
      this.flags &= ~TASK_TIMER;
      this.timerHandle = clock.setTimeout(() => this.onTimer(), ms);
    }
  }

  /** TimerTask: the deadline timer fired. */
  fire(): void {
    this.onTimer();
  }

  private onTimer(): void {
    this.timerHandle = null;
    const id = this.slot.endpoint.id;
    const t = this.flags & TIMER_BITS;
    const code: TimerCode = t === TIMER_STALL ? 'stream_stalled' : t === TIMER_TOTAL ? 'timeout' : 'ttft_timeout';
    const what = TIMER_WHAT[code] ?? 'request deadline passed';
    const ms = this.rt.clock.now() - this.startedAt;
    this.fail(stackless(() => new RouterError(code, `${what} from ${id} after ${ms} ms`, { endpointId: id })));
  }

  /**
   * Send it. The owner hears `attemptWon` at the response (or a stream's first chunk), or
   * `attemptFailed` with a RouterError, exactly once, and never from inside this call
   * unless the attempt was already settled or the transport threw synchronously.
   */
  run(): void {
    if ((this.flags & SETTLED) !== 0) {
      this.owner?.attemptFailed(this, new RouterError('aborted', 'attempt cancelled before it was sent'));
      return;
    }
    const rt = this.rt;
    const endpoint = this.slot.endpoint;
    let sent: Promise<TransportResponse>;
    try {
      if (rt.direct !== null && rt.direct[SEND_DIRECT](endpoint, this.ctx.req, this, this)) return;
      this.controller = rt.aborts.take();
      sent = rt.transport.send(endpoint, this.ctx.req, { signal: this.controller.signal });
    } catch (e) {
      this.flags |= UPSTREAM_DONE;
      this.fail(toRouterError(e, endpoint.id));
      return;
    }
    sent.then(
      (res) => {
        try {
          this.upstreamResponse(res);
        } catch (e) {
          // Never an unhandled rejection: whatever went wrong fails this attempt.
          this.upstreamError(e);
        }
      },
      (e: unknown) => this.upstreamError(e),
    );
  }

  /** UpstreamSink: the transport call failed (connection-level). */
  upstreamError(e: unknown): void {
    this.flags |= UPSTREAM_DONE;
    this.fail(toRouterError(e, this.slot.endpoint.id));
  }

  /** UpstreamSink: the response (headers; a stream not yet read) arrived. */
  upstreamResponse(res: TransportResponse): void {
    const invalid = invalidResponse(res);
    if (invalid !== null) {
      const id = this.slot.endpoint.id;
      return this.upstreamError(new RouterError('malformed_response', `transport returned an invalid response for ${id}: ${invalid}`, { endpointId: id }));
    }
    if ((this.flags & SETTLED) !== 0) return cancelStream(res);
    if (res.stream === undefined) this.flags |= UPSTREAM_DONE;
    if (res.status < 200 || res.status > 299) {
      this.flags |= UPSTREAM_DONE;
      cancelStream(res);
      const retryAfter = res.retryAfterMs ?? parseRetryAfter(res.headers['retry-after']);
      const id = this.slot.endpoint.id;
      return this.fail(
        stackless(() => errorFromStatus(res.status, id, retryAfter, res.body)),
        res.status,
      );
    }
    if (res.stream === undefined) {
      this.slot.firstByte?.[0].observe(this.rt.clock.now() - this.startedAt);
      this.settle(true, undefined, res.status, res.usage, res.ttftMs);
      this.owner!.attemptWon(this, res, undefined);
      return;
    }
    // The response head came and its first chunk has not: a stall from here on fails over (stream_stalled).
    const stallAt = this.rt.clock.now() + stallTimeoutMs(this.rt, this);
    // The timer armed so far is launchAttempt's (nothing else re-arms before this point).
    if (stallAt < attemptTimerAt(this.rt, this.ctx, this)) {
      this.cancelTimer();
      this.arm(stallAt, 'stream_stalled');
    }
    const src = pushSourceOf(res.stream);
    this.sh = new StreamHead(src, res);
    src[STREAM_PUSH](this);
  }

  // ---- the source's pushes (ChunkSink): the first decides, the rest go to the RecordedStream

  pushChunk(chunk: Chunk): boolean {
    const sh = this.sh!;
    const r = sh.recorded;
    if (r !== null) return r.pushChunk(chunk);
    if (sh.headKind === 0) this.onHead(sh, 1, chunk);
    return false; // hold the source until the RecordedStream's consumer takes the first chunk
  }

  pushEnd(): void {
    const sh = this.sh!;
    const r = sh.recorded;
    if (r !== null) r.pushEnd();
    else if (sh.headKind === 0) this.onHead(sh, 2, undefined);
  }

  pushError(e: unknown): void {
    const sh = this.sh!;
    const r = sh.recorded;
    if (r !== null) r.pushError(e);
    else if (sh.headKind === 0) this.onHead(sh, 3, e);
  }

  /**
   * The first push. From a native push source (the undici and simulated transports) it is
   * acted on one microtask later, through a promise reaction: that is when the pull read it
   * replaced (`next().then`) acted, so virtual-time runs stay byte-identical (and it must be
   * a promise, not queueMicrotask: the engine's 'auto' drain only waits after steps that
   * made a promise, simulator/engine.ts), and the consumer never starts the flow from inside
   * the transport's own delivery. A pull-only source's push already comes from a promise
   * reaction.
   */
  private onHead(sh: StreamHead, kind: 1 | 2 | 3, v: unknown): void {
    sh.headKind = kind;
    sh.head = v;
    if ((sh.source as unknown) === sh.res.stream) void RESOLVED.then(() => this.afterHead());
    else this.afterHead();
  }

  private afterHead(): void {
    const sh = this.sh!;
    const res = sh.res;
    const v = sh.head;
    sh.head = undefined;
    if ((this.flags & SETTLED) !== 0) return;
    if (sh.headKind === 1) return this.onFirstChunk(sh, res, v as Chunk);
    this.flags |= UPSTREAM_DONE;
    const id = this.slot.endpoint.id;
    if (sh.headKind === 2) return this.fail(new RouterError('stream_cut', `stream from ${id} ended before its first chunk`, { endpointId: id }), res.status);
    this.fail(streamError(v, id, false), res.status);
  }

  private onFirstChunk(sh: StreamHead, res: TransportResponse, first: Chunk): void {
    const now = this.rt.clock.now();
    sh.firstByteAt = now;
    this.slot.firstByte?.[1].observe(now - this.startedAt);
    this.slot.stats.onAnswer(this.startedAt, now);
    this.slot.statsVersion++;
    this.commit();
    // Provisional record (ok so far); the stream replaces it when it ends.
    sh.recordIndex = this.ctx.addAttempt(
      attemptRecord(this, now, true, undefined, res.status),
    );
    const stream = new RecordedStream(this, sh.source, first, res, this.ctx.deadline);
    sh.recorded = stream;
    this.owner!.attemptWon(this, res, stream);
  }

  private cancelTimer(): void {
    const h = this.timerHandle;
    if (h === null) return;
    if ((this.flags & TASK_TIMER) !== 0) (this.rt.clock as unknown as TaskClock)[CLEAR_TIMEOUT_TASK](this);
    else (h as Timer).cancel();
    this.timerHandle = null;
  }

  /** The stream owns the rest: stop the TTFT timer and stop listening to the caller. */
  private commit(): void {
    this.flags |= SETTLED;
    this.detach();
  }

  private detach(): void {
    this.cancelTimer();
    this.ctx.signal?.removeEventListener('abort', this);
  }

  /** Decide the outcome (an OutcomeDetail's fields, as arguments: no object per outcome). */
  private settle(ok: boolean, err: RouterError | undefined, status: number | undefined, usage: Usage | undefined, ttftMs: number | undefined): void {
    this.flags |= SETTLED;
    this.detach();
    recordOutcome(this, ok, err, status, usage, ttftMs);
    if ((this.flags & UPSTREAM_DONE) !== 0) this.release();
  }

  /** Fail this attempt (once): abort the upstream call if still running, record, reject. */
  fail(err: RouterError, status?: number): void {
    if ((this.flags & SETTLED) !== 0) return;
    this.settle(false, err, status, undefined, undefined);
    if ((this.flags & UPSTREAM_DONE) === 0) {
      this.abortUpstream(err);
      this.sh?.source[STREAM_CANCEL]();
    }
    this.owner?.attemptFailed(this, err);
  }

  /** Abort the transport call (timeouts, hedge losers, abandoned streams). */
  abortUpstream(reason?: unknown): void {
    this.flags |= UPSTREAM_DONE;
    if ((this.flags & RELEASED) !== 0) return;
    const c = this.controller;
    if (c !== null) {
      if (!c.signal.aborted) c.abort(reason);
    } else if ((this.flags & ABORTED) === 0) {
      this.flags |= ABORTED;
      this.abortReason = reason === undefined ? defaultAbortReason() : reason;
      this.abortListener?.handleAbort();
    }
  }

  /** Hand the controller back to the pool (it is only reused if never aborted and unobserved). */
  private release(): void {
    if ((this.flags & RELEASED) !== 0) return;
    this.flags |= RELEASED;
    if (this.controller !== null) this.rt.aborts.give(this.controller);
  }

  /** Called by the RecordedStream when the stream ends, errors or is abandoned. */
  finishStream(d: OutcomeDetail, upstreamDone: boolean): void {
    if (upstreamDone) this.flags |= UPSTREAM_DONE;
    recordOutcome(this, d.ok, d.err, d.status, d.usage, d.ttftMs);
    if ((this.flags & UPSTREAM_DONE) !== 0) this.release();
  }
}

/** Attempt.flags bits. */
const ABORTED = 1;
const PROBE = 2;
const SETTLED = 4;
/** The transport call is over (answered, failed, or its stream ended). */
const UPSTREAM_DONE = 8;
const RELEASED = 16;
const PANIC = 32;
/** The timer's code (none of these bits: ttft_timeout). */
const TIMER_STALL = 64;
const TIMER_TOTAL = 128;
const TIMER_BITS = TIMER_STALL | TIMER_TOTAL;
/** The pending timer was set through the clock's SET_TIMEOUT_TASK (timerHandle is the clock's). */
const TASK_TIMER = 16384;
/** The pick's index, from this bit up. */
const INDEX_SHIFT = 16;

/** The error codes an attempt's timer fails it with. */
type TimerCode = 'ttft_timeout' | 'stream_stalled' | 'timeout';
const TIMER_FLAG: Record<TimerCode, number> = { ttft_timeout: 0, stream_stalled: TIMER_STALL, timeout: TIMER_TOTAL };

/** What only a stream response needs: one object per stream response, none for a JSON answer. */
class StreamHead {
  /** What the source pushed first: 0 nothing yet, 1 a chunk (`head`), 2 the end, 3 an error (`head`). */
  headKind: 0 | 1 | 2 | 3 = 0;
  head: unknown = undefined;
  /** After the first chunk: the stream the source's pushes are forwarded to. */
  recorded: RecordedStream | null = null;
  /** Clock time of the first chunk, -1 before. */
  firstByteAt = -1;
  /** Index of the attempt's provisional record in ctx.attempts, -1 when none. */
  recordIndex = -1;

  constructor(
    /** The transport's stream as a push source (a pull-only one wrapped by pushSourceOf). */
    readonly source: PushSource,
    readonly res: TransportResponse,
  ) {}
}

/**
 * Why `res` is not a TransportResponse (null when it is). A custom transport that resolves
 * with garbage fails the attempt as malformed_response instead of being taken for a
 * success (status missing) or crashing the router (a stream that is not iterable).
 */
function invalidResponse(res: TransportResponse): string | null {
  if (typeof res !== 'object' || res === null) return `expected an object, got ${res === null ? 'null' : typeof res}`;
  if (!Number.isInteger(res.status) || res.status < 100 || res.status > 599) return `status ${String(res.status)} is not an HTTP status`;
  if (typeof res.headers !== 'object' || res.headers === null) return 'headers is not an object';
  const st = res.stream as unknown;
  if (st !== undefined && typeof (st as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] !== 'function')
    return 'stream is not an async iterable';
  return null;
}

/** A stream response the attempt will not read (it lost, or the status failed it): release its upstream. */
function cancelStream(res: TransportResponse): void {
  if (res.stream !== undefined) pushSourceOf(res.stream)[STREAM_CANCEL]();
}

/** How a timer's failure reads, by its code. */
const TIMER_WHAT: Partial<Record<ErrorCode, string>> = {
  ttft_timeout: 'no first byte',
  stream_stalled: 'stream headers but no first chunk',
};

/** Start an attempt for `owner`: arm its deadline timer (armAttemptTimer, below), then send it. */
export function launchAttempt(rt: Runtime, ctx: RequestCtx, a: Attempt, owner: AttemptOwner): void {
  armAttemptTimer(rt, ctx, a);
  a.owner = owner;
  a.run();
}

// ---- outcome: the only place outcomes enter the router state

/**
 * Recording what one attempt taught us: stats, health (breaker + cooldown), the rate-limit
 * bucket's real token count, the trace record and the `attempt-end` event. The only place
 * outcomes enter the router's state, so every path (success, error status, timeout,
 * abort, stream end) is counted the same way.
 */

/** Failures that say something about the endpoint. A bad request (upstream 4xx, or one that could not even be encoded) or a client that left does not. */
export function countsForHealth(err: RouterError): boolean {
  return err.code !== 'upstream_client_error' && err.code !== 'aborted' && err.code !== 'invalid_request';
}

/** Errors that are configuration faults at the provider: a long ejection, not the usual few seconds. */
const FAULTS: Partial<Record<ErrorCode, EndpointFault>> = {
  upstream_auth_error: 'provider_auth',
  upstream_not_found: 'provider_model_not_found',
};

/** Statuses whose answer means "come back later": they start a cooldown even without Retry-After. */
function isCooldownStatus(status: number | undefined): boolean {
  return status === 429 || status === 503 || status === 529;
}

export interface OutcomeDetail {
  readonly ok: boolean;
  readonly err: RouterError | undefined;
  /** The upstream HTTP status, when one arrived. */
  readonly status: number | undefined;
  readonly usage: Usage | undefined;
  /** Transport-reported TTFT, else first-chunk time, else latency. */
  readonly ttftMs: number | undefined;
}

/** Builds the trace record of an attempt (ok, err, status: as in OutcomeDetail). */
export function attemptRecord(a: Attempt, endedAt: number, ok: boolean, err: RouterError | undefined, status: number | undefined): AttemptRecord {
  return {
    endpointId: a.slot.endpoint.id,
    model: a.model,
    startedAt: a.startedAt,
    endedAt,
    ok,
    errorCode: err?.code,
    status,
    reason: a.reason,
  };
}

/**
 * The one AttemptOutcome handed to EndpointStats.onEnd, refilled per outcome (every field):
 * onEnd reads it and keeps nothing, and calls nothing that could record another outcome meanwhile.
 */
const OUTCOME: { ok: boolean; latencyMs: number; ttftMs: number | undefined; usage: Usage | undefined; countsForHealth: boolean; afterFirstByte: boolean } = {
  ok: false,
  latencyMs: 0,
  ttftMs: undefined,
  usage: undefined,
  countsForHealth: false,
  afterFirstByte: false,
};

/** Record one attempt's outcome (the fields of an OutcomeDetail, as arguments). */
export function recordOutcome(
  a: Attempt,
  ok: boolean,
  err: RouterError | undefined,
  status: number | undefined,
  usage: Usage | undefined,
  reportedTtftMs: number | undefined,
): void {
  const { rt, slot, ctx } = a;
  const now = rt.clock.now();
  const latencyMs = now - a.startedAt;
  const counts = ok || (err !== undefined && countsForHealth(err));
  const ttftMs = ok ? (reportedTtftMs ?? latencyMs) : reportedTtftMs;
  const o = OUTCOME;
  o.ok = ok;
  o.latencyMs = latencyMs;
  o.ttftMs = ttftMs;
  o.usage = usage;
  o.countsForHealth = counts;
  o.afterFirstByte = a.firstByteAt >= 0;
  slot.stats.onEnd(o, now);
  o.usage = undefined;
  slot.statsVersion++;
  slot.health.endAttempt(now, a.probe, ok, counts && err?.rescued !== true);
  if (err !== undefined) {
    const fault = FAULTS[err.code];
    if (fault !== undefined) slot.health.faultEject(now, rt.config.health.providerFaultEjectionMs, fault);
    const retryAfter = err.retryAfterMs;
    if (retryAfter !== undefined) slot.health.cooldown(now, retryAfter);
    else if (isCooldownStatus(status)) slot.health.cooldown(now, rt.config.health.defaultCooldownMs);
  }
  if (usage !== undefined && slot.admission !== null)
    slot.admission.settle(estimateTokens(ctx.req), usage.inputTokens + usage.outputTokens);
  const record = attemptRecord(a, now, ok, err, status);
  if (a.recordIndex >= 0) ctx.attempts[a.recordIndex] = record;
  else ctx.addAttempt(record);
  if (rt.bus.active)
    rt.bus.emit({
      type: 'attempt-end',
      at: now,
      requestId: ctx.id,
      endpointId: slot.endpoint.id,
      model: a.model,
      reason: a.reason,
      ok,
      errorCode: err?.code,
      status,
      latencyMs,
      ttftMs,
      usage,
      costUsd: usage === undefined ? 0 : (usage.costUsd ?? costOf(slot.endpoint, usage)),
      retryAfterMs: err?.retryAfterMs,
    });
}

// ---- the TTFT deadline (see the deadlines in context.ts)

/** TTFT timeout: arm the attempt's timer at the earlier of its TTFT deadline and the request's. */
export function armAttemptTimer(rt: Runtime, ctx: RequestCtx, a: Attempt): void {
  const ttftAt = ttftDeadline(rt, a);
  if (ttftAt < ctx.deadline) a.arm(ttftAt, 'ttft_timeout');
  else a.arm(ctx.deadline, 'timeout');
}

function ttftDeadline(rt: Runtime, a: Attempt): number {
  const ttftMs = rt.config.timeouts.ttftMs;
  return ttftMs > 0 ? a.startedAt + ttftMs : Infinity;
}

/** When armAttemptTimer's timer fires (Infinity: none armed): computed, not kept per attempt. */
function attemptTimerAt(rt: Runtime, ctx: RequestCtx, a: Attempt): number {
  const ttftAt = ttftDeadline(rt, a);
  return ttftAt < ctx.deadline ? ttftAt : ctx.deadline;
}
