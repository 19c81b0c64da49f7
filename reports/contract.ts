/**
 * results.json — the contract between the scenario runner (writer) and reports and
 * checks (readers). See DESIGN.md. Extra fields are optional so that older files stay valid.
 */

export interface Quantiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface StrategySummary {
  requests: number;
  ok: number;
  errors: number;
  errorRate: number;
  throughputRps: number;
  latencyMs: Quantiles;
  /** Arrival to the first body byte, over the streamed answers that succeeded (a JSON answer's first byte is its last); 0 when there were none. */
  ttftMs: { p50: number; p99: number };
  costUsd: number;
  costPer1kOk: number;
  attemptsPerRequest: number;
  /**
   * Sim only: spend on every upstream attempt (retries, failovers, hedges; aborted ones
   * billed as if completed), the part of it the client got no answer from, and the
   * former per 1k ok requests (what `npm run tune`'s cost objective minimises).
   */
  attemptCostUsd?: number;
  wastedUsd?: number;
  attemptCostPer1kOk?: number;
  /** endpoint/provider id -> share of successful requests served (0..1). */
  providerShare: Record<string, number>;
  /** Seconds from fault onset until the faulty provider's share stays < 5% for 3 consecutive 1-s windows. */
  failoverS: number | null;
  /** Seconds from fault end until the recovered provider's share is back above half its pre-fault share. */
  recoverS: number | null;
  /** Errors by kind/code. */
  errorsByKind?: Record<string, number>;
  /** Share of successful answers that were acceptable for their class (quality). */
  qualityOk?: number;
  /**
   * Prompt caching (requests with a prefix only): share of their input tokens served from a
   * provider's prompt cache (failed requests count 0), and the USD it saved vs list input price.
   */
  cachedTokenShare?: number;
  cacheSavingsUsd?: number;
  /** The same share for the oracle placement: all traffic on one cache with every provider's capacity (the best any placement could reach). */
  oracleCachedTokenShare?: number;
  /**
   * Exact-match response cache (a `+cache` strategy, router/cache): requests answered from
   * it (no routing, nothing billed), their share of all requests, and the USD those answers
   * cost when they were first bought (what the hits saved).
   */
  responseCacheHits?: number;
  responseCacheHitRate?: number;
  responseCacheSavedUsd?: number;
  /** Goodput: successful requests within the scenario's latency SLO (slo.p99Ms) per second. */
  goodputRps?: number;
}

export interface TimelinePoint {
  /** Second since the start of the measured run. */
  t: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  costUsd: number;
  share: Record<string, number>;
}

/** Regret against the hindsight-best (oracle) choice, sim mode. */
export interface Regret {
  /** Extra USD spent vs the oracle. */
  costUsd: number;
  /** Extra p99 latency ms vs the oracle. */
  p99Ms: number;
  /** Extra errors vs the oracle. */
  errors: number;
}

/** Mean and 95% confidence interval across seeds. */
export interface Interval {
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

export interface StrategyResult {
  strategy: string;
  /** Parameters the strategy ran with. */
  params?: Record<string, unknown>;
  summary: StrategySummary;
  timeline: TimelinePoint[];
  regret?: Regret;
  /** Outcome replay with a cheap and a strong provider: quality against the baselines on the same requests. */
  routing?: RoutingVsBaselines;
  /** Per-metric confidence intervals when run over several seeds. */
  ci?: Record<string, Interval>;
}

/**
 * A strategy's quality next to the baselines on the same replayed requests (outcome
 * replay, sim mode): all-weak, all-strong, the oracle (the strong model only where it
 * alone is right), and random routing at the same strong share,
 *   qualityRandomAtShare = qualityWeak + strongShare · (qualityStrong − qualityWeak)
 *   pgr = (quality − qualityWeak) / (qualityStrong − qualityWeak)   (random: pgr = strongShare)
 */
export interface RoutingVsBaselines {
  weak: string;
  strong: string;
  strongShare: number;
  quality: number;
  qualityWeak: number;
  qualityStrong: number;
  qualityOracle: number;
  qualityRandomAtShare: number;
  pgr: number;
}

export interface FaultWindow {
  /** Seconds since the start. */
  start: number;
  end: number;
  provider: string;
  kind: string;
}

export interface ResultsFile {
  scenario: string;
  mode: 'sim' | 'http';
  seed: number;
  durationS: number;
  strategies: StrategyResult[];
  /** Fault windows, for shading charts. */
  faults?: FaultWindow[];
  slo?: { p99Ms?: number; errorRate?: number; costPer1kOk?: number };
  seeds?: number[];
  generatedBy?: string;
  /** Paired multi-seed verdicts on the scenario's headline metrics (sim with several seeds). */
  verdict?: Verdict;
  /** The router's total deadline (ms): a latency percentile at or above it is a timeout, not a measurement. */
  deadlineMs?: number;
  /** A capacity sweep over the offered load (`--sweep rate=a..b`, sim). */
  sweep?: Sweep;
}

/** One strategy at one offered load of a sweep: means over the sweep's seeds. */
export interface SweepPoint {
  /** Offered load: mean arrivals per second. */
  rate: number;
  strategy: string;
  goodputRps: number;
  p99Ms: number;
  errorRate: number;
  /** p99 and error rate both within the scenario's SLO. */
  meetsSlo: boolean;
}

export interface Sweep {
  param: 'rate';
  rates: number[];
  seeds: number[];
  points: SweepPoint[];
  /** Per strategy: the highest offered load at which it (and every lower load) met the SLO; null if none did. */
  capacity: Record<string, number | null>;
}

/** One pair of strategies on one metric, from paired seeds (scenarios/stats/verdict.ts). */
export interface PairVerdict {
  /** The strategy with the better paired mean, and the other. */
  a: string;
  b: string;
  /** a's advantage over b (positive = a better), mean and multiple-comparison-corrected interval. */
  advantage: Interval;
  /** b's mean over the same seeds (what a relative difference is relative to). */
  baseMean: number;
  significant: boolean;
}

export interface MetricVerdict {
  /** Metric path, as in `ci` ("errorRate", "latencyMs.p99"). */
  metric: string;
  label: string;
  better: 'lower' | 'higher';
  /** How a difference reads: percentage points ('share') or relative to b's mean ('relative'). */
  diff: 'share' | 'relative';
  unit: string;
  /** Strategies with a value, best mean first. */
  ranking: { strategy: string; mean: number }[];
  pairs: PairVerdict[];
  /** Significantly better than every other strategy (the only one shaded "best"), else null. */
  winner: string | null;
  /** Strategies no other strategy significantly beats. */
  leaders: string[];
}

export interface Verdict {
  question: string;
  seeds: number[];
  /** Family-wise confidence of each metric's intervals (0.95). */
  level: number;
  correction: 'bonferroni';
  metrics: MetricVerdict[];
  /** The scenario's expected winner on metrics[0]. */
  expectedWinner?: { metric: string; strategy: string };
}
