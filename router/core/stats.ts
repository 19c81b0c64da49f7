import type { StatsConfig } from './config.js';
import type { Endpoint, StatsSnapshot, Usage } from './types.js';

/**
 * Peak-EWMA (Finagle/tower): a latency estimate that jumps up at once on a slow
 * sample and decays smoothly otherwise.
 *
 *   w    = exp(-(now - stamp) / tau)
 *   cost = sample                         if sample > cost   (peak: react at once)
 *   cost = cost * w + sample * (1 - w)    otherwise          (EWMA over time, not samples)
 *
 * Read at time `now` without a new sample, the estimate decays toward zero with the
 * same weight (cost * w), so an idle endpoint looks cheaper over time and is explored
 * again instead of being starved by one old slow sample.
 */
export class PeakEwma {
  private cost = 0;
  private stamp = 0;
  private seen = false;

  constructor(private readonly tauMs: number) {}

  observe(sampleMs: number, now: number): void {
    if (!this.seen || sampleMs > this.cost) {
      this.cost = sampleMs;
    } else {
      const w = Math.exp(-Math.max(0, now - this.stamp) / this.tauMs);
      this.cost = this.cost * w + sampleMs * (1 - w);
    }
    this.stamp = now;
    this.seen = true;
  }

  /** The estimate at `now`, or null before the first sample. */
  read(now: number): number | null {
    if (!this.seen) return null;
    return this.cost * Math.exp(-Math.max(0, now - this.stamp) / this.tauMs);
  }
}

/**
 * Success/failure counts in a ring of time buckets: a sliding window without per-event storage.
 * `cut` counts the failures (among `bad`) that came after the first byte: a stream cut or stall.
 */
export class WindowedCounter {
  private readonly ok: number[];
  private readonly bad: number[];
  private readonly cut: number[];
  private readonly bucketMs: number;
  private headBucket = 0; // absolute bucket number of the newest slot

  constructor(windowMs: number, private readonly buckets: number) {
    this.bucketMs = windowMs / buckets;
    this.ok = new Array<number>(buckets).fill(0);
    this.bad = new Array<number>(buckets).fill(0);
    this.cut = new Array<number>(buckets).fill(0);
  }

  private rotate(now: number): number {
    const b = Math.floor(now / this.bucketMs);
    if (b > this.headBucket) {
      const clear = Math.min(this.buckets, b - this.headBucket);
      for (let i = 1; i <= clear; i++) {
        const slot = (this.headBucket + i) % this.buckets;
        this.ok[slot] = 0;
        this.bad[slot] = 0;
        this.cut[slot] = 0;
      }
      this.headBucket = b;
    }
    return this.headBucket % this.buckets;
  }

  record(success: boolean, now: number, afterFirstByte = false): void {
    const slot = this.rotate(now);
    if (success) this.ok[slot]! += 1;
    else {
      this.bad[slot]! += 1;
      if (afterFirstByte) this.cut[slot]! += 1;
    }
  }

  totals(now: number): { ok: number; bad: number; cut: number } {
    this.rotate(now);
    let ok = 0;
    let bad = 0;
    let cut = 0;
    for (let i = 0; i < this.buckets; i++) {
      ok += this.ok[i]!;
      bad += this.bad[i]!;
      cut += this.cut[i]!;
    }
    return { ok, bad, cut };
  }
}

/** The outcome of one finished attempt, as the stats tracker records it. */
export interface AttemptOutcome {
  ok: boolean;
  latencyMs: number;
  ttftMs?: number;
  usage?: Usage;
  /**
   * Whether this failure says something about the endpoint's health. Client errors (4xx
   * other than 429) and client aborts are not the endpoint's fault: count them as neither.
   */
  countsForHealth?: boolean;
  /** A failure after the first byte (stream cut or stall): the client saw it, no retry could hide it. */
  afterFirstByte?: boolean;
}

const RECENT = 10;
/** Attempt start times kept for the hang signal, and how many unanswered starts it takes. */
const STARTS = 64;
const HANG_QUORUM = 4;

/** Cost in USD of `usage` at `endpoint`'s price (USD per 1M tokens). */
export function costOf(endpoint: Endpoint, usage: Usage): number {
  return (usage.inputTokens * endpoint.price.input + usage.outputTokens * endpoint.price.output) / 1e6;
}

/** Per-endpoint statistics, updated only from attempt starts and outcomes. */
export class EndpointStats {
  private inFlight = 0;
  private requests = 0;
  private successes = 0;
  private failures = 0;
  private consecutiveFailures = 0;
  // The clock times and averages below are plain numbers with a "has" flag instead of
  // number | null: a field that may hold null stores every new double in a fresh heap
  // number (~80 bytes of garbage per successful attempt, most of the router's share of the
  // simulator's young-generation GC); a number-only field is updated in place. Those read only
  // behind their flag start as NaN, a double: a field that starts as a small integer (0) moves
  // to a double representation at its first fractional value, which changes the object's
  // shape and threw away the optimised router code once per run (V8 deoptimisation).
  private lastFailureAt = Number.NaN;
  private hasFailure = false;
  private perToken = Number.NaN;
  private hasPerToken = false;
  private lastSuccessAt = Number.NaN;
  private hasSuccess = false;
  private inputTokens = 0;
  private outputTokens = 0;
  private costUsd = 0;
  private priceFactor = 1;
  private priceStamp = 0;
  private priceSeen = false;
  private readonly priceMemoryMs: number;
  private readonly cutWeight: number;
  /**
   * The last RECENT latencies, oldest first from `recentHead` (a ring of `recentCount`): a typed
   * array, not a plain one that starts with integer elements and changes kind at its first
   * fractional latency (which threw away the optimised code once per new router).
   */
  private readonly recent = new Float64Array(RECENT);
  private recentHead = 0;
  private recentCount = 0;
  /** Mean of `recent` (when it holds any). */
  private recentMean = Number.NaN;
  /** Output tokens of the same recent successes (0 when usage was not reported; same ring slots as `recent`), and their mean. */
  private readonly recentOut = new Float64Array(RECENT);
  private recentOutMean = Number.NaN;
  /** Plain EWMA (alpha 0.1) of the decode time per output token, ms (when hasDecode): see decodeMsPerToken. */
  private decode = Number.NaN;
  private hasDecode = false;
  /** Start time of the latest-started attempt that got an answer (first byte, or a JSON reply), when hasAnswer. */
  private answeredStart = Number.NaN;
  private hasAnswer = false;
  /**
   * The last STARTS attempt start times (a ring, in clock order), how many were recorded, and
   * the number of the first one started after answeredStart (all before it started no later).
   */
  private readonly starts = new Float64Array(STARTS);
  private startCount = 0;
  private unanswered = 0;
  /** Smoothed answer lag: now - answeredStart, sampled at each answer (alpha 0.1); set with the first answer. */
  private answerLag = Number.NaN;
  private readonly latency: PeakEwma;
  private readonly ttft: PeakEwma;
  private readonly window: WindowedCounter;

  constructor(readonly endpoint: Endpoint, config: StatsConfig) {
    this.latency = new PeakEwma(config.ewmaTauMs);
    this.ttft = new PeakEwma(config.ewmaTauMs);
    this.window = new WindowedCounter(config.windowMs, config.windowBuckets);
    this.priceMemoryMs = config.priceMemoryMs;
    this.cutWeight = config.cutWeight;
  }

  /** Start time of the latest-started attempt that got its first byte (null before any). */
  get latestAnsweredStart(): number | null {
    return this.hasAnswer ? this.answeredStart : null;
  }

  /** An attempt starts (`now`: its start time, recorded for the hang signal; omitted: not recorded). */
  onStart(now?: number): void {
    this.inFlight += 1;
    if (now !== undefined) {
      this.starts[this.startCount % STARTS] = now;
      this.startCount += 1;
    }
  }

  /**
   * An attempt started at `startedAt` got its first byte (a stream's first chunk; a JSON reply
   * counts at its end, in onEnd). Keeps the start time of the latest-started answered attempt
   * and a smoothed lag (now - that start, sampled here): while a host hangs, no attempt started
   * after the hang answers, so now - answeredStartAt grows past the lag within a few hundred ms,
   * whatever the slow replies to older requests still do. O(1), no allocation.
   */
  onAnswer(startedAt: number, now: number): void {
    // Only an answer to the latest-started attempt so far moves the mark and is a lag sample:
    // answers to older ones (slow JSON replies still landing while the host hangs) say nothing new.
    const first = !this.hasAnswer;
    if (!first && startedAt <= this.answeredStart) return;
    this.answeredStart = startedAt;
    this.hasAnswer = true;
    // Move past the recorded starts no later than this one (amortised O(1): it only moves forward).
    let u = Math.max(this.unanswered, this.startCount - STARTS);
    while (u < this.startCount && this.starts[u % STARTS]! <= startedAt) u += 1;
    this.unanswered = u;
    const lag = now - startedAt;
    const m = this.answerLag;
    this.answerLag = first ? lag : m + 0.1 * (lag - m);
  }

  /**
   * Observed decode time per output token, ms (null before a success with 2+ output tokens):
   * a peak-biased average (a slower sample is taken at once, a faster one at 1/10), so a
   * timeout derived from it (the stream stall timeout) errs on the long side.
   *   sample = (latency - ttft) / (outputTokens - 1)
   */
  get msPerToken(): number | null {
    return this.hasPerToken ? this.perToken : null;
  }

  /** Clock time of the last failure that counted for health (null: none yet). */
  get lastFailure(): number | null {
    return this.hasFailure ? this.lastFailureAt : null;
  }

  onEnd(outcome: AttemptOutcome, now: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.requests += 1;
    if (outcome.usage) {
      this.inputTokens += outcome.usage.inputTokens;
      this.outputTokens += outcome.usage.outputTokens;
      const listCost = costOf(this.endpoint, outcome.usage);
      const billed = outcome.usage.costUsd;
      this.costUsd += billed ?? listCost;
      if (billed !== undefined && listCost > 0) {
        this.priceFactor = billed / listCost;
        this.priceStamp = now;
        this.priceSeen = true;
      }
    }
    if (outcome.ok) {
      this.successes += 1;
      this.consecutiveFailures = 0;
      this.lastSuccessAt = now;
      this.hasSuccess = true;
      if (outcome.afterFirstByte !== true) this.onAnswer(now - outcome.latencyMs, now);
      this.latency.observe(outcome.latencyMs, now);
      this.ttft.observe(outcome.ttftMs ?? outcome.latencyMs, now);
      const out = outcome.usage?.outputTokens ?? 0;
      if (out >= 2 && outcome.ttftMs !== undefined && outcome.latencyMs > outcome.ttftMs) {
        const x = (outcome.latencyMs - outcome.ttftMs) / (out - 1);
        const m = this.perToken;
        this.perToken = !this.hasPerToken || x > m ? x : m + 0.1 * (x - m);
        this.hasPerToken = true;
        this.decode = this.hasDecode ? this.decode + 0.1 * (x - this.decode) : x;
        this.hasDecode = true;
      }
      const r = this.recent;
      const ro = this.recentOut;
      if (this.recentCount < RECENT) {
        const at = (this.recentHead + this.recentCount++) % RECENT;
        r[at] = outcome.latencyMs;
        ro[at] = out;
      } else {
        r[this.recentHead] = outcome.latencyMs;
        ro[this.recentHead] = out;
        this.recentHead = (this.recentHead + 1) % RECENT;
      }
      // Summed oldest first, as the lists were.
      let sum = 0;
      let sumOut = 0;
      for (let i = 0; i < this.recentCount; i++) {
        const at = (this.recentHead + i) % RECENT;
        sum += r[at]!;
        sumOut += ro[at]!;
      }
      this.recentMean = sum / this.recentCount;
      this.recentOutMean = sumOut / this.recentCount;
      this.window.record(true, now);
    } else if (outcome.countsForHealth !== false) {
      this.failures += 1;
      this.consecutiveFailures += 1;
      this.lastFailureAt = now;
      this.hasFailure = true;
      // A failure still tells us how long it took: a timeout must make the endpoint look slow.
      this.latency.observe(outcome.latencyMs, now);
      this.window.record(false, now, outcome.afterFirstByte === true);
    }
  }

  /** The recent latencies, oldest first (a new array). */
  private recentList(): number[] {
    const out = new Array<number>(this.recentCount);
    for (let i = 0; i < this.recentCount; i++) out[i] = this.recent[(this.recentHead + i) % RECENT]!;
    return out;
  }

  snapshot(now: number): StatsSnapshot {
    const { ok, bad, cut } = this.window.totals(now);
    const windowRequests = ok + bad;
    // successRate = ok / (ok + bad + (cutWeight - 1) cut): a failure after the first byte weighs cutWeight.
    const weighted = windowRequests + (this.cutWeight - 1) * cut;
    return {
      inFlight: this.inFlight,
      requests: this.requests,
      successes: this.successes,
      failures: this.failures,
      latencyMs: this.latency.read(now),
      ttftMs: this.ttft.read(now),
      successRate: windowRequests === 0 ? null : ok / weighted,
      windowRequests,
      consecutiveFailures: this.consecutiveFailures,
      recentLatenciesMs: this.recentList(),
      recentMeanMs: this.recentCount > 0 ? this.recentMean : null,
      recentOutputTokens: this.recentCount > 0 ? this.recentOutMean : null,
      decodeMsPerToken: this.hasDecode ? this.decode : null,
      answeredStartAt: this.hasAnswer ? this.answeredStart : null,
      answerLagMs: this.hasAnswer ? this.answerLag : null,
      unansweredSinceAt: this.unansweredSince(),
      lastFailureAt: this.hasFailure ? this.lastFailureAt : null,
      lastSuccessAt: this.hasSuccess ? this.lastSuccessAt : null,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      costUsd: this.costUsd,
      priceFactor: this.priceSeen ? this.currentPriceFactor(now) : undefined,
    };
  }

  /**
   * The time after which the endpoint counts as hung if nothing answers before:
   * the HANG_QUORUM-th unanswered start + max(lagFactor x answer lag, minMs); Infinity before
   * the first answer or while fewer than HANG_QUORUM attempts started after the latest answered one.
   * The rule adaptive's hang detection applies to its snapshot (unansweredSinceAt, answerLagMs);
   * O(1), no allocation (the hang rescue in request/try.ts reads it per check).
   */
  hangLimitAt(lagFactor: number, minMs: number): number {
    if (!this.hasAnswer) return Infinity;
    const since = this.unansweredSince();
    return since === null ? Infinity : since + Math.max(lagFactor * this.answerLag, minMs);
  }

  /**
   * How long the endpoint has been silent at `now`: how long the oldest attempt started after
   * the latest-answered one has waited (still waiting, or failed before its first byte); its
   * answer lag when every recorded start was answered (idle: as silent as a new request there
   * would be before its answer); null before the first answer.
   */
  silentMs(now: number): number | null {
    if (!this.hasAnswer) return null;
    const u = Math.max(this.unanswered, this.startCount - STARTS);
    return u < this.startCount ? now - this.starts[u % STARTS]! : this.answerLag;
  }

  /** Requests that succeeded (ok) and failed (bad, cut: after the first byte) in the success-rate window. */
  windowTotals(now: number): { ok: number; bad: number; cut: number } {
    return this.window.totals(now);
  }

  /**
   * Predicted time (ms) of an answer of `tokens` output tokens here: the mean recent latency plus
   * (tokens - the mean recent answer length) x the decode ms per token (hedging.onLong). null until
   * the endpoint has a recent success and a decode rate (a streamed answer with usage).
   */
  predictLatencyMs(tokens: number): number | null {
    if (!this.hasDecode || this.recentCount === 0) return null;
    return this.recentMean + (tokens - this.recentOutMean) * this.decode;
  }

  /** The smoothed answer lag (ms; null before the first answer). */
  get answerLagMs(): number | null {
    return this.hasAnswer ? this.answerLag : null;
  }

  /**
   * The start time of the HANG_QUORUM-th attempt started after answeredStart (recorded starts
   * only), or null when fewer started since: every attempt from it back to the latest answered
   * one is still unanswered (pending, or failed before its first byte).
   */
  private unansweredSince(): number | null {
    const u = Math.max(this.unanswered, this.startCount - STARTS);
    const i = u + HANG_QUORUM - 1;
    return i < this.startCount ? this.starts[i % STARTS]! : null;
  }

  /**
   * The observed price factor fades back to 1 (the list price):
   *   f(now) = 1 + (f_last - 1) * exp(-(now - stamp) / priceMemoryMs)
   * so an endpoint that got dearer and lost its traffic is tried again later.
   */
  currentPriceFactor(now: number): number {
    if (!this.priceSeen) return 1;
    return 1 + (this.priceFactor - 1) * Math.exp(-Math.max(0, now - this.priceStamp) / this.priceMemoryMs);
  }
}
