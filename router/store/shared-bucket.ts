import { TokenBucket } from '../core/rate-limit.js';

/**
 * One replica's estimate of a shared limit's level (tokens), between the shared counter's
 * replies. A reply says: after the charges it carried (`includedCost`), the shared backlog
 * was B ms at `sentAt`. Then
 *
 *   level(now) = C - B * L / 60000              (the shared level at sentAt)
 *              + (now - sentAt) * refillPerMs    (what this replica may assume refilled since)
 *              - unconfirmed                     (own charges sent after that one)
 *
 * (L = the limit per minute; C = the capacity, L x windowMs / 60000: L for the default
 * one-minute window) and between replies the estimate refills at refillPerMs = share x L / 60000: with share
 * = 1/N the N replicas together never assume more refill than the limit gives, so the
 * overshoot stays near zero whatever the propagation delay; with share = 1 each replica
 * assumes the whole refill is its own (fine when replies take a millisecond, not when they
 * take 100 ms). Capacity and wait arithmetic are the local token bucket's.
 */
export class SharedBucket extends TokenBucket {
  private unconfirmed = 0;

  private readonly perMinute: number;

  /** `perMinute`: the limit L; `windowMs`: the refill the bucket holds (capacity L x windowMs / 60000). */
  constructor(perMinute: number, share: number, now: number, windowMs = 60_000) {
    super((perMinute * windowMs) / 60_000, now, (perMinute * share) / 60_000);
    this.perMinute = perMinute;
  }

  override take(n: number, now: number): void {
    super.take(n, now);
    this.unconfirmed += n;
  }

  /** backlogMs NaN: the charge was lost (Redis down or failed); only stop counting it. */
  reply(backlogMs: number, includedCost: number, sentAt: number, now: number): void {
    this.unconfirmed -= includedCost;
    if (Number.isNaN(backlogMs)) return;
    const atSend = this.capacity - (backlogMs * this.perMinute) / 60_000;
    this.tokens = Math.min(this.capacity, atSend + Math.max(0, now - sentAt) * this.perMs) - this.unconfirmed;
    this.stamp = Math.max(this.stamp, now);
  }
}
