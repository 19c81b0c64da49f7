import type { Clock } from '../core/clock.js';
import type { Endpoint } from '../core/types.js';
import { Admission, DEFAULT_LIMIT_WINDOW_MS } from '../core/rate-limit.js';
import { SharedBucket } from './shared-bucket.js';
/** Where charges go: sums them and later reports the shared backlog (batch.ts; the simulator's sim-store). */
export interface Charger {
  add(key: string, interval: number, cost: number, apply: ChargeReply): void;
}

/** The shared backlog (ms; NaN = the charge was lost) after a charge of `includedCost` sent at `sentAt` (clock ms). */
export type ChargeReply = (backlogMs: number, includedCost: number, sentAt: number) => void;

/**
 * RPM/TPM admission (per endpoint, or per client key at the proxy edge) shared by replicas, without a Redis round trip on the
 * pick path.
 *
 * Two local token buckets decide synchronously, as today: the full limit (used while
 * Redis is up) and a local share of it (`localShare x limit`, used while Redis is down, so
 * N replicas that lose Redis together stay near the limit when localShare = 1/N). Every
 * admitted request is then charged to the shared GCRA counter in Redis (an atomic Lua
 * call, not awaited; charges within a few ms are coalesced: batch.ts); its reply is the shared level, and the local full-limit bucket is
 * capped at it. Every syncIntervalMs the level is also re-read (refresh()), so an idle
 * replica learns what the others spent. A replica thus admits on a shared level at most
 * one sync interval (+ one round trip) old: the overshoot across replicas is bounded by
 * the other replicas' admissions within that window, instead of N x limit with local
 * state only.
 *
 * GCRA rather than a sliding window: one number per limit (the theoretical arrival time),
 * O(1) per call, no sorted set growing with the rate, and the same arithmetic as the
 * local token bucket (level = limit - backlog / T), so the two compose exactly.
 */
export class SharedAdmission extends Admission {
  private readonly local: Admission;
  private readonly sharedRpm: SharedBucket | null;
  private readonly sharedTpm: SharedBucket | null;
  // One closure per limit, made once (charges are per request).
  private readonly applyRpm: ChargeReply;
  private readonly applyTpm: ChargeReply;

  constructor(
    private readonly limits: Endpoint['limits'],
    private readonly link: { readonly up: boolean },
    private readonly clock: Clock,
    private readonly batch: Charger,
    private readonly keys: { rpm: string; tpm: string },
    localShare: number,
  ) {
    const now = clock.now();
    super({}, now); // every method is overridden: no buckets of its own
    const share = (n: number | undefined): number | undefined => (n ? Math.max(1, Math.floor(n * localShare)) : undefined);
    const w = limits.windowMs ?? DEFAULT_LIMIT_WINDOW_MS;
    this.local = new Admission({ rpm: share(limits.rpm), tpm: share(limits.tpm), windowMs: w }, now);
    // The GCRA counter's emission interval stays 60000 / L (the rate); the window only sets how
    // much of it a bucket holds, so it enters the replicas' buckets, not the counter.
    this.sharedRpm = limits.rpm ? new SharedBucket(limits.rpm, localShare, now, w) : null;
    this.sharedTpm = limits.tpm ? new SharedBucket(limits.tpm, localShare, now, w) : null;
    this.applyRpm = (backlog, cost, sentAt) => this.sharedRpm!.reply(backlog, cost, sentAt, this.clock.now());
    this.applyTpm = (backlog, cost, sentAt) => this.sharedTpm!.reply(backlog, cost, sentAt, this.clock.now());
  }

  override waitMs(tokens: number, now: number): number {
    if (!this.link.up) return this.local.waitMs(tokens, now);
    const a = this.sharedRpm ? this.sharedRpm.waitMs(1, now) : 0;
    const b = this.sharedTpm ? this.sharedTpm.waitMs(tokens, now) : 0;
    return a > b ? a : b;
  }

  override take(tokens: number, now: number): void {
    this.local.take(tokens, now);
    if (!this.link.up) return;
    if (this.sharedRpm) {
      this.sharedRpm.take(1, now);
      this.batch.add(this.keys.rpm, 60_000 / this.limits.rpm!, 1, this.applyRpm);
    }
    if (this.sharedTpm && tokens !== 0) {
      this.sharedTpm.take(tokens, now);
      this.batch.add(this.keys.tpm, 60_000 / this.limits.tpm!, tokens, this.applyTpm);
    }
  }

  override settle(estimated: number, actual: number): void {
    this.local.settle(estimated, actual);
    if (this.sharedTpm && estimated !== actual && this.link.up) {
      const now = this.clock.now();
      this.sharedTpm.take(actual - estimated, now);
      this.batch.add(this.keys.tpm, 60_000 / this.limits.tpm!, actual - estimated, this.applyTpm);
    }
  }

  /** Read the shared levels (a zero charge): an idle replica learns what the others spent. */
  refresh(): void {
    if (!this.link.up) return;
    if (this.sharedRpm) this.batch.add(this.keys.rpm, 60_000 / this.limits.rpm!, 0, this.applyRpm);
    if (this.sharedTpm) this.batch.add(this.keys.tpm, 60_000 / this.limits.tpm!, 0, this.applyTpm);
  }
}
