import type { HealthConfig, StatsConfig } from '../core/config.js';
import { WindowedCounter } from '../core/stats.js';
import type { EndpointFault, HealthSnapshot, HealthState } from '../core/types.js';
import { slowStartFactor } from './slow-start.js';

/**
 * One endpoint's health as a small state machine, in the style of Finagle's
 * FailureAccrualPolicy and Envoy's outlier detection:
 *
 *   healthy --N consecutive failures, or windowed error rate > threshold--> ejected
 *   ejected --ejection time passed--> half-open
 *   half-open --probe succeeds--> healthy (slow start ramps its weight back up)
 *   half-open --probe fails--> ejected again, for longer
 *
 *   ejection time = min(maxEjectionMs, baseEjectionMs * 2^(ejections - 1))
 *
 * The ejection count resets once the endpoint has stayed healthy for maxEjectionMs.
 * Independently of that machine, an upstream 429/503 puts the endpoint in a cooldown
 * until now + Retry-After (capped); a new cooldown never shortens an existing one.
 * Only endpoint-attributable outcomes reach this class (not client 4xx, not client aborts).
 */
type Phase = 'healthy' | 'ejected' | 'half-open';

export type HealthListener = (from: HealthState, to: HealthState, at: number) => void;

export class EndpointHealth {
  /** Bumped on every state change: snapshot caches compare it. */
  version = 0;
  private phase: Phase = 'healthy';
  private ejections = 0;
  private ejectedUntil = 0;
  private cooldownUntil = -Infinity;
  private probes = 0;
  private recoveredAt = -Infinity;
  /** When the current (or last) ejection began: a remote recovery ends only ejections that began before it. */
  private ejectedAt = -Infinity;
  /** The current ejection came from another replica (remoteEject), not from failures seen here. */
  private remoteEjection = false;
  private consecutive = 0;
  private window: WindowedCounter;
  private reported: HealthState = 'healthy';
  private cache: HealthSnapshot | null = null;
  private cacheVersion = -1;
  private cacheAt = 0;
  /** Why the endpoint is out, when it is a configuration fault at the provider (bad key, unknown model); cleared on recovery. */
  private fault: EndpointFault | null = null;

  constructor(
    private readonly cfg: HealthConfig,
    private readonly statsCfg: Pick<StatsConfig, 'windowMs' | 'windowBuckets'>,
    private readonly onTransition?: HealthListener,
  ) {
    this.window = new WindowedCounter(statsCfg.windowMs, statsCfg.windowBuckets);
    // What snapshot() shows until the first state change (healthy, never failed: no slow start,
    // so valid at any time), made here rather than by the first snapshot(): that path ran once
    // per endpoint, before V8 had feedback for it, and threw away the optimised code of the
    // pick path (EndpointSlot.candidate) in each new router's first pick.
    this.cache = { state: 'healthy', available: true, until: null, ejections: 0, slowStart: 1 };
    this.cacheVersion = this.version;
  }

  /**
   * Apply time-driven transitions (ejection over, cooldown over). Cheap: call before reading.
   * Transitions are noticed lazily, so the event carries the moment they really happened.
   */
  advance(now: number): void {
    let at = now;
    let ejectionEnded = false;
    if (this.phase === 'ejected' && now >= this.ejectedUntil) {
      this.phase = 'half-open';
      this.probes = 0;
      this.version++;
      at = this.ejectedUntil;
      ejectionEnded = true;
    }
    const state = this.stateAt(now);
    if (state !== this.reported) {
      const from = this.reported;
      this.reported = state;
      this.version++;
      if (from === 'cooldown' && this.cooldownUntil <= now) at = ejectionEnded ? Math.max(at, this.cooldownUntil) : this.cooldownUntil;
      this.onTransition?.(from, state, at);
    }
  }

  /** The reported state; ejection outranks cooldown, cooldown outranks half-open. */
  private stateAt(now: number): HealthState {
    if (this.phase === 'ejected') return 'ejected';
    if (this.cooldownUntil > now) return 'cooldown';
    return this.phase;
  }

  state(now: number): HealthState {
    this.advance(now);
    return this.reported;
  }

  /** May a request be sent now? Healthy, or half-open with a free probe slot; never while cooling down. */
  available(now: number): boolean {
    this.advance(now);
    if (this.cooldownUntil > now) return false;
    if (this.phase === 'healthy') return true;
    return this.phase === 'half-open' && this.probes < this.cfg.halfOpenProbes;
  }

  /** Until when an upstream asked us to stay away (Retry-After); panic mode never overrides it. */
  cooldownEnd(now: number): number | null {
    return this.cooldownUntil > now ? this.cooldownUntil : null;
  }

  /** When an ejection ends (clock ms), or null when not ejected. */
  ejectionEnd(): number | null {
    return this.phase === 'ejected' ? this.ejectedUntil : null;
  }

  /** Is the endpoint in the half-open state (the next attempt there is a probe)? */
  isHalfOpen(now: number): boolean {
    this.advance(now);
    return this.phase === 'half-open';
  }

  /** An attempt is about to be sent here. Returns true when it is a half-open probe (takes a slot). */
  beginAttempt(now: number): boolean {
    this.advance(now);
    if (this.phase !== 'half-open') return false;
    this.probes++;
    this.version++;
    return true;
  }

  /**
   * An attempt ended. `counts` is false for outcomes that say nothing about the endpoint
   * (client errors, aborts, hedge losers): they only release a probe slot.
   */
  endAttempt(now: number, probe: boolean, ok: boolean, counts: boolean): void {
    this.advance(now);
    if (probe && this.probes > 0) {
      this.probes--;
      this.version++;
    }
    if (!ok && !counts) return;
    if (this.phase === 'half-open') {
      // Only probes decide a half-open endpoint's fate; panic-mode traffic does not.
      if (!probe) return;
      if (ok) this.recover(now);
      else this.eject(now);
      return;
    }
    if (this.phase === 'ejected') return; // attempts started before the ejection, or panic traffic
    if (ok) {
      this.consecutive = 0;
      this.window.record(true, now);
      return;
    }
    this.recordFailure(now);
  }

  /** 429/503: stay away until now + ms (capped at maxCooldownMs); never shortens an existing cooldown. */
  cooldown(now: number, ms: number): void {
    const until = now + Math.min(Math.max(0, ms), this.cfg.maxCooldownMs);
    if (until > this.cooldownUntil) {
      this.cooldownUntil = until;
      this.version++;
      this.advance(now);
    }
  }

  /**
   * The provider refused the endpoint's key or does not know its model: retrying soon will
   * not help, so eject for `ms` (at least the ejection the failure already earned), and
   * remember why until the endpoint recovers (/health and metrics show it).
   */
  faultEject(now: number, ms: number, fault: EndpointFault): void {
    this.advance(now);
    const wasEjected = this.phase === 'ejected';
    const until = wasEjected ? Math.max(this.ejectedUntil, now + ms) : now + ms;
    if (wasEjected && until === this.ejectedUntil && this.fault === fault) return;
    if (!wasEjected) this.ejections++;
    this.ejectedUntil = until;
    this.fault = fault;
    this.enter('ejected', now);
  }

  /** An active health check passed: an ejected or half-open endpoint is revived (with slow start). */
  checkPassed(now: number): void {
    this.advance(now);
    if (this.phase !== 'healthy') this.recover(now);
  }

  /** An active health check failed: counts as one endpoint failure. */
  checkFailed(now: number): void {
    this.advance(now);
    if (this.phase === 'half-open') this.eject(now);
    else if (this.phase === 'healthy') this.recordFailure(now);
  }

  private recordFailure(now: number): void {
    this.consecutive++;
    this.window.record(false, now);
    if (this.consecutive >= this.cfg.consecutiveFailures) {
      this.eject(now);
      return;
    }
    // Error-rate rule: bad / (ok + bad) > threshold over at least minRequests in the window.
    const { ok, bad } = this.window.totals(now);
    const n = ok + bad;
    if (n >= this.cfg.errorRate.minRequests && bad / n > this.cfg.errorRate.threshold) this.eject(now);
  }

  private eject(now: number): void {
    // Healthy for a full max ejection time: forget earlier ejections (Envoy decrements similarly).
    if (this.phase === 'healthy' && now - this.recoveredAt > this.cfg.maxEjectionMs) this.ejections = 0;
    this.ejections++;
    const ms = Math.min(this.cfg.maxEjectionMs, this.cfg.baseEjectionMs * 2 ** (this.ejections - 1));
    this.ejectedUntil = now + ms;
    this.window = new WindowedCounter(this.statsCfg.windowMs, this.statsCfg.windowBuckets);
    this.enter('ejected', now);
  }

  private recover(now: number): void {
    this.fault = null;
    this.recoveredAt = now;
    this.enter('healthy', now);
  }

  /** Switch phase with a fresh probe/failure count, and report the transition. */
  private enter(phase: Phase, now: number): void {
    if (phase === 'ejected') this.ejectedAt = now;
    this.remoteEjection = false;
    this.phase = phase;
    this.probes = 0;
    this.consecutive = 0;
    this.version++;
    this.advance(now);
  }

  /**
   * Another replica ejected this endpoint until `until` (shared state, router/store): eject
   * here too, as a soft ejection (panic mode may override it, like a local one), without
   * counting it towards this replica's backoff. When it ends this replica probes as usual.
   * Never shortens an ejection.
   */
  remoteEject(now: number, until: number): void {
    this.advance(now);
    if (until <= now) return;
    if (this.phase === 'ejected') {
      if (until <= this.ejectedUntil) return;
      this.ejectedUntil = until;
      this.version++;
      return;
    }
    this.ejectedUntil = until;
    this.enter('ejected', now);
    this.remoteEjection = true;
  }

  /**
   * Another replica's probe (or health check) found the endpoint recovered at `at` (this
   * replica's clock): end an ejection that came from another replica, or one of this
   * replica's own that began no later than that (one that began after it rests on newer
   * evidence). Cooldowns are the upstream's word and stay.
   */
  remoteRecovered(now: number, at: number): void {
    this.advance(now);
    if (this.phase !== 'healthy' && (this.remoteEjection || this.ejectedAt <= at)) this.recover(now);
  }

  /** When this endpoint last recovered (clock ms; -Infinity: never): shared state publishes recoveries. */
  lastRecovery(): number {
    return this.recoveredAt;
  }

  /**
   * The cached snapshot while it holds at any time (no state change since it was made, no slow
   * start), else null: what snapshot() would return now, without a time.
   */
  timelessSnapshot(): HealthSnapshot | null {
    const c = this.cache;
    return c !== null && this.cacheVersion === this.version && c.slowStart === 1 ? c : null;
  }

  /** Immutable view, cached until the state changes (or, during slow start, until time moves). */
  snapshot(now: number): HealthSnapshot {
    this.advance(now);
    const c = this.cache;
    if (c !== null && this.cacheVersion === this.version && (c.slowStart === 1 || this.cacheAt === now)) return c;
    const ramping = now - this.recoveredAt < this.cfg.slowStartMs;
    const state = this.reported;
    let until: number | null = null;
    if (this.phase === 'ejected') until = Math.max(this.ejectedUntil, this.cooldownUntil);
    else if (this.cooldownUntil > now) until = this.cooldownUntil;
    this.cache = {
      state,
      available: this.available(now),
      until,
      ejections: this.ejections,
      slowStart: ramping ? slowStartFactor(now, this.recoveredAt, this.cfg.slowStartMs) : 1,
    };
    if (this.fault !== null) (this.cache as { fault?: EndpointFault }).fault = this.fault;
    this.cacheVersion = this.version;
    this.cacheAt = now;
    return this.cache;
  }
}
