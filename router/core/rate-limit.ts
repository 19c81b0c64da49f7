import type { Endpoint, RouteRequest } from './types.js';

/**
 * Per-endpoint rate-limit admission: an RPM and a TPM token bucket on the injected clock.
 * An endpoint whose bucket is empty is skipped like a cooling one (and the router may wait
 * for it), so we never send a request the provider would answer with 429 anyway.
 *
 * Token bucket: a limit of L per minute, refilled continuously, holding capacity
 * C = L x W / 60_000 (W = limits.windowMs, default 60_000: C = L, a burst of one minute's worth),
 *   tokens(t) = min(C, tokens(t0) + (t - t0) * L / 60_000)
 *   wait for n tokens = (n - tokens) * 60_000 / L
 */
export class TokenBucket {
  protected tokens: number;
  protected stamp: number;
  protected readonly perMs: number;

  /** `perMs`: refill rate, tokens per ms (default: the capacity per minute). */
  constructor(protected readonly capacity: number, now: number, perMs = capacity / 60_000) {
    this.tokens = capacity;
    this.stamp = now;
    this.perMs = perMs;
  }

  protected refill(now: number): void {
    if (now > this.stamp) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.stamp) * this.perMs);
      this.stamp = now;
    }
  }

  /** ms until `n` tokens are there (0 = now). A request bigger than the bucket waits for a full bucket. */
  waitMs(n: number, now: number): number {
    this.refill(now);
    const need = Math.min(n, this.capacity);
    return this.tokens >= need ? 0 : (need - this.tokens) / this.perMs;
  }

  take(n: number, now: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** Give back (positive) or charge more (negative) once the real usage is known; may go into debt. */
  adjust(n: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + n);
  }
}

/** Estimated tokens of a request for TPM admission: input + requested output. */
export function estimateTokens(req: RouteRequest): number {
  return (req.inputTokens ?? 0) + (req.maxTokens ?? 0);
}

/** The window a limit's bucket holds (endpoint limits.windowMs; default one minute). */
export const DEFAULT_LIMIT_WINDOW_MS = 60_000;

/** A bucket for `perMinute` whose capacity is `windowMs` of refill. */
export function limitBucket(perMinute: number, windowMs: number, now: number): TokenBucket {
  return new TokenBucket((perMinute * windowMs) / 60_000, now, perMinute / 60_000);
}

export class Admission {
  private readonly rpm: TokenBucket | null;
  private readonly tpm: TokenBucket | null;

  constructor(limits: Endpoint['limits'], now: number) {
    const w = limits.windowMs ?? DEFAULT_LIMIT_WINDOW_MS;
    this.rpm = limits.rpm ? limitBucket(limits.rpm, w, now) : null;
    this.tpm = limits.tpm ? limitBucket(limits.tpm, w, now) : null;
  }

  /** An Admission only for endpoints that have limits (null = unlimited, no per-request cost). */
  static for(endpoint: Endpoint, now: number): Admission | null {
    return endpoint.limits.rpm || endpoint.limits.tpm ? new Admission(endpoint.limits, now) : null;
  }

  /** ms until this request would be admitted (0 = now). */
  waitMs(tokens: number, now: number): number {
    const a = this.rpm ? this.rpm.waitMs(1, now) : 0;
    const b = this.tpm ? this.tpm.waitMs(tokens, now) : 0;
    return a > b ? a : b;
  }

  take(tokens: number, now: number): void {
    this.rpm?.take(1, now);
    this.tpm?.take(tokens, now);
  }

  /** Correct the TPM bucket with the real usage: estimate - actual tokens go back (or are charged). */
  settle(estimated: number, actual: number): void {
    this.tpm?.adjust(estimated - actual);
  }
}
