/**
 * A retry budget (Finagle RetryBudget / Envoy retry budgets): retries may be at most a
 * share of the requests seen in a sliding window, plus a small floor so a quiet router can
 * still retry. Under a total outage this caps the extra load retries add at `ratio`.
 *
 *   allowed(t) = retries_in_window + 1 <= ratio * requests_in_window + minPerSecond * windowMs / 1000
 *
 * Counts live in a ring of time buckets (no per-request storage).
 */
export class RetryBudget {
  private readonly buckets = 10;
  private readonly bucketMs: number;
  private readonly requests = new Float64Array(10);
  private readonly retries = new Float64Array(10);
  private head = 0;
  private reqTotal = 0;
  private retryTotal = 0;
  private readonly reserve: number;

  constructor(
    private readonly ratio: number,
    minPerSecond: number,
    windowMs: number,
  ) {
    const w = Math.max(1, windowMs);
    this.bucketMs = w / this.buckets;
    this.reserve = (minPerSecond * w) / 1000;
  }

  private rotate(now: number): number {
    const b = Math.floor(now / this.bucketMs);
    if (b > this.head) {
      const clear = Math.min(this.buckets, b - this.head);
      for (let i = 1; i <= clear; i++) {
        const slot = (this.head + i) % this.buckets;
        this.reqTotal -= this.requests[slot]!;
        this.retryTotal -= this.retries[slot]!;
        this.requests[slot] = 0;
        this.retries[slot] = 0;
      }
      this.head = b;
    }
    return this.head % this.buckets;
  }

  /** A request started (deposits `ratio` of a retry). */
  onRequest(now: number): void {
    this.requests[this.rotate(now)]! += 1;
    this.reqTotal += 1;
  }

  /** May one more retry go out now? Takes it from the budget when yes. */
  tryRetry(now: number): boolean {
    const slot = this.rotate(now);
    if (this.retryTotal + 1 > this.ratio * this.reqTotal + this.reserve) return false;
    this.retries[slot]! += 1;
    this.retryTotal += 1;
    return true;
  }

  /** Give back a retry taken by tryRetry at `now` that was not sent after all. */
  refund(now: number): void {
    const slot = this.rotate(now);
    if (this.retries[slot]! < 1) return;
    this.retries[slot]! -= 1;
    this.retryTotal -= 1;
  }

  /** The share of the current window's allowance already spent (0 = none, 1 = all; hedging.onLong's gate). */
  spentShare(now: number): number {
    this.rotate(now);
    return this.retryTotal / (this.ratio * this.reqTotal + this.reserve);
  }

  /** Retries left in the current window (for tests and /health). */
  remaining(now: number): number {
    this.rotate(now);
    return Math.max(0, this.ratio * this.reqTotal + this.reserve - this.retryTotal);
  }
}
