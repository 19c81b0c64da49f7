import type * as hdr from 'hdr-histogram-js';
import { histogram, HistogramSet } from './histogram.js';
import type { Quantiles, StrategySummary, TimelinePoint } from '../reports/contract.js';
import { MAX_DURATION_S } from './types.js';
import { listOfAny } from './lists.js';

/**
 * The metrics collector shared by both modes: the virtual-time engine feeds it simulated
 * outcomes, the http-mode scenario runner real response times. One `record` per finished
 * client request; `summarize` returns the results.json shapes (reports/contract.ts).
 *
 * Latencies go into HDR histograms (hdr-histogram-js) in microseconds: one overall pair
 * (latency, TTFT) at 3 significant digits and, per one-second window, a latency histogram
 * at 2 (≈1%). A window keeps its values raw (8 bytes each) until it holds WINDOW_RAW_MAX
 * of them and only then becomes a histogram; `summarize` sorts the raw ones and reports
 * exactly the quantiles a histogram would (windowQuantiles). A 2-digit histogram is
 * ~10-25 KB, so a long run at a modest rate (1M requests over 25,000 s) no longer holds
 * 25,000 histograms; memory per window stays below ~max(16 KB, one histogram).
 *
 * Definitions:
 *  - a record belongs to the window floor(tMs / 1000); tMs is the request's start in ms
 *    since the start of the measured run (records with tMs < 0 are warm-up and ignored, and
 *    so are records at or after MAX_DURATION_S: the timeline, one point per window, stays bounded);
 *  - latency = what the client waited, for every finished request, ok or not;
 *    TTFT only where one was observed;
 *  - providerShare and timeline `share` = share of *successful* requests per endpoint;
 *  - failover/recovery look at *traffic*: the share of attempts sent to the faulty
 *    provider (all attempts of a request, from `attemptEndpoints`, else `endpointId`),
 *    because a router that keeps sending into an outage has zero successful share there.
 */

export interface MetricsRecord {
  /** Request start, ms since the start of the measured run. */
  tMs: number;
  ok: boolean;
  latencyMs: number;
  ttftMs?: number | undefined;
  /** Endpoint that served (or last failed) the request. */
  endpointId?: string | undefined;
  /** RouterError code (or any kind label) for a failed request. */
  errorCode?: string | undefined;
  costUsd?: number;
  /** Spend on every upstream attempt of the request (sim: aborted ones included). */
  attemptCostUsd?: number;
  /** Part of attemptCostUsd whose answer the client did not get. */
  wastedUsd?: number;
  attempts?: number;
  /** Every endpoint tried, in order (for traffic share); defaults to [endpointId]. */
  attemptEndpoints?: readonly string[] | undefined;
  /** Quality draw of a successful answer. */
  acceptable?: boolean | undefined;
  inputTokens?: number;
  outputTokens?: number;
  /** Input tokens the serving attempt read from the provider's prompt cache (requests with a prefix only; 0 for a failure). */
  cachedTokens?: number | undefined;
  /** USD the prompt caches saved over all of the request's attempts. */
  cacheSavingsUsd?: number | undefined;
  /**
   * Response cache (router/cache): true for a request answered from it (no routing, cost 0),
   * false for a cacheable request that missed; undefined when no response cache is on.
   */
  responseCacheHit?: boolean | undefined;
  /** A hit: what the cached answer cost when it was bought (the USD the hit saved). */
  responseCacheSavedUsd?: number | undefined;
}

/** A fault on one provider, in seconds since the start of the measured run. */
export interface FaultSpec {
  /** Endpoint id, or provider name matching endpoint ids `<provider>` and `<provider>/...`. */
  provider: string;
  startS: number;
  /** End of the fault; needed for recoverS. */
  endS?: number | undefined;
}

export interface MetricsOptions {
  /** Latency SLO (ms): a successful request within it counts toward goodput (summary.goodputRps). */
  sloMs?: number | undefined;
}

export interface SummarizeOptions {
  /** Run length for throughput; default: the last window with a record + 1. At most MAX_DURATION_S. */
  durationS?: number;
  fault?: FaultSpec | undefined;
}

export interface MetricsResult {
  summary: StrategySummary;
  timeline: TimelinePoint[];
}

/** Share threshold and run length for failoverS (DESIGN.md). */
export const FAILOVER_SHARE = 0.05;
export const FAILOVER_WINDOWS = 3;

const US = 1000; // histogram unit: µs

/** Raw latencies a window keeps before it switches to its own histogram (16 KB). */
export const WINDOW_RAW_MAX = 2048;

interface Window {
  requests: number;
  ok: number;
  errors: number;
  costUsd: number;
  /** Latencies in µs, raw (first `rawCount` slots), while the window has no histogram. */
  raw: Float64Array | null;
  rawCount: number;
  latency: hdr.Histogram | undefined;
  /** Successful requests per endpoint index. */
  okBy: number[];
  /** Attempts per endpoint index. */
  attemptsBy: number[];
  attempts: number;
}

function toUs(ms: number): number {
  return Math.max(1, Math.round(ms * US));
}

/** A window's latency: raw while small, a histogram once it holds WINDOW_RAW_MAX values. */
function recordWindowLatency(w: Window, us: number): void {
  if (w.latency !== undefined) return w.latency.recordValue(us);
  let raw = w.raw;
  if (raw === null) raw = w.raw = new Float64Array(8);
  else if (w.rawCount === raw.length) {
    if (raw.length >= WINDOW_RAW_MAX) {
      const h = histogram(2);
      for (let i = 0; i < w.rawCount; i++) h.recordValue(raw[i]!);
      h.recordValue(us);
      w.latency = h;
      w.raw = null;
      w.rawCount = 0;
      return;
    }
    const grown = new Float64Array(raw.length * 2);
    grown.set(raw);
    raw = w.raw = grown;
  }
  raw[w.rawCount++] = us;
}

/**
 * p50 and p99 of a window's latency, in ms (0 when empty), exactly as its histogram would
 * report them. A raw window is sorted instead of histogrammed: HDR's value at percentile
 * p is the highest value equivalent (same bucket) to the k-th smallest recorded value,
 *   k = max(1, ceil(p/100 · n − ulp(p/100 · n)))
 * (JsHistogram.getValueAtPercentile, which walks the whole counts array: ~3,000 slots per
 * call, for every one of 25,000 windows in a long run). shape() only lends its bucket layout.
 */
/** JsHistogram has it; the library's Histogram type does not declare it. */
type Shape = hdr.Histogram & { highestEquivalentValue(value: number): number };

/** The 2-digit bucket layout's lender, made once: highestEquivalentValue depends on nothing recorded. */
let layout: Shape | undefined;
function shape(): Shape {
  return (layout ??= histogram(2) as Shape);
}

function windowQuantiles(w: Window | undefined): { p50: number; p99: number } {
  if (w === undefined) return { p50: 0, p99: 0 };
  if (w.latency !== undefined || w.rawCount === 0) return { p50: atUs(w.latency, 50), p99: atUs(w.latency, 99) };
  const n = w.rawCount;
  const raw = w.raw!;
  const h = shape();
  // The k-th smallest values by selection, not a sort (O(n): a window holds up to WINDOW_RAW_MAX
  // values, and every window of a run is summarised); the same values a sort would give.
  const i99 = rankIndex(99, n);
  const i50 = rankIndex(50, n);
  selectNth(raw, 0, n - 1, i99);
  const v99 = raw[i99]!;
  if (i50 < i99) selectNth(raw, 0, i99 - 1, i50);
  const v50 = raw[i50]!;
  let max = raw[0]!;
  for (let i = 1; i < n; i++) if (raw[i]! > max) max = raw[i]!;
  return { p50: Math.min(h.highestEquivalentValue(v50), max) / US, p99: Math.min(h.highestEquivalentValue(v99), max) / US };
}

/** Index (0-based, ascending) of the value HDR reports at percentile p of n values. */
function rankIndex(p: number, n: number): number {
  const fp = (p / 100) * n;
  const k = Math.max(Math.ceil(fp - ulp(fp)), 1);
  return Math.min(k, n) - 1;
}

/**
 * Reorder a[lo..hi] so that a[k] holds the value it would hold sorted ascending, nothing
 * after it is smaller and nothing before it larger (Hoare's selection, median-of-three
 * pivot). The values are finite (toUs).
 */
function selectNth(a: Float64Array, lo: number, hi: number, k: number): void {
  while (lo < hi) {
    const x = a[lo]!;
    const y = a[(lo + hi) >>> 1]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Unit in the last place, as hdr-histogram-js computes it (dist/ulp.js). */
function ulp(x: number): number {
  return 2 ** (Math.floor(Math.log2(x)) - 52);
}

/**
 * Value at percentile p, in ms. HDR reports the highest value of the bucket, which may be
 * above the largest value recorded (a p99.9 of 20,004.9 ms with a max of 20,000): clamped
 * to the largest value recorded (maxValue), so no quantile, run-wide or per window, ever
 * exceeds it. Raw windows clamp the same way.
 */
function atUs(h: hdr.Histogram | undefined, p: number): number {
  return h && h.totalCount > 0 ? Math.min(h.getValueAtPercentile(p), h.maxValue) / US : 0;
}

/**
 * Seconds from fault onset until `share[s]` stays under FAILOVER_SHARE for FAILOVER_WINDOWS
 * consecutive windows: the first s ≥ startS (window start) with share[s..s+2] all < 5%,
 * giving s − startS (resolution 1 s; 0 = the very first window after onset was clean).
 * Only windows that start before `endS` may open the run. null if it never happens.
 * A window with no traffic has share 0.
 */
export function failoverSeconds(share: readonly number[], startS: number, endS = Infinity): number | null {
  for (let s = Math.max(0, Math.ceil(startS)); s < endS && s + FAILOVER_WINDOWS <= share.length; s++) {
    let okRun = true;
    for (let k = 0; k < FAILOVER_WINDOWS && okRun; k++) okRun = share[s + k]! < FAILOVER_SHARE;
    if (okRun) return s - startS;
  }
  return null;
}

/**
 * Seconds from fault end until the provider's share is back above half its pre-fault
 * share (mean share over the windows before startS, weighted by traffic): the first window
 * s ≥ endS with share[s] ≥ pre/2, giving s − endS. null without a pre-fault share or if it
 * never recovers.
 */
export function recoverSeconds(share: readonly number[], preFaultShare: number, endS: number): number | null {
  if (!(preFaultShare > 0) || !Number.isFinite(endS)) return null;
  for (let s = Math.max(0, Math.ceil(endS)); s < share.length; s++) if (share[s]! >= preFaultShare / 2) return s - endS;
  return null;
}

export class MetricsCollector {
  private readonly windows: Window[] = listOfAny<Window>();
  /** Endpoint id -> its index in per-window counts, in the order first seen (endpointIds()). */
  private readonly endpointIndex = new Map<string, number>();
  /** The run-wide pair takes every request: fast (WebAssembly) histograms, freed by dispose(). */
  private readonly owned = new HistogramSet('metrics');
  private readonly latency = this.owned.add();
  private readonly ttft = this.owned.add();
  private readonly errorsByKind = new Map<string, number>();
  private requests = 0;
  private ok = 0;
  /** Successful requests within opts.sloMs. */
  private good = 0;

  constructor(private readonly opts: MetricsOptions = {}) {}

  private errors = 0;
  private costUsd = 0;
  /**
   * Sums of attemptCostUsd / wastedUsd; reported only once a record carried them (http mode
   * never does: attemptCostSeen). A plain number field, not number | null: a field that may
   * hold null stores each new sum as a fresh heap number (one per request).
   */
  private attemptCostSeen = false;
  private attemptCostUsd = 0;
  private wastedUsd = 0;
  private attempts = 0;
  private acceptable = 0;
  private judged = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  /** Requests that reported cachedTokens, their input tokens, cached tokens and savings. */
  private prefixed = 0;
  private prefixInput = 0;
  private cached = 0;
  private cacheSaved = 0;
  /** Response cache: requests that carried responseCacheHit (null: none did), hits, USD saved. */
  private responseCacheSeen: number | null = null;
  private responseCacheHits = 0;
  private responseCacheSaved = 0;

  /** Free the run-wide histograms' WebAssembly memory; record/summarize throw afterwards. */
  dispose(): void {
    this.owned.dispose();
  }

  /**
   * The endpoint's index (a new one for an id not seen before). Without a branch for a new id:
   * that path runs for the first records of a run only, before V8 has collected feedback for
   * it, and in a second run it threw away the optimised record() that had this inlined.
   */
  private endpoint(id: string): number {
    const index = this.endpointIndex;
    const i = index.get(id) ?? index.size;
    index.set(id, i); // (an id seen before: the same entry, in the same place)
    return i;
  }

  /** Endpoint ids by index. */
  private endpointIds(): string[] {
    return [...this.endpointIndex.keys()];
  }

  private window(s: number): Window {
    while (this.windows.length <= s)
      this.windows.push({ requests: 0, ok: 0, errors: 0, costUsd: 0, raw: null, rawCount: 0, latency: undefined, okBy: [], attemptsBy: [], attempts: 0 });
    return this.windows[s]!;
  }

  /**
   * Spend of attempts that ended after their request was recorded (a race's loser aborted after
   * the winner's JSON reply): attempt cost and waste no request record carried. 0 changes nothing.
   */
  addLateSpend(usd: number): void {
    this.owned.check('addLateSpend');
    if (!(usd > 0)) return;
    this.attemptCostSeen = true;
    this.attemptCostUsd += usd;
    this.wastedUsd += usd;
  }

  record(r: MetricsRecord): void {
    this.owned.check('record');
    // Warm-up, beyond the longest run (MAX_DURATION_S) or garbage: ignore, never throw mid-run.
    if (!(r.tMs >= 0 && r.tMs < MAX_DURATION_S * 1000) || !Number.isFinite(r.latencyMs)) return;
    const w = this.window(Math.floor(r.tMs / 1000));
    const cost = r.costUsd ?? 0;
    const attempts = r.attempts ?? 1;
    this.requests++;
    w.requests++;
    this.costUsd += cost;
    w.costUsd += cost;
    if (r.attemptCostUsd !== undefined) {
      this.attemptCostSeen = true;
      this.attemptCostUsd += r.attemptCostUsd;
      this.wastedUsd += r.wastedUsd ?? 0;
    }
    this.attempts += attempts;
    this.inputTokens += r.inputTokens ?? 0;
    this.outputTokens += r.outputTokens ?? 0;
    if (r.cachedTokens !== undefined) {
      this.prefixed++;
      this.prefixInput += r.inputTokens ?? 0;
      this.cached += r.cachedTokens;
      this.cacheSaved += r.cacheSavingsUsd ?? 0;
    }
    if (r.responseCacheHit !== undefined) {
      this.responseCacheSeen = (this.responseCacheSeen ?? 0) + 1;
      if (r.responseCacheHit) {
        this.responseCacheHits++;
        this.responseCacheSaved += r.responseCacheSavedUsd ?? 0;
      }
    }
    const lat = toUs(r.latencyMs);
    this.latency.recordValue(lat);
    recordWindowLatency(w, lat);
    if (r.ttftMs !== undefined && Number.isFinite(r.ttftMs)) this.ttft.recordValue(toUs(r.ttftMs));
    if (r.ok) {
      this.ok++;
      w.ok++;
      if (this.opts.sloMs !== undefined && r.latencyMs <= this.opts.sloMs) this.good++;
      if (r.endpointId !== undefined) {
        const i = this.endpoint(r.endpointId);
        w.okBy[i] = (w.okBy[i] ?? 0) + 1;
      }
      if (r.acceptable !== undefined) {
        this.judged++;
        if (r.acceptable) this.acceptable++;
      }
    } else {
      this.errors++;
      w.errors++;
      const kind = r.errorCode ?? 'unknown';
      this.errorsByKind.set(kind, (this.errorsByKind.get(kind) ?? 0) + 1);
    }
    // Traffic: every endpoint tried, else the one that served (no array built for it: most requests have one attempt).
    const tried = r.attemptEndpoints;
    if (tried !== undefined) for (let k = 0; k < tried.length; k++) this.countAttempt(w, tried[k]!);
    else if (r.endpointId !== undefined) this.countAttempt(w, r.endpointId);
  }

  private countAttempt(w: Window, id: string): void {
    const i = this.endpoint(id);
    w.attemptsBy[i] = (w.attemptsBy[i] ?? 0) + 1;
    w.attempts++;
  }

  /** Totals the contract has no field for. */
  tokens(): { inputTokens: number; outputTokens: number } {
    return { inputTokens: this.inputTokens, outputTokens: this.outputTokens };
  }

  /** Per-window share of attempts sent to endpoints matching `provider`. */
  trafficShare(provider: string): number[] {
    const match = this.endpointIds().map((id) => id === provider || id.startsWith(`${provider}/`));
    return this.windows.map((w) => {
      if (w.attempts === 0) return 0;
      let n = 0;
      w.attemptsBy.forEach((c, i) => {
        if (match[i]) n += c ?? 0;
      });
      return n / w.attempts;
    });
  }

  private faultFigures(fault: FaultSpec | undefined): { failoverS: number | null; recoverS: number | null } {
    if (!fault) return { failoverS: null, recoverS: null };
    const share = this.trafficShare(fault.provider);
    const failoverS = failoverSeconds(share, fault.startS, fault.endS ?? Infinity);
    // Pre-fault share weighted by traffic: Σ attempts to it / Σ attempts, over windows before onset.
    let mine = 0;
    let all = 0;
    for (let s = 0; s < Math.min(Math.floor(fault.startS), this.windows.length); s++) {
      const a = this.windows[s]!.attempts;
      all += a;
      mine += share[s]! * a;
    }
    const recoverS = fault.endS === undefined || all === 0 ? null : recoverSeconds(share, mine / all, fault.endS);
    return { failoverS, recoverS };
  }

  summarize(opts: SummarizeOptions = {}): MetricsResult {
    this.owned.check('summarize');
    // One timeline point per second of durationS: bounded, so a huge or infinite one cannot exhaust memory.
    const d = opts.durationS;
    if (d !== undefined && !(typeof d === 'number' && d >= 0 && d <= MAX_DURATION_S))
      throw new Error(`metrics.summarize: durationS: expected a finite number of seconds in [0, ${MAX_DURATION_S}] (7 days), got ${d}`);
    const durationS = d ?? this.windows.length;
    const latencyMs: Quantiles = {
      p50: atUs(this.latency, 50),
      p90: atUs(this.latency, 90),
      p99: atUs(this.latency, 99),
      p999: atUs(this.latency, 99.9),
      max: this.latency.totalCount > 0 ? this.latency.maxValue / US : 0,
    };
    const providerShare: Record<string, number> = {};
    const endpointIds = this.endpointIds();
    const okTotals = new Array<number>(endpointIds.length).fill(0);
    for (const w of this.windows) w.okBy.forEach((c, i) => (okTotals[i]! += c ?? 0));
    endpointIds.forEach((id, i) => {
      if (okTotals[i]! > 0) providerShare[id] = okTotals[i]! / this.ok;
    });
    const errorsByKind: Record<string, number> = {};
    for (const [k, v] of [...this.errorsByKind.entries()].sort()) errorsByKind[k] = v;
    const summary: StrategySummary = {
      requests: this.requests,
      ok: this.ok,
      errors: this.errors,
      errorRate: this.requests > 0 ? this.errors / this.requests : 0,
      throughputRps: durationS > 0 ? this.requests / durationS : 0,
      latencyMs,
      ttftMs: { p50: atUs(this.ttft, 50), p99: atUs(this.ttft, 99) },
      costUsd: this.costUsd,
      costPer1kOk: this.ok > 0 ? (this.costUsd / this.ok) * 1000 : 0,
      attemptsPerRequest: this.requests > 0 ? this.attempts / this.requests : 0,
      providerShare,
      ...this.faultFigures(opts.fault),
      errorsByKind,
    };
    if (this.judged > 0) summary.qualityOk = this.acceptable / this.judged;
    if (this.prefixed > 0) {
      summary.cachedTokenShare = this.prefixInput > 0 ? this.cached / this.prefixInput : 0;
      summary.cacheSavingsUsd = this.cacheSaved;
    }
    if (this.responseCacheSeen !== null) {
      summary.responseCacheHits = this.responseCacheHits;
      summary.responseCacheHitRate = this.requests > 0 ? this.responseCacheHits / this.requests : 0;
      summary.responseCacheSavedUsd = this.responseCacheSaved;
    }
    if (this.attemptCostSeen) {
      summary.attemptCostUsd = this.attemptCostUsd;
      summary.wastedUsd = this.wastedUsd;
      summary.attemptCostPer1kOk = this.ok > 0 ? (this.attemptCostUsd / this.ok) * 1000 : 0;
    }
    if (this.opts.sloMs !== undefined) summary.goodputRps = durationS > 0 ? this.good / durationS : 0;
    const windows = Math.max(this.windows.length, Math.ceil(opts.durationS ?? 0));
    const timeline: TimelinePoint[] = [];
    for (let s = 0; s < windows; s++) {
      const w = this.windows[s];
      const q = windowQuantiles(w);
      const share: Record<string, number> = {};
      if (w && w.ok > 0) w.okBy.forEach((c, i) => c && (share[endpointIds[i]!] = c / w.ok));
      timeline.push({
        t: s,
        rps: w?.requests ?? 0,
        p50: q.p50,
        p99: q.p99,
        errors: w?.errors ?? 0,
        costUsd: w?.costUsd ?? 0,
        share,
      });
    }
    return { summary, timeline };
  }
}

export function createMetrics(opts: MetricsOptions = {}): MetricsCollector {
  return new MetricsCollector(opts);
}
