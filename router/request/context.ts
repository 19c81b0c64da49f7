import type { Clock } from '../core/clock.js';
import type { RouterConfig } from '../core/config.js';
import type { RouterError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Random } from '../core/random.js';
import type { EndpointSlot, ModelGroup, PickRecord, SelectEnv } from './select.js';
import type { AttemptRecord, RouteRequest, Transport, TransportResponse } from '../core/types.js';
import type { AbortPool } from '../core/abort-pool.js';
import type { Attempt } from './attempt.js';
import type { DirectTransport } from '../core/direct.js';
import type { RetryBudget } from './retry-budget.js';
import type { PushSource } from '../core/push.js';

/**
 * The request state machine. Four stages, one file each, in this order; each stage only
 * calls the next one down, and outcomes come back up by plain method calls on an owner
 * interface (TryOwner, AttemptOwner), not by a stack of promise-returning handlers: per
 * request that saves a promise and its reactions per stage, which dominated the
 * simulator's garbage.
 *
 *   REQUEST  run.ts      total deadline, retry budget, request-end event; after a failed
 *                        try the retry policy (retry.ts) decides: give up, failover /
 *                        fallback model at once, or retry after a full-jitter backoff
 *                        (states: RequestStage)
 *   TRY      try.ts      acquire an endpoint (select.ts; wait for a recovery when none is
 *                        usable), then run the attempt alone or raced by a hedge
 *   ATTEMPT  attempt.ts  one send to one endpoint: TTFT/stall timer, caller abort, the
 *                        outcome recorded exactly once (stats, health, rate limit, trace)
 *   STREAM   stream.ts   after the first chunk: stall and deadline checks, push delivery
 *                        (iterable through core/push-iterable.ts), the attempt's outcome recorded when the stream ends
 *
 * As layers, outermost first: metrics( totalTimeout( retry( hedge( ttftTimeout( attempt ) ) ) ) ).
 * This file holds what the stages share: the runtime, the per-request context, the owner
 * interfaces.
 */

/** The REQUEST stage's states (run.ts RequestRun.stage). */
export type RequestStage = 'start' | 'try' | 'backoff' | 'done';

/**
 * Two deadlines, both on the injected clock:
 *   total: the whole request (all attempts, backoffs, waits, and the stream) ends by
 *          startedAt + (request.deadlineMs ?? timeouts.totalMs);
 *   TTFT:  each attempt must produce its first byte within timeouts.ttftMs, else it is
 *          aborted as ttft_timeout (retryable: the next attempt may be faster).
 *   stall: once a stream started, the gap between two chunks (stallTimeoutMs, checked by
 *          the RecordedStream in stream.ts).
 * 0 disables a deadline. The attempt timer (attempt.ts armAttemptTimer) fires at whichever
 * deadline comes first; the total one is set in run.ts (setRequestDeadline).
 */

/** Everything router-wide a stage may use. */
export interface Runtime {
  readonly config: RouterConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  /** The transport's promise-free send (direct.ts), when it has one. */
  readonly direct: DirectTransport | null;
  readonly bus: EventBus;
  readonly env: SelectEnv;
  readonly groups: ReadonlyMap<string, ModelGroup>;
  readonly budget: RetryBudget;
  readonly aborts: AbortPool;
}

/** A stream as the stages see it: push (core/push.ts), iterable for library users, and a hook called once when it ends. */
export interface RecordedStreamLike extends AsyncIterable<Uint8Array | string>, PushSource {
  onDone: ((ok: boolean, errorCode: string | undefined) => void) | null;
}

/**
 * The lists start as one shared empty array and become an exact one-element array at the
 * first entry: most requests have one attempt, and an empty array's first push reserves
 * 16 slots (three lists per request were ~10% of the simulator's garbage).
 */
const NONE = Object.freeze([]) as unknown as never[];

/**
 * A request's state that only a request past its first try needs (or a trace that is read):
 * apart, so a request in flight, nearly always on its first attempt, is a smaller object
 * (each young-generation GC copies every request in flight).
 */
class CtxMore {
  /** Every pick, in order (RequestCtx.picks). */
  picks: PickRecord[] | null = null;
  /** Endpoints tried, built from the picks on first read (most requests never read it: one attempt, no retry). */
  tried: EndpointSlot[] | null = null;
  reason = 'first';
  retries = 0;
  recoveryWaitedMs = 0;
}

/** The REQUEST stages by number (RequestCtx.bits 0-1). */
export const STAGES: readonly RequestStage[] = ['start', 'try', 'backoff', 'done'];
export const STAGE_BITS = 3;
const OBSERVED = 4;
const LOW_BITS = STAGE_BITS | OBSERVED;
const MODEL_SHIFT = 3;

/** Per-request mutable state. */
export class RequestCtx {
  /**
   * The whole request's time budget, ms (0 = none); set by the timeout layer. Kept instead of
   * the absolute deadline: a clock time is a double, and a double field costs a heap number per
   * request in flight, where the budget is nearly always a small integer.
   */
  totalMs = 0;

  /** Absolute clock deadline for the whole request (Infinity = none): startedAt + totalMs. */
  get deadline(): number {
    return this.totalMs > 0 ? this.startedAt + this.totalMs : Infinity;
  }
  /**
   * The REQUEST stage (run.ts RequestRun.stage: bits 0-1, STAGES), `observed` (bit 2) and
   * `modelIdx` (from bit 3): one small integer instead of three fields, per request in flight.
   */
  protected bits = 0;

  /** Index into `models` of the group being tried. */
  get modelIdx(): number {
    return this.bits >>> MODEL_SHIFT;
  }

  set modelIdx(i: number) {
    this.bits = (this.bits & LOW_BITS) | (i << MODEL_SHIFT);
  }
  /** Attempt records, in the order they ended (a stream's provisional one when it started). */
  attempts: AttemptRecord[] = NONE;
  /**
   * Every pick, one per attempt (an Attempt is its own pick record): the first one alone in
   * `pick0` (no array while the request is in flight, which is all most requests ever need),
   * the list (in `more`) built when read or at the second.
   */
  private pick0: PickRecord | null = null;
  /** What only a request past its first try (or a read trace) needs; null until then. */
  private more: CtxMore | null = null;
  /** Attempts started so far (hedges included); bounded by retry.maxAttempts. */
  attemptCount = 0;
  /** Someone listened to the router's events when the request started (run.ts requestWon). */
  get observed(): boolean {
    return (this.bits & OBSERVED) !== 0;
  }

  set observed(v: boolean) {
    this.bits = v ? this.bits | OBSERVED : this.bits & ~OBSERVED;
  }

  private get extra(): CtxMore {
    return (this.more ??= new CtxMore());
  }

  /** Why the next attempt happens: first, retry, failover, fallback-model. */
  get reason(): string {
    return this.more === null ? 'first' : this.more.reason;
  }

  set reason(v: string) {
    this.extra.reason = v;
  }

  /** Backoff retries so far (re-tries of an endpoint already tried; drives the backoff). */
  get retries(): number {
    return this.more === null ? 0 : this.more.retries;
  }

  set retries(v: number) {
    this.extra.retries = v;
  }

  /** Time spent waiting for a recovery so far, ms (bounded by health.maxRecoveryWaitMs in all). */
  get recoveryWaitedMs(): number {
    return this.more === null ? 0 : this.more.recoveryWaitedMs;
  }

  set recoveryWaitedMs(v: number) {
    this.extra.recoveryWaitedMs = v;
  }

  /** Append an attempt record; returns its index. */
  addAttempt(r: AttemptRecord): number {
    if (this.attempts.length === 0) this.attempts = [r];
    else this.attempts.push(r);
    return this.attempts.length - 1;
  }

  /** Record a pick (its endpoint counts as tried). */
  addPick(p: PickRecord): void {
    const m = this.more;
    if (m !== null && m.picks !== null) m.picks.push(p);
    else if (this.pick0 === null) this.pick0 = p;
    else this.extra.picks = [this.pick0, p];
    if (m !== null && m.tried !== null) m.tried.push(p.slot);
  }

  /** Every pick so far, in order (the same array from then on: later picks are appended to it). */
  get picks(): PickRecord[] {
    const m = this.more;
    if (m !== null && m.picks !== null) return m.picks;
    if (this.pick0 === null) return NONE;
    return (this.extra.picks = [this.pick0]);
  }

  /** Endpoints this request has sent an attempt to, in order (failover prefers the others); null before the first. */
  get tried(): readonly EndpointSlot[] | null {
    const m = this.more;
    if (m !== null && m.tried !== null) return m.tried;
    if (this.pick0 === null) return null;
    const picks = this.picks;
    const t = new Array<EndpointSlot>(picks.length);
    for (let i = 0; i < picks.length; i++) t[i] = picks[i]!.slot;
    return (this.extra.tried = t);
  }

  /** The request's id (read from the request: one field less per request in flight). */
  get id(): string | undefined {
    return this.req.id;
  }

  constructor(
    /** The router's runtime (its attempts read it from here: one field less per attempt in flight). */
    readonly rt: Runtime,
    readonly req: RouteRequest,
    readonly models: readonly string[],
    readonly startedAt: number,
    /** The caller's signal; dropped once the request is done (run.ts), so an open stream does not keep it. */
    public signal: AbortSignal | undefined,
    /** Estimated tokens, for TPM admission. */
    readonly tokens: number,
  ) {}
}

/**
 * Who hears how an attempt went: the request itself, or a hedge race. Called once per attempt.
 * A win is the attempt, its response (headers; or, for a stream, the response whose first chunk
 * arrived) and, for a streaming response, the recorded stream (first chunk included), passed
 * as arguments (not an object per win).
 */
export interface AttemptOwner {
  attemptWon(a: Attempt, response: TransportResponse, stream: RecordedStreamLike | undefined): void;
  attemptFailed(a: Attempt, err: RouterError): void;
}
