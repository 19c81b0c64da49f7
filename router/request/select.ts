import type { FirstByteQuantile } from './hedge-delay.js';
import type { Admission } from '../core/rate-limit.js';
import type { EndpointHealth } from '../health/breaker.js';
import type { EventBus } from '../core/events.js';
import { RouterError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import type { EndpointStats } from '../core/stats.js';
import type { PickContext, Strategy } from '../core/strategy.js';
import type { AttemptRecord, Candidate, DecisionTrace, Endpoint, HealthSnapshot, RouteRequest, StatsSnapshot } from '../core/types.js';

/**
 * Choosing an endpoint for one attempt: health before load (Finagle/Envoy).
 *   1. classify each endpoint of the model: available, "soft" unavailable (ejected, or
 *      half-open with no probe slot), or "hard" blocked (upstream cooldown, rate-limit bucket empty);
 *   2. panic: if more than panicThreshold of them is unavailable, ignore ejections (never cooldowns),
 *      but by recovery likelihood: an ejected endpoint only when no available one is left
 *      untried, and then the one that failed least recently (a dead or hung endpoint is
 *      tried last, never first);
 *   3. prefer endpoints not yet tried by this request (failover);
 *   4. let the strategy pick among what is left; record the pick for the trace.
 * Snapshot views are cached per endpoint and rebuilt only when its stats/health changed or,
 * for the time-decayed values, when the clock moved by `quantumMs`; the full candidate
 * array of a model is reused while nothing changed, so the healthy path allocates little
 * more than the pick record.
 */

/**
 * What a strategy sees of one endpoint. `stats` is materialised on first read (at the
 * view's time), because most strategies (round-robin, weighted, random, sticky, priority)
 * never read it and building a StatsSnapshot per change was ~15% of the router's CPU.
 * A view whose stats were read is replaced as soon as its endpoint's stats change, so
 * anything read during a pick is exactly what an eager snapshot would have shown, and once
 * read it never changes. A view nobody read is re-stamped in place instead (no garbage):
 * after its pick only its endpoint and health are looked at (the trace), and those it keeps.
 */
class CandidateView implements Candidate {
  readonly endpoint: Endpoint;

  constructor(
    private readonly slot: EndpointSlot,
    readonly health: HealthSnapshot,
    /** Clock time the view stands for. */
    public at: number,
    public statsVersion: number,
    private snap: StatsSnapshot | null,
  ) {
    this.endpoint = slot.endpoint;
  }

  /** Stand for a later time / stats version. Only while the stats were never read (see EndpointSlot.candidate). */
  restamp(at: number, statsVersion: number): void {
    this.at = at;
    this.statsVersion = statsVersion;
  }

  get stats(): StatsSnapshot {
    return (this.snap ??= this.slot.stats.snapshot(this.at));
  }

  /** The stats if already materialised (carried over when only health changed). */
  get materialised(): StatsSnapshot | null {
    return this.snap;
  }

  toJSON(): Candidate {
    return { endpoint: this.endpoint, stats: this.stats, health: this.health };
  }
}

/** Runtime state of one endpoint. */
export class EndpointSlot {
  /** Bumped whenever the router feeds the stats an attempt start or outcome. */
  statsVersion = 0;
  private view: CandidateView | null = null;
  /**
   * Recent times to first byte, [JSON replies, streams], for the hedge delay
   * (hedge-delay.ts); null unless hedging is on in quantile mode.
   */
  firstByte: [FirstByteQuantile, FirstByteQuantile] | null = null;

  constructor(
    readonly endpoint: Endpoint,
    readonly stats: EndpointStats,
    readonly health: EndpointHealth,
    readonly admission: Admission | null,
  ) {
    // The first view, made here rather than by the first candidate() call (that path ran once
    // per endpoint, before V8 had feedback for it, and threw away the pick path's optimised
    // code in each new router's first pick). It stands for no time yet (at -Infinity), so that
    // call re-stamps it (candidate(): unread stats, same health), as it would a view of its own.
    const health0 = health.timelessSnapshot();
    if (health0 !== null) this.view = new CandidateView(this, health0, -Infinity, this.statsVersion, null);
  }

  /** The current view, whatever time it stands for (null before the first). */
  get latestView(): Candidate | null {
    return this.view;
  }

  /** The current snapshot view (cached; see the file comment). */
  candidate(now: number, quantumMs: number): Candidate {
    const health = this.health.snapshot(now);
    const v = this.view;
    if (v !== null && v.statsVersion === this.statsVersion && now - v.at < quantumMs && now >= v.at) {
      if (v.health === health) return v;
      // Only health changed: keep the same stats (same version, same time).
      return (this.view = new CandidateView(this, health, v.at, v.statsVersion, v.materialised));
    }
    // The stats moved on, but no one ever read this view's: it shows nothing stale, so it
    // can stand for now (round-robin, weighted, ... never read stats: no view per pick).
    if (v !== null && v.health === health && v.materialised === null) {
      v.restamp(now, this.statsVersion);
      return v;
    }
    return (this.view = new CandidateView(this, health, now, this.statsVersion, null));
  }

  /** A plain, fully materialised snapshot (for callers outside the pick path). */
  snapshot(now: number): Candidate {
    return { endpoint: this.endpoint, stats: this.stats.snapshot(now), health: this.health.snapshot(now) };
  }
}

/**
 * One pick as the trace reads it, kept raw (cheap) and expanded into the DecisionTrace shape
 * only when read. The attempt the pick started carries it (attempt.ts: an Attempt is its own
 * pick record, so a request in flight holds no separate object per pick); the pick's time is
 * its attempt's start.
 */
export interface PickRecord {
  readonly startedAt: number;
  readonly model: string;
  readonly candidates: readonly Candidate[];
  readonly scores: readonly number[] | undefined;
  readonly pickIndex: number;
  readonly pickReason: string;
  readonly panic: boolean;
  readonly slot: EndpointSlot;
}

/**
 * What selectEndpoint picked besides the slot, for the attempt it starts to copy at once
 * (SelectEnv.picked: one object per router, refilled per pick, read before the next).
 */
export class PickScratch {
  candidates: readonly Candidate[] = [];
  scores: readonly number[] | undefined = undefined;
  index = 0;
  reason = '';
  panic = false;
}

const AVAILABLE = 0;
const SOFT = 1; // ejected / half-open without a free probe slot: panic mode may use it
const HARD = 2; // upstream cooldown or local rate limit: always respected

/**
 * What one scan of a group found: how many endpoints are available, which are blocked and
 * until when, and whether the group is in panic. A fresh value per scan, read by the
 * caller that asked for it (selectEndpoint, the retry policy's planNext); nothing of it is
 * left on the group, so no method depends on which scan ran last (the all-available scan is
 * one shared value per group: it never changes). Cost: one small object per scan with an
 * unavailable endpoint, plus a copy of the per-slot classes; in
 * the paired simulator benchmark (round-robin, cost, least-connections; 6 alternating
 * rounds in one process) the router was not slower than with the group's scratch fields.
 */
export class GroupScan {
  /** Set by eligible(): it left out an ejected endpoint because this request had tried it. */
  private skippedTriedSoft = false;

  constructor(
    private readonly group: ModelGroup,
    /** Per slot: AVAILABLE / SOFT / HARD; null when every endpoint is available (nothing to look up). */
    private readonly cls: Uint8Array | null,
    private readonly availCount: number,
    /** More than the panic threshold of the endpoints is unavailable, and ignoring ejections would help. */
    readonly panic: boolean,
    private readonly hardUntil: number,
    private readonly softUntil: number,
  ) {}

  /** Class of slot i (AVAILABLE when the scan found every endpoint available). */
  private classOf(i: number): number {
    return this.cls === null ? AVAILABLE : this.cls[i]!;
  }

  /** How many endpoints are not available right now. */
  get unavailable(): number {
    return this.group.slots.length - this.availCount;
  }

  get allAvailable(): boolean {
    return this.availCount === this.group.slots.length;
  }

  /** Is there an endpoint this request has not tried that may be used now? */
  hasUntried(tried: readonly EndpointSlot[]): boolean {
    const slots = this.group.slots;
    for (let i = 0; i < slots.length; i++) {
      const c = this.classOf(i);
      if ((c === AVAILABLE || (this.panic && c === SOFT)) && !tried.includes(slots[i]!)) return true;
    }
    return false;
  }

  /**
   * When to look again (Infinity = unknown/never), after eligible() found nothing. In panic
   * ejections are ignored, so only cooldowns count, unless eligible() skipped an ejected
   * endpoint this request already tried: then its ejection end counts too (the request
   * waits for its probe, not for nothing). By recovery likelihood, a cooldown that ends by
   * `waitUntil` is waited for even when an ejection ends sooner: the provider said when it
   * will answer again, while an ended ejection only buys a probe of an endpoint that failed.
   */
  earliestRecovery(waitUntil = Infinity): number {
    if (this.hardUntil <= waitUntil) return this.hardUntil;
    return this.panic && !this.skippedTriedSoft ? this.hardUntil : Math.min(this.hardUntil, this.softUntil);
  }

  /**
   * The usable candidates (and their slots), honouring panic and the tried set.
   * `requireUntried` (hedges): only endpoints this request has not tried, else nothing.
   * When every usable endpoint was tried, the healthy tried ones are retried; ejected
   * ones (panic) are not. Null when nothing is left: the caller waits for a recovery.
   */
  eligible(
    now: number,
    quantumMs: number,
    tried: readonly EndpointSlot[] | null,
    requireUntried: boolean,
  ): { cands: Candidate[]; slots: EndpointSlot[] } | null {
    const panic = this.panic;
    const slots = this.group.slots;
    const out: Candidate[] = [];
    const outSlots: EndpointSlot[] = [];
    let triedUsable: EndpointSlot[] | null = null;
    let soft: EndpointSlot | null = null; // panic: the untried ejected endpoint most likely to have recovered
    for (let i = 0; i < slots.length; i++) {
      const c = this.classOf(i);
      if (!(c === AVAILABLE || (panic && c === SOFT))) continue;
      const s = slots[i]!;
      if (tried !== null && tried.includes(s)) {
        // Retry only on endpoints still healthy. An ejected one this request already
        // failed on is usable in panic for other requests, never again for this one
        // (Envoy's previous-hosts retry predicate): when it was the last option left,
        // every retry went back to the dead host.
        if (c === AVAILABLE) (triedUsable ??= []).push(s);
        else this.skippedTriedSoft = true;
        continue;
      }
      if (c === SOFT) {
        if (soft === null || failedBefore(s, soft)) soft = s;
        continue;
      }
      out.push(s.candidate(now, quantumMs));
      outSlots.push(s);
    }
    if (out.length === 0 && soft !== null) {
      // Panic with no available endpoint left untried: one ejected endpoint, the least recently failed.
      out.push(soft.candidate(now, quantumMs));
      outSlots.push(soft);
    }
    if (out.length === 0) {
      if (requireUntried || triedUsable === null) return null;
      // Every usable endpoint was tried already: retry among them, healthy ones before a
      // half-open one (its probe is a bet on an endpoint that failed; by recovery likelihood, last).
      const healthy = triedUsable.some((s) => !s.health.isHalfOpen(now));
      for (const s of triedUsable) {
        if (healthy && s.health.isHalfOpen(now)) continue;
        out.push(s.candidate(now, quantumMs));
        outSlots.push(s);
      }
    }
    return { cands: out, slots: outSlots };
  }
}

/** All endpoints serving one model group. */
export class ModelGroup {
  /**
   * The candidates of the latest call to candidates(); null before the first. (Not an empty
   * `[]`: that array's map, a different element kind from the filled ones', was seen once per
   * group, before V8 had collected feedback, and threw candidates()' optimised code away.)
   */
  private all: Candidate[] | null = null;
  /** Where scan() classifies; copied into the GroupScan only when some endpoint is not available. */
  private readonly work: Uint8Array;
  /**
   * The scan of a group whose endpoints are all available, shared by every such scan: it holds
   * no class array, no panic and no recovery times, and eligible() never marks it (it only
   * marks a scan with an unavailable endpoint), so it reads the same whoever asked. Made here,
   * not at the first such scan: that path of scan() ran once per group, before V8 had
   * collected feedback for it, so a new router's first scan threw scan()'s optimised code away.
   */
  private readonly allAvailable: GroupScan;

  constructor(
    readonly model: string,
    readonly slots: readonly EndpointSlot[],
  ) {
    this.work = new Uint8Array(slots.length);
    this.allAvailable = new GroupScan(this, null, slots.length, false, Infinity, Infinity);
    // The first row too (see EndpointSlot's first view): candidates() keeps it while each
    // endpoint's candidate() returns the same view, as it would a row made by its first call.
    const row = slots.map((s) => s.latestView);
    if (row.every((v) => v !== null)) this.all = row as Candidate[];
  }

  /** Current snapshots of every endpoint of this model (the array is reused while unchanged). */
  candidates(now: number, quantumMs: number): Candidate[] {
    const slots = this.slots;
    const all = this.all;
    if (all !== null && all.length === slots.length) {
      let same = true;
      for (let i = 0; i < slots.length && same; i++) same = all[i] === slots[i]!.candidate(now, quantumMs);
      if (same) return all;
    }
    const fresh = new Array<Candidate>(slots.length);
    for (let i = 0; i < slots.length; i++) fresh[i] = slots[i]!.candidate(now, quantumMs);
    this.all = fresh;
    return fresh;
  }

  /**
   * Classify every endpoint (AVAILABLE / SOFT / HARD) at `now` for a request of `tokens`
   * estimated tokens; panic when more than `panicThreshold` of them is unavailable and
   * some are only ejected (ignoring ejections would help).
   */
  scan(now: number, tokens: number, panicThreshold: number): GroupScan {
    const slots = this.slots;
    const cls = this.work;
    let avail = 0;
    let soft = 0;
    let hardUntil = Infinity;
    let softUntil = Infinity;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      const h = s.health;
      const ok = h.available(now);
      const cd = h.cooldownEnd(now);
      const wait = s.admission === null ? 0 : s.admission.waitMs(tokens, now);
      if (cd !== null || wait > 0) {
        cls[i] = HARD;
        const until = Math.max(cd ?? now, now + wait, ok ? now : (h.ejectionEnd() ?? now));
        if (until < hardUntil) hardUntil = until;
      } else if (ok) {
        cls[i] = AVAILABLE;
        avail++;
      } else {
        cls[i] = SOFT;
        soft++;
        const until = h.ejectionEnd() ?? Infinity; // half-open, probes busy: unknown
        if (until < softUntil) softUntil = until;
      }
    }
    const n = slots.length;
    // Every endpoint available: the same answer every time (no panic, nothing blocked), one object per group.
    if (avail === n) return this.allAvailable;
    const panic = soft > 0 && (n - avail) / n > panicThreshold;
    return new GroupScan(this, cls.slice(), avail, panic, hardUntil, softUntil);
  }
}

/** Did `a` fail before `b` last did (never failed counts as earliest)? Ties keep config order. */
function failedBefore(a: EndpointSlot, b: EndpointSlot): boolean {
  return (a.stats.lastFailure ?? -Infinity) < (b.stats.lastFailure ?? -Infinity);
}

/** The one PickContext of a router, refilled per pick (strategies must not keep it). */
class PickCtx implements PickContext {
  /**
   * Set before every pick. NaN until then, not 0: a fractional number, so the field holds
   * doubles from the start (0 would make it a small-integer field that changes
   * representation, and the object its map, at the first fractional clock time).
   */
  now = NaN;

  constructor(readonly random: Random) {}
}

/**
 * Shared, router-wide pieces a selection needs. A class, as the router's runtime
 * (router.ts), not an object literal: V8 makes a literal's boilerplate at the literal's
 * second evaluation, which widens the field types that optimised code made from the first
 * router relied on, and a router is made once per simulated run, so each second run threw
 * the hot path's optimised code away (a V8 deoptimisation) and recompiled it.
 */
export class SelectEnv {
  /** One mutable context reused for every pick (strategies must not keep it). */
  readonly pickCtx: PickCtx;
  /** The latest pick's details (see PickScratch); the attempt it starts copies them. */
  readonly picked = new PickScratch();

  constructor(
    readonly strategy: Strategy,
    readonly panicThreshold: number,
    /** Time-decayed stats are re-read when the clock moved by this much (EndpointSlot.candidate). */
    readonly quantumMs: number,
    readonly bus: EventBus,
    random: Random,
  ) {
    this.pickCtx = new PickCtx(random);
  }
}

/**
 * Pick an endpoint of `group` for one attempt. Returns the picked slot (the rest of the
 * pick is in env.picked until the next pick), or a number: the clock time at which
 * something may become usable (Infinity = not known), when nothing is usable now.
 * `tried`: endpoints this request already tried (failover prefers the others); `requireUntried`
 * (hedges): only an untried endpoint, else nothing; `tokens`: estimated tokens for TPM admission.
 */
export function selectEndpoint(
  env: SelectEnv,
  group: ModelGroup,
  req: RouteRequest,
  now: number,
  tried: readonly EndpointSlot[] | null,
  requireUntried: boolean,
  tokens: number,
  /** The latest time this request would wait for a recovery (see earliestRecovery). */
  waitUntil = Infinity,
): EndpointSlot | number {
  const scan = group.scan(now, tokens, env.panicThreshold);
  const panic = scan.panic;
  let cands: readonly Candidate[];
  let slots: readonly EndpointSlot[];
  if (scan.allAvailable && (tried === null || tried.length === 0)) {
    cands = group.candidates(now, env.quantumMs);
    slots = group.slots;
  } else {
    const e = scan.eligible(now, env.quantumMs, tried, requireUntried);
    if (e === null) return scan.earliestRecovery(waitUntil);
    cands = e.cands;
    slots = e.slots;
  }
  if (panic && env.bus.active)
    env.bus.emit({ type: 'panic', at: now, model: group.model, unavailable: scan.unavailable, total: group.slots.length });
  const ctx = env.pickCtx;
  ctx.now = now;
  let pick: ReturnType<Strategy['pick']>;
  try {
    pick = env.strategy.pick(cands, req, ctx);
  } catch (e) {
    // A strategy (or its classifier) that throws is a router bug, not a network failure: never
    // retried. A RouterError it throws on purpose (classifier fallback 'error') stays as it is.
    if (e instanceof RouterError) throw e;
    throw new RouterError('no_candidates', `strategy "${env.strategy.name}" failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  const index = pick?.index;
  if (index === undefined || !Number.isInteger(index) || index < 0 || index >= cands.length)
    throw new RouterError(
      'no_candidates',
      `strategy "${env.strategy.name}" returned index ${String(index)} for ${cands.length} candidates`,
    );
  const slot = slots[index]!;
  if (slot.admission !== null) slot.admission.take(tokens, now);
  const out = env.picked;
  out.candidates = cands;
  out.scores = pick.scores;
  out.index = index;
  out.reason = pick.reason ?? env.strategy.name;
  out.panic = panic;
  return slot;
}

type TracePick = DecisionTrace['picks'][number];

/** The pick as the trace shows it: every candidate with its health state and strategy score. */
function tracePick(p: PickRecord): TracePick {
  const candidates = p.candidates.map((c, i) => {
    const score = p.scores?.[i];
    return score === undefined ? { id: c.endpoint.id, health: c.health.state } : { id: c.endpoint.id, health: c.health.state, score };
  });
  return { at: p.startedAt, model: p.model, candidates, picked: p.slot.endpoint.id, reason: p.pickReason, panic: p.panic };
}

/**
 * A DecisionTrace over the raw pick records. The per-candidate view is built only when
 * `picks` is first read, so routing millions of simulated requests does not pay for
 * traces nobody looks at. Candidates are immutable snapshots, so the view is what the
 * strategy saw at the time. It reads the request's picks (and id) from the request itself
 * when first asked: no list of them is built for a trace nobody reads.
 */
class LazyTrace implements DecisionTrace {
  private view: TracePick[] | null = null;

  constructor(
    private readonly ctx: TraceSource,
    readonly strategy: string,
    readonly attempts: readonly AttemptRecord[],
  ) {}

  get requestId(): string | undefined {
    return this.ctx.id;
  }

  get picks(): readonly TracePick[] {
    return (this.view ??= this.ctx.picks.map(tracePick));
  }

  toJSON(): DecisionTrace {
    return { requestId: this.requestId, strategy: this.strategy, picks: this.picks, attempts: this.attempts };
  }
}

/** What a trace reads of its request (context.ts RequestCtx). */
export interface TraceSource {
  readonly id: string | undefined;
  readonly picks: readonly PickRecord[];
}

export function buildTrace(ctx: TraceSource, strategy: string, attempts: readonly AttemptRecord[]): DecisionTrace {
  return new LazyTrace(ctx, strategy, attempts);
}
