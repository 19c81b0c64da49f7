/**
 * When to hedge: the delay after which a try with no first byte starts a second attempt.
 *
 * With `hedging.mode: quantile` (opt-in; `fixed`, the default, keeps `delayMs`) the delay follows the endpoint first tried:
 * the `quantile` (default p95) of its recent times to first byte as the router sees them
 * (a stream's first chunk; a JSON reply's whole response, so streams and non-streams are
 * kept apart), clamped to [minDelayMs, maxDelayMs]. A hedge then fires for about 5% of a
 * healthy endpoint's requests, and at once for a host that turned slow: its quantile only
 * moves once its slow answers arrive, and never past the cap. Until an endpoint has
 * `minSamples` answers of the kind, and in `mode: fixed`, the delay is `delayMs`.
 * ("The Tail at Scale", Dean & Barroso 2013: defer the hedge until the p95 latency.)
 */

/**
 * Samples kept per endpoint and kind (a ring); the quantile is recomputed at each sample until
 * the ring is full, then every RECOMPUTE samples (a sort of 64 numbers, about 1 µs).
 */
const RING = 64;
const RECOMPUTE = 8;

/** Recent times to first byte of one endpoint and kind, with a cached quantile. */
export class FirstByteQuantile {
  private readonly ring = new Float64Array(RING);
  private readonly scratch = new Float64Array(RING);
  private n = 0;
  private sinceRecompute = 0;
  private cached = NaN;

  constructor(private readonly q: number) {}

  observe(ms: number): void {
    this.ring[this.n % RING] = ms;
    this.n += 1;
    if (++this.sinceRecompute >= RECOMPUTE || this.n <= RING) this.recompute();
  }

  /** How many samples were seen (all time). */
  get count(): number {
    return this.n;
  }

  /** The quantile of the kept samples (NaN before the first). */
  get value(): number {
    return this.cached;
  }

  private recompute(): void {
    this.sinceRecompute = 0;
    const k = Math.min(this.n, RING);
    const s = this.scratch.subarray(0, k);
    s.set(this.ring.subarray(0, k));
    s.sort();
    // Nearest rank: the smallest sample with at least q of the samples at or below it.
    this.cached = s[Math.min(k - 1, Math.max(0, Math.ceil(this.q * k) - 1))]!;
  }
}

export interface HedgeDelayConfig {
  readonly mode: 'quantile' | 'fixed';
  readonly delayMs: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly minSamples: number;
}

/** The hedge delay for a try whose first attempt went to an endpoint with these samples. */
export function hedgeDelayMs(cfg: HedgeDelayConfig, fb: FirstByteQuantile | undefined): number {
  if (cfg.mode === 'fixed' || fb === undefined || fb.count < cfg.minSamples) return cfg.delayMs;
  return Math.min(cfg.maxDelayMs, Math.max(cfg.minDelayMs, fb.value));
}
