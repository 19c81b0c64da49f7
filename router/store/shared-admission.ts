import type { Clock } from '../core/clock.js';
import type { Endpoint } from '../core/types.js';
import { Admission, type TokenBucket } from '../layers/rate-limit.js';
import type { ChargeBatch } from './batch.js';
import type { RedisLink } from './redis-client.js';

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

  constructor(
    private readonly limits: Endpoint['limits'],
    private readonly link: RedisLink,
    private readonly clock: Clock,
    private readonly batch: ChargeBatch,
    private readonly keys: { rpm: string; tpm: string },
    localShare: number,
  ) {
    const now = clock.now();
    super(limits, now);
    const share = (n: number | undefined): number | undefined => (n ? Math.max(1, Math.floor(n * localShare)) : undefined);
    this.local = new Admission({ rpm: share(limits.rpm), tpm: share(limits.tpm) }, now);
  }

  override waitMs(tokens: number, now: number): number {
    return this.link.up ? super.waitMs(tokens, now) : this.local.waitMs(tokens, now);
  }

  override take(tokens: number, now: number): void {
    super.take(tokens, now);
    this.local.take(tokens, now);
    if (!this.link.up) return;
    if (this.limits.rpm) this.charge('rpm', this.limits.rpm, 1);
    if (this.limits.tpm && tokens !== 0) this.charge('tpm', this.limits.tpm, tokens);
  }

  override settle(estimated: number, actual: number): void {
    super.settle(estimated, actual);
    this.local.settle(estimated, actual);
    const tpm = this.limits.tpm;
    if (tpm && estimated !== actual && this.link.up) this.charge('tpm', tpm, actual - estimated);
  }

  /** Read the shared levels (a zero charge): an idle replica learns what the others spent. */
  refresh(): void {
    if (!this.link.up) return;
    if (this.limits.rpm) this.charge('rpm', this.limits.rpm, 0);
    if (this.limits.tpm) this.charge('tpm', this.limits.tpm, 0);
  }

  // One closure per limit, made once (charges are per request).
  private readonly applyRpm = (backlog: number): void => this.applyLevel(this.rpm, this.limits.rpm!, backlog);
  private readonly applyTpm = (backlog: number): void => this.applyLevel(this.tpm, this.limits.tpm!, backlog);

  private applyLevel(bucket: TokenBucket | null, limit: number, backlogMs: number): void {
    bucket?.cap(limit - (backlogMs * limit) / 60_000, this.clock.now());
  }

  private charge(kind: 'rpm' | 'tpm', limit: number, cost: number): void {
    this.batch.add(this.keys[kind], 60_000 / limit, cost, kind === 'rpm' ? this.applyRpm : this.applyTpm);
  }
}
