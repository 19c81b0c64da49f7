import { RouterError, stackless } from '../core/errors.js';
import { STREAM_CANCEL } from '../core/push.js';
import { waitForRecovery } from '../health/recovery.js';
import { Attempt, launchAttempt } from './attempt.js';
import type { AttemptOwner, RecordedStreamLike, RequestCtx, Runtime } from './context.js';
import type { TransportResponse } from '../core/types.js';
import { hedgeDelayMs } from './hedge-delay.js';
import { selectEndpoint, type EndpointSlot } from './select.js';

/**
 * One "try" of a request: pick an endpoint and run the attempt. With hedging on (Dean &
 * Barroso, "The Tail at Scale"): if the first attempt has no first byte after delayMs,
 * start a second one on another endpoint; the first success wins and the loser is aborted
 * through its signal. A hedge counts toward maxAttempts and spends the retry budget, so
 * hedging cannot double the load on a struggling fleet.
 */

/** Who hears how a try went (the request: run.ts). Called once per try. */
export interface TryOwner extends AttemptOwner {
  tryWon(a: Attempt, response: TransportResponse, stream: RecordedStreamLike | undefined): void;
  tryFailed(e: unknown): void;
}

/** Start one try for `owner`: an endpoint usable now is used at once; else wait for a recovery (acquire, below). */
export function startTry(rt: Runtime, ctx: RequestCtx, owner: TryOwner): void {
  try {
    const a = acquireNow(rt, ctx, ctx.reason, false);
    if (typeof a !== 'number') return race(rt, ctx, a, owner);
  } catch (e) {
    return owner.tryFailed(e);
  }
  acquire(rt, ctx, ctx.reason, false).then(
    (a) => {
      try {
        race(rt, ctx, a!, owner);
      } catch (e) {
        owner.tryFailed(e);
      }
    },
    (e: unknown) => owner.tryFailed(e),
  );
}

/** Run the attempt alone, or raced by a hedge when hedging is on and attempts are left. */
function race(rt: Runtime, ctx: RequestCtx, a: Attempt, owner: TryOwner): void {
  const h = rt.config.hedging;
  const { maxAttempts } = rt.config.retry;
  if (ctx.attemptCount >= maxAttempts) return launchAttempt(rt, ctx, a, owner);
  // A long JSON answer sent twice (hedging.onLong): where the second attempt may go, or null.
  const long = h.onLong.enabled && ctx.req.maxTokens !== undefined && ctx.req.stream !== true ? sendTwice(rt, ctx, a, ctx.req.maxTokens) : null;
  if (h.enabled) {
    const fb = a.slot.firstByte;
    const delayMs = hedgeDelayMs(h, fb === null ? undefined : fb[ctx.req.stream === true ? 1 : 0]);
    return new Hedge(rt, ctx, owner, delayMs, maxAttempts, 0).run(a, long);
  }
  const on = h.onHang.enabled;
  const lag = on === true || (on === 'auto' && rt.env.strategy.name === 'adaptive') ? a.slot.stats.answerLagMs : null;
  if (lag === null) return long === null ? launchAttempt(rt, ctx, a, owner) : new Hedge(rt, ctx, owner, -1, maxAttempts, 0).run(a, long);
  // Hang rescue: look when this attempt's own wait could first say "hung", then every half of that.
  const wait = Math.max(h.onHang.lagFactor * lag, h.onHang.minMs);
  // At least 1 ms between looks: recheckMs 0 would mean an ungated timed hedge (minMs 0, lag 0).
  new Hedge(rt, ctx, owner, wait, maxAttempts, Math.max(wait / 2, 1)).run(a, long);
}

const NONE: readonly EndpointSlot[] = [];

/**
 * hedging.onLong, for a JSON reply: the answer is predicted to take over overMs on the primary's
 * endpoint, the retry budget has more than 1 - maxBudgetShare of its window left (retries keep the
 * rest), and the primary's model group failed at most maxFailureRate of its requests in the stats
 * window (an overloaded fleet gets no extra load: flash-crowd's errors rose 1.8 points without
 * this gate). Returns the group's endpoints the second attempt may not go to (another upstream
 * model: its answer would not be the same one, e.g. a cheaper model's, which cost mixed-workload 5
 * points of acceptable answers; dearer than maxPriceRatio x the primary's price; or failing over
 * maxFailureRate), or null: send it once (also when no other endpoint is left).
 * Not streams: their race is won by the first chunk, so a duplicate picks the host that starts
 * first, not the one that finishes first (with streams, stream-faults' p99 rose 1.5 s and
 * provider-faults' 2.0 s, where a host starts fast and then streams slowly).
 */
function sendTwice(rt: Runtime, ctx: RequestCtx, a: Attempt, maxTokens: number): readonly EndpointSlot[] | null {
  const o = rt.config.hedging.onLong;
  const t = a.slot.stats.predictLatencyMs(maxTokens);
  if (t === null || t <= o.overMs!) return null;
  const now = rt.clock.now();
  if (rt.budget.spentShare(now) >= o.maxBudgetShare) return null;
  const group = rt.groups.get(ctx.models[ctx.modelIdx]!);
  if (group === undefined) return null;
  const slots = group.slots;
  const maxPrice = o.maxPriceRatio * priceNow(a.slot, now);
  const model = a.slot.endpoint.upstreamModel;
  let requests = 0;
  let failures = 0;
  let open = 0;
  let off: EndpointSlot[] | null = null;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const { ok, bad } = s.stats.windowTotals(now);
    requests += ok + bad;
    failures += bad;
    if (s === a.slot) continue;
    if (s.endpoint.upstreamModel !== model || priceNow(s, now) > maxPrice || bad > o.maxFailureRate * (ok + bad)) (off ??= []).push(s);
    else open++;
  }
  if (open === 0 || failures > o.maxFailureRate * requests) return null;
  return off ?? NONE;
}

/** The race between a primary attempt and (maybe) its hedge. */
class Hedge implements AttemptOwner {
  private readonly racing: Attempt[] = [];
  private pending = 0;
  private done = false;
  private hedgeDue = true;
  /** A hang rescue's hedge was started (its primary, if it loses, ends as a ttft_timeout). */
  private rescued = false;
  private timer: { cancel(): void } | null = null;
  private lastError: unknown;
  /** While the primary is being sent: a failure reported that early waits until the timer is set. */
  private starting = false;
  private early: { err: unknown } | null = null;

  constructor(
    private readonly rt: Runtime,
    private readonly ctx: RequestCtx,
    private readonly owner: TryOwner,
    private readonly delayMs: number,
    private readonly maxAttempts: number,
    /** Hang rescue (> 0): hedge only once the primary's endpoint looks hung, looking again every recheckMs. */
    private readonly recheckMs: number,
  ) {}

  /**
   * Start the primary; with `long` (hedging.onLong's exclusions), a second attempt at once in the
   * primary's model group, outside `long`. When that one cannot go (no endpoint free now, the
   * budget, maxAttempts), the try goes on as without onLong: the timed hedge or hang rescue after
   * delayMs, or (delayMs < 0) the primary alone.
   */
  run(primary: Attempt, long: readonly EndpointSlot[] | null = null): void {
    this.starting = true;
    this.start(primary);
    if (long !== null && this.early === null && this.startLong(primary, long)) this.hedgeDue = false;
    else if (this.delayMs >= 0) this.timer = this.rt.clock.setTimeout(() => this.fireHedge(primary), this.delayMs);
    else this.hedgeDue = false;
    this.starting = false;
    const early = this.early;
    if (early !== null) {
      this.early = null;
      this.onFail(early.err);
    }
  }

  private start(a: Attempt): void {
    this.racing.push(a);
    this.pending++;
    launchAttempt(this.rt, this.ctx, a, this);
  }

  attemptWon(a: Attempt, response: TransportResponse, stream: RecordedStreamLike | undefined): void {
    this.onWin(a, response, stream);
  }

  attemptFailed(_a: Attempt, err: RouterError): void {
    if (this.starting) this.early = { err };
    else this.onFail(err);
  }

  /** hedging.onLong's second attempt, now: started (true), or none could go (false; its retry given back). */
  private startLong(primary: Attempt, off: readonly EndpointSlot[]): boolean {
    const rt = this.rt;
    if (this.ctx.attemptCount >= this.maxAttempts || !rt.budget.tryRetry(rt.clock.now())) return false;
    let b: Attempt | number;
    try {
      b = acquireNow(rt, this.ctx, 'long-twice', true, off, true);
    } catch {
      b = Infinity; // deadline or abort: the primary decides alone
    }
    if (typeof b === 'number') {
      rt.budget.refund(rt.clock.now());
      return false;
    }
    if (rt.bus.active) rt.bus.emit({ type: 'hedge', at: rt.clock.now(), requestId: this.ctx.id, primaryEndpointId: primary.slot.endpoint.id });
    this.start(b);
    return true;
  }

  private fireHedge(primary: Attempt): void {
    this.timer = null;
    if (this.done) return;
    const rt = this.rt;
    /** Hang rescue: the primary's group's endpoints its hedge may not go to (the gate's, below). */
    let excluded: readonly EndpointSlot[] | null = null;
    if (this.recheckMs > 0 && !primary.settled) {
      // Hang rescue: hedge once the endpoint looks hung; else look again when it would (the
      // limit as the stats stand now), or in recheckMs while fewer than 4 attempts wait there.
      const o = rt.config.hedging.onHang;
      const now = rt.clock.now();
      const limit = primary.slot.stats.hangLimitAt(o.lagFactor, o.minMs);
      const off = now > limit ? rescueExclusions(rt, this.ctx, primary, now) : null;
      if (off === null) {
        const next = now > limit ? this.recheckMs : Math.min(this.recheckMs, limit - now + 1);
        this.timer = rt.clock.setTimeout(() => this.fireHedge(primary), next);
        return;
      }
      excluded = off;
    }
    let b: Attempt | null = null;
    try {
      if (primary.settled || this.ctx.attemptCount >= this.maxAttempts || answeredNewer(rt, primary) || !rt.budget.tryRetry(rt.clock.now())) b = null;
      else {
        const r = acquireNow(rt, this.ctx, 'hedge', true, excluded); // a hedge never waits
        if (typeof r === 'number' && excluded !== null) {
          // Hang rescue with nowhere to go right now (the endpoints that opened the gate are
          // cooling down or ejected): give the retry back and look again, rather than leave the
          // primary to its TTFT timeout (outage-failover: 5 s waits when `mid` had a cooldown).
          rt.budget.refund(rt.clock.now());
          this.timer = rt.clock.setTimeout(() => this.fireHedge(primary), this.recheckMs);
          return;
        }
        b = typeof r === 'number' ? null : r;
      }
    } catch {
      b = null; // no hedge possible (deadline, abort): the primary decides alone
    }
    this.hedgeDue = false;
    if (b === null) {
      if (this.pending === 0 && !this.done) this.finishFail(this.lastError);
      return;
    }
    if (rt.bus.active) rt.bus.emit({ type: 'hedge', at: rt.clock.now(), requestId: this.ctx.id, primaryEndpointId: primary.slot.endpoint.id });
    this.rescued = this.recheckMs > 0;
    this.start(b);
  }

  private onWin(a: Attempt, response: TransportResponse, stream: RecordedStreamLike | undefined): void {
    this.pending--;
    if (this.done) {
      // Lost the race by a hair: release its stream.
      stream?.[STREAM_CANCEL]();
      return;
    }
    this.done = true;
    this.timer?.cancel();
    for (const other of this.racing)
      if (other !== a) other.fail(this.lossOf(other));
    this.owner.tryWon(a, response, stream);
  }

  /**
   * Why a loser ends: a hedge lost the race (aborted: says nothing about its endpoint), except a
   * primary a hang rescue replaced: it waited past its endpoint's hang limit with no first byte,
   * a timeout for its endpoint's stats (success rate, latency; not the breaker), so a strategy
   * that learns from failures still sees the hang (with a neutral abort, `latency` forced to
   * rescue kept sending to outage-failover's hung host until the rescues had spent the retry
   * budget: errors 0.18% -> 1.97%, held-out seeds).
   */
  private lossOf(other: Attempt): RouterError {
    const endpointId = other.slot.endpoint.id;
    if (this.rescued && other === this.racing[0])
      return stackless(() => {
        const e = new RouterError('ttft_timeout', 'no first byte while its endpoint looked hung; a rescue hedge answered', { endpointId });
        e.rescued = true;
        return e;
      });
    return stackless(() => new RouterError('aborted', 'hedge lost the race', { endpointId }));
  }

  private onFail(e: unknown): void {
    this.pending--;
    if (this.done) return;
    this.lastError = e;
    const fatal = e instanceof RouterError && !e.retryable;
    if (fatal || (this.pending === 0 && !this.hedgeDue) || (this.pending === 0 && this.timer !== null)) {
      // Nothing else is racing (or the error says no one will do better): give up this try.
      this.finishFail(e);
    }
  }

  private finishFail(e: unknown): void {
    this.done = true;
    this.timer?.cancel();
    for (const other of this.racing)
      other.fail(stackless(() => new RouterError('aborted', 'hedge cancelled', { endpointId: other.slot.endpoint.id })));
    this.owner.tryFailed(e);
  }
}

/**
 * Hang rescue's gate, and where its hedge may go. The gate: no other endpoint of the group is
 * hung too (soleHung), and some other one, at most maxPriceRatio x the primary's price now, has
 * been silent (stats.silentMs) under 1/staleRatio as long as the primary's: one host fell silent
 * while another still answers, not a fleet where every host queues; and a rescue never buys a
 * much dearer answer (price-shift: hedges from its cheap host to hosts 2x dearer cost +4% per 1k
 * ok, held out). Returns null when the gate is shut, else the group's endpoints that do not pass
 * it (dearer, or silent too long): the hedge's pick leaves them out like tried ones, so the
 * strategy picks among the endpoints that opened the gate (before, it picked among all untried
 * ones: round-robin over prices 1, 1.2 and 10 sent every other rescue to the 10x host).
 */
function rescueExclusions(rt: Runtime, ctx: RequestCtx, primary: Attempt, now: number): EndpointSlot[] | null {
  const o = rt.config.hedging.onHang;
  const own = primary.slot.stats.silentMs(now);
  const group = rt.groups.get(ctx.models[ctx.modelIdx]!);
  if (own === null || group === undefined) return null;
  const slots = group.slots;
  if (o.soleHung)
    for (let i = 0; i < slots.length; i++) if (slots[i] !== primary.slot && now > slots[i]!.stats.hangLimitAt(o.lagFactor, o.minMs)) return null;
  const maxPrice = o.maxPriceRatio * priceNow(primary.slot, now);
  let open = false;
  const off: EndpointSlot[] = [];
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s === primary.slot) continue;
    const a = priceNow(s, now) > maxPrice ? null : s.stats.silentMs(now);
    if (a !== null && own > o.staleRatio * a) open = true;
    else off.push(s);
  }
  return open ? off : null;
}

/** An endpoint's blended list price (USD per 1M) times its observed billing factor. */
function priceNow(slot: Attempt['slot'], now: number): number {
  const p = slot.endpoint.price;
  return ((p.input + p.output) / 2) * slot.stats.currentPriceFactor(now);
}

/**
 * The primary's endpoint already answered an attempt started after it: the endpoint works, this
 * answer is just long (a long JSON reply): a hedge would redo the same work. Quantile mode only.
 */
function answeredNewer(rt: Runtime, primary: Attempt): boolean {
  if (rt.config.hedging.mode !== 'quantile') return false;
  const a = primary.slot.stats.latestAnsweredStart;
  return a !== null && a > primary.startedAt;
}

// ---- acquire: where the next attempt goes

/**
 * Where the next attempt goes. Walk the request's model list from the current model: the
 * first model with a usable endpoint wins (moving down the list is a fallback). When no
 * model has one, wait for the earliest recovery within the deadline, or fail fast.
 * Hedges (`hedge: true`) never wait and never reuse an endpoint: they get null instead.
 */

/**
 * Synchronous part: an Attempt when something is usable now, else the clock time of the
 * earliest recovery (Infinity = unknown). No promise on the common path.
 */
export function acquireNow(
  rt: Runtime,
  ctx: RequestCtx,
  reason: string,
  hedge: boolean,
  /** Endpoints of the request's current model group left out as if tried (a hang rescue's, above). */
  excluded: readonly EndpointSlot[] | null = null,
  /** Only the current model group, no fallback models (hedging.onLong's second attempt). */
  sameModel = false,
): Attempt | number {
  if (ctx.signal?.aborted) throw new RouterError('aborted', 'request aborted by the caller');
  const now = rt.clock.now();
  if (now >= ctx.deadline) throw new RouterError('timeout', `request deadline passed after ${now - ctx.startedAt} ms`);
  let earliest = Infinity;
  const waitUntil = recoveryWaitUntil(rt, ctx, now);
  const end = sameModel ? ctx.modelIdx + 1 : ctx.models.length;
  for (let m = ctx.modelIdx; m < end; m++) {
    const group = rt.groups.get(ctx.models[m]!)!;
    const tried = excluded === null || excluded.length === 0 || m !== ctx.modelIdx ? ctx.tried : [...(ctx.tried ?? []), ...excluded];
    const r = selectEndpoint(rt.env, group, ctx.req, now, tried, hedge, ctx.tokens, waitUntil);
    if (typeof r !== 'number') {
      const moved = m !== ctx.modelIdx;
      ctx.modelIdx = m;
      return new Attempt(rt, ctx, r, group.model, moved && !hedge ? 'fallback-model' : reason);
    }
    if (r < earliest) earliest = r;
  }
  return earliest;
}

/** The latest time this request may wait for a recovery: the cap is on its waiting in all, not per wait. */
function recoveryWaitUntil(rt: Runtime, ctx: RequestCtx, now: number): number {
  return Math.min(ctx.deadline, now + rt.config.health.maxRecoveryWaitMs - ctx.recoveryWaitedMs);
}

/** acquireNow, waiting for the earliest recovery (within the deadline) while nothing is usable. */
export async function acquire(rt: Runtime, ctx: RequestCtx, reason: string, hedge: boolean): Promise<Attempt | null> {
  for (;;) {
    const r = acquireNow(rt, ctx, reason, hedge);
    if (typeof r !== 'number') return r;
    if (hedge) return null;
    const h = rt.config.health;
    const from = rt.clock.now();
    const until = recoveryWaitUntil(rt, ctx, from);
    try {
      await waitForRecovery(rt.clock, r, until, h.waitForRecovery, ctx.models[ctx.modelIdx]!, ctx.signal);
    } finally {
      ctx.recoveryWaitedMs += rt.clock.now() - from;
    }
  }
}
