import type { ResultsFile, StrategyResult } from '../../reports/contract.js';
import type { ErrorCode } from '../../router/core/errors.js';
import { CODE_NAMES } from '../../router/http/errors.js';

/**
 * Fidelity: do sim mode and http mode tell the same story? Both runs use the same
 * scenario, seed, duration and strategies; http mode sends every workload request at
 * its own arrival time (open loop) and hands the mock providers the request's id, so
 * each request meets the same provider draws in both worlds. What is left is what real
 * sockets add (protocol and scheduling delays, timer granularity), and this module
 * says, per strategy and metric, whether that stays within tolerance.
 *
 * The tolerances live here and only here (README "Fidelity" quotes them). A scenario
 * whose metric cannot agree for a reason that belongs to real sockets gets a wider
 * limit in WIDENED, with the reason written beside it; nothing is widened silently.
 */

/** How a metric is compared: the difference, in the rule's units, must be within ±limit. */
export type Rule =
  | 'relative' // (http − sim) / sim
  | 'log-ratio' // ln(http / sim)
  | 'points' // http − sim, shares in [0, 1]
  | 'absolute' // http − sim, in the metric's unit
  | 'binomial'; // z = (p_http − p_sim) / SE of a difference of two proportions (pooled)

export type ToleranceKey = 'requests' | 'errorRate' | 'errorKind' | 'p50' | 'p99' | 'share' | 'failoverS' | 'costPer1kOk' | 'cacheHitRate';

export interface Tolerance {
  readonly rule: Rule;
  readonly limit: number;
  readonly text: string;
}

/** The stated tolerances (issue #12). */
export const TOLERANCES: Readonly<Record<ToleranceKey, Tolerance>> = {
  requests: { rule: 'relative', limit: 0.01, text: 'request count within 1%' },
  errorRate: { rule: 'binomial', limit: 1.96, text: 'error rate within its 95% binomial interval (|z| ≤ 1.96)' },
  errorKind: { rule: 'binomial', limit: 1.96, text: "each error kind's count within its 95% binomial interval (|z| ≤ 1.96)" },
  p50: { rule: 'log-ratio', limit: 0.1, text: 'p50 within 10% (|ln(http/sim)| ≤ 0.1)' },
  p99: { rule: 'log-ratio', limit: 0.1, text: 'p99 within 10% (|ln(http/sim)| ≤ 0.1), judged when at least 10 requests lie beyond it in both runs' },
  share: { rule: 'points', limit: 0.03, text: "each provider's share of ok requests within 3 points" },
  failoverS: { rule: 'absolute', limit: 1, text: 'failover within 1 s' },
  costPer1kOk: { rule: 'relative', limit: 0.03, text: 'cost per 1k ok within 3%' },
  cacheHitRate: { rule: 'points', limit: 0.03, text: 'response-cache hit rate within 3 points (strategies with +cache)' },
};

/**
 * Widened limits, per scenario and metric, each with the reason it cannot agree closer.
 * Empty keys mean the stated tolerance holds.
 */
export const WIDENED: Readonly<Record<string, Partial<Record<ToleranceKey, { readonly limit: number; readonly reason: string }>>>> = {
  'rate-limit-storm': {
    share: {
      limit: 0.12,
      reason:
        "a retry after groq's 429 (answered in 5 ms) and the next arrival, 7 ms apart in sim, can reach the proxy the other way round; round-robin then runs one step out of phase and groq never gets its 54 s cool-down: groq / gemini / openai 26.99 / 27.84 / 45.17% against 16.48 / 33.24 / 50.28% in sim, the same figures in 5 of 13 earlier http runs and in a CI run (timers 12 ms late). The simulator reaches exactly that outcome with 25.7 ms of jitter (test/fidelity-order-ladder.test.ts) but at 12 ms only nearly (groq <= 26.70%, gemini >= 28.41%: npx tsx scripts/order-spread.ts rate-limit-storm --jitter-ms 12 --metrics share:groq,share:gemini): the outcome is one discrete branch, so shares are allowed the branch's 10.5 points and one point of margin",
    },
    costPer1kOk: {
      limit: 0.18,
      reason: "the same branch costs +16.8% per 1k ok (0.2577 against 0.2206; groq's share moves to dearer hosts' turns), at the very top of the order spread at 12 ms (0.2581)",
    },
  },
  'mixed-workload': {
    costPer1kOk: {
      limit: 0.25,
      reason:
        "whether request 88 reaches sonnet (20x the others' price) and meets its 529 and 1 s cool-down, and where round-robin's phase lands after it, sets the cost: 0.954 in sim, 1.087 and 1.165 (+14%, +22%) in two http runs; the order spread at 12 ms of jitter reaches 1.164, a hair short of the second branch (npx tsx scripts/order-spread.ts mixed-workload --jitter-ms 12 --metrics costPer1kOk)",
    },
  },
  'flash-crowd': {
    p50: {
      limit: 0.25,
      reason:
        'while the 5x crowd overflows every queue, whether a slot frees before the next arrival decides who waits: the simulator itself moves p50 by ln -0.224..+0.107 when arrivals and answers shift by up to the 15 ms a busy machine\'s timers run late (calm scenarios: ln -0.07..+0.08), and http measured ln -0.007..+0.124 in four runs (npx tsx scripts/order-spread.ts flash-crowd --jitter-ms 15.4). p50 is not judged by the order spread, so this limit is fixed: at the -0.224 measured with 15.4 ms it leaves 0.026 of margin, less on a machine whose timers run later',
    },
    costPer1kOk: {
      limit: 0.05,
      reason:
        'the same overflow decides which provider serves a request: the simulator itself moves cost per 1k ok by -4.0..+2.9% with a 15 ms order jitter, and http measured -0.3..+3.2% in four runs (npx tsx scripts/order-spread.ts flash-crowd --jitter-ms 15.4)',
    },
  },
  'prefix-cache': {
    p50: {
      limit: 0.2,
      reason:
        "the retry of the request sent at 431 ms, whose first attempt haiku fails within half a second, and the next arrival can reach the proxy the other way round (traced request by request: the first pick that differs is that retry, mini-b in sim, mini-a over http); round-robin then runs one step out of phase and mini-a, the busiest cache, takes 45 requests instead of 38 (26.63% against 22.49%), where its queue nears saturation and every request there waits longer. The simulator itself reaches that branch and moves p50 by ln -0.053..+0.132 with 20 ms of order jitter and -0.048..+0.144 with 41 ms (npx tsx scripts/order-spread.ts prefix-cache --jitter-ms 20 --metrics p50,share:mini-a); http measured ln +0.100..+0.167 in that branch in seven runs at timers 24-41 ms late, +0.185 once at load 12, and ln 0.000..+0.005 in the other branch. p50 is not judged by the order spread, so the limit is fixed: 0.033 above the worst http value seen on this code, 0.015 above the earlier +0.185 (measured before the prefix-text fix)",
    },
  },
  'trace-replay': {
    costPer1kOk: {
      limit: 0.09,
      reason:
        'few requests (63 in the 8 s the fidelity test runs): over sockets two requests sent within a millisecond can reach the proxy swapped, and round-robin then gives each the other provider; one swapped pair moves cost per 1k ok by -7.7..+6.3%, two by -8.6..+6.9% (95% of 200 trials; npx tsx scripts/order-sensitivity.ts trace-replay --swaps 1,2)',
    },
  },
};

/** The limit in force for a scenario's metric, and why when widened. */
export function toleranceFor(scenario: string, key: ToleranceKey): Tolerance & { readonly widened?: string } {
  const base = TOLERANCES[key];
  const w = WIDENED[scenario]?.[key];
  return w ? { ...base, limit: w.limit, widened: w.reason } : base;
}

/**
 * A busy machine delays every process's timers, and http mode multiplies each real ms of
 * delay by its speed. A p50/p99 row outside tolerance is reported as inconclusive, not as
 * disagreement, only when that lateness could explain the gap it would excuse: the runner's
 * p99 timer lateness × speed (scenario ms) is at least |http − sim| of that very metric.
 * An 18 ms lateness cannot explain a 223 ms p50 gap, so that gap counts. Every other row is
 * judged as usual.
 */
/**
 * A quantile rests on the requests beyond it. With fewer than MIN_BEYOND of them (a p99 of
 * fewer than 1,000 requests), one request that meets another provider over sockets moves it
 * by more than any tolerance: replicas-outage's 8 s run has 252 requests, 2.5 beyond its
 * p99, and its p99 measured 8028 vs 7225 ms (ln -0.105) in a CI run where every other check
 * agreed. Such a row is reported as too few to judge (`few`), not as agreement or
 * disagreement; 10 is the usual floor for a normal approximation of a count (n·p ≥ 10).
 */
export const MIN_BEYOND = 10;

/** Are there too few requests beyond quantile `q` (0.5, 0.99) in a run of `n` requests to judge it? */
export function tooFewBeyond(n: number, q: number): boolean {
  return n * (1 - q) < MIN_BEYOND;
}

/** How the http run's own process kept time (fidelity-run.ts measures it). */
export interface HarnessTiming {
  /** p99 lateness of the runner's event loop during the http runs, real ms. */
  readonly loopDelayP99Ms: number;
  /** http mode's time compression. */
  readonly speed: number;
}

export interface FidelityRow {
  readonly strategy: string;
  /** e.g. `p99`, `errors:stream_cut`, `share:mid`. */
  readonly metric: string;
  readonly key: ToleranceKey;
  readonly sim: number | null;
  readonly http: number | null;
  /** In the rule's units; null when one side has no value (a failover seen in one world only). */
  readonly diff: number | null;
  readonly rule: Rule;
  readonly limit: number;
  readonly within: boolean;
  readonly widened?: string;
  /** Outside tolerance, but by no more than the machine's timer lateness could explain (see isExcused), or `few`. */
  readonly inconclusive?: boolean;
  /** Outside tolerance, on a quantile with fewer than MIN_BEYOND requests beyond it (not judged). */
  readonly few?: boolean;
  /** ORDER_KEYS rows: [lo, hi] of the metric over the plain and the arrival-jittered sim runs (withOrderSpread). */
  readonly orderSpread?: readonly [number, number] | null;
  /** Outside tolerance, but the http value lies in the order spread: counted within. */
  readonly withinBySpread?: boolean;
}

export interface FidelityReport {
  readonly scenario: string;
  readonly seed: number;
  readonly durationS: number;
  readonly rows: FidelityRow[];
  /** Rows outside tolerance (inconclusive ones not counted). */
  readonly outside: number;
  readonly inconclusive: number;
  /** At least one latency row was inconclusive because the machine's timer lateness could explain its gap. */
  readonly busy: boolean;
  /** Latency rows outside tolerance on too few requests beyond the quantile (counted in `inconclusive`). */
  readonly few: number;
  readonly harness?: HarnessTiming & { readonly busyLatencyMs: number };
  /** Share of strategy pairs whose p99 order is the same in both worlds (null: fewer than 2 strategies). */
  readonly p99RankAgreement: number | null;
  readonly tolerances: Readonly<Record<ToleranceKey, Tolerance>>;
  /** Rows within only by the order spread (withOrderSpread); absent when no spread was measured. */
  readonly withinBySpread?: number;
  /** How the order spread was measured (ORDER_SPREAD). */
  readonly orderSpread?: { readonly runs: number; readonly jitterMs: number };
}

/** z of a difference of two proportions, pooled standard error; 0 when both are 0 or 1. */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 <= 0 || n2 <= 0) return 0;
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return se === 0 ? 0 : (x2 / n2 - x1 / n1) / se;
}

/** The difference of `http` from `sim` under a rule (null: not comparable, e.g. one side null). */
export function difference(rule: Exclude<Rule, 'binomial'>, sim: number | null, http: number | null): number | null {
  if (sim === null || http === null) return sim === http ? 0 : null;
  switch (rule) {
    case 'relative':
      return sim === 0 ? (http === 0 ? 0 : null) : (http - sim) / sim;
    case 'log-ratio':
      return sim <= 0 || http <= 0 ? (sim === http ? 0 : null) : Math.log(http / sim);
    case 'points':
    case 'absolute':
      return http - sim;
  }
}

function row(
  scenario: string,
  strategy: string,
  metric: string,
  key: ToleranceKey,
  sim: number | null,
  http: number | null,
  diff: number | null,
): FidelityRow {
  const t = toleranceFor(scenario, key);
  const within = diff !== null && Math.abs(diff) <= t.limit + 1e-12;
  return { strategy, metric, key, sim, http, diff, rule: t.rule, limit: t.limit, within, ...(t.widened ? { widened: t.widened } : {}) };
}

/**
 * Error counts under the names a proxy client sees: sim mode counts the router's own codes,
 * http mode reads them off the wire, where the proxy renames a few to OpenAI's names
 * (upstream_rate_limited and rate_limited both become rate_limit_exceeded).
 */
export function asClientSees(byKind: Readonly<Record<string, number>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, n] of Object.entries(byKind ?? {})) {
    const name = CODE_NAMES[kind as ErrorCode] ?? kind;
    out[name] = (out[name] ?? 0) + n;
  }
  return out;
}

/** Could the timer lateness of a busy machine (scenario ms) explain a latency gap of `gapMs`? */
export function isExcused(h: HarnessTiming, gapMs: number): boolean {
  return h.loopDelayP99Ms * h.speed >= Math.abs(gapMs);
}

/** Compare one strategy's sim and http summaries, metric by metric. */
export function compareStrategy(scenario: string, sim: StrategyResult, http: StrategyResult, harness?: HarnessTiming): FidelityRow[] {
  const s = sim.summary;
  const h = http.summary;
  const name = sim.strategy;
  const plain = (metric: string, key: ToleranceKey, a: number | null, b: number | null): FidelityRow =>
    row(scenario, name, metric, key, a, b, difference(TOLERANCES[key].rule as Exclude<Rule, 'binomial'>, a, b));
  const rows: FidelityRow[] = [
    plain('requests', 'requests', s.requests, h.requests),
    row(scenario, name, 'errorRate', 'errorRate', s.errorRate, h.errorRate, twoProportionZ(s.errors, s.requests, h.errors, h.requests)),
  ];
  const sk = asClientSees(s.errorsByKind);
  const hk = asClientSees(h.errorsByKind);
  for (const kind of [...new Set([...Object.keys(sk), ...Object.keys(hk)])].sort()) {
    const a = sk[kind] ?? 0;
    const b = hk[kind] ?? 0;
    rows.push(row(scenario, name, `errors:${kind}`, 'errorKind', a, b, twoProportionZ(a, s.requests, b, h.requests)));
  }
  for (const [q, level] of [['p50', 0.5], ['p99', 0.99]] as const) {
    const r = plain(q, q, s.latencyMs[q], h.latencyMs[q]);
    const few = !r.within && (tooFewBeyond(s.requests, level) || tooFewBeyond(h.requests, level));
    const excused = harness !== undefined && !r.within && isExcused(harness, h.latencyMs[q] - s.latencyMs[q]);
    rows.push(few ? { ...r, inconclusive: true, few: true } : excused ? { ...r, inconclusive: true } : r);
  }
  for (const p of [...new Set([...Object.keys(s.providerShare), ...Object.keys(h.providerShare)])].sort())
    rows.push(plain(`share:${p}`, 'share', s.providerShare[p] ?? 0, h.providerShare[p] ?? 0));
  rows.push(plain('failoverS', 'failoverS', s.failoverS, h.failoverS), plain('costPer1kOk', 'costPer1kOk', s.costPer1kOk, h.costPer1kOk));
  if (s.responseCacheHitRate !== undefined || h.responseCacheHitRate !== undefined)
    rows.push(plain('cacheHitRate', 'cacheHitRate', s.responseCacheHitRate ?? null, h.responseCacheHitRate ?? null));
  return rows;
}

/** Share of strategy pairs ordered the same way by p99 in both runs (ties count as agreeing only with ties). */
export function rankAgreement(sim: readonly StrategyResult[], http: ReadonlyMap<string, StrategyResult>): number | null {
  let pairs = 0;
  let same = 0;
  for (let i = 0; i < sim.length; i++)
    for (let j = i + 1; j < sim.length; j++) {
      const hi = http.get(sim[i]!.strategy);
      const hj = http.get(sim[j]!.strategy);
      if (!hi || !hj) continue;
      pairs++;
      const a = Math.sign(sim[i]!.summary.latencyMs.p99 - sim[j]!.summary.latencyMs.p99);
      const b = Math.sign(hi.summary.latencyMs.p99 - hj.summary.latencyMs.p99);
      if (a === b) same++;
    }
  return pairs === 0 ? null : same / pairs;
}

/** The whole comparison: every strategy both runs have, in the sim run's order. */
export function compareRuns(sim: ResultsFile, http: ResultsFile, harness?: HarnessTiming): FidelityReport {
  const byName = new Map(http.strategies.map((r) => [r.strategy, r] as const));
  const rows: FidelityRow[] = [];
  for (const s of sim.strategies) {
    const h = byName.get(s.strategy);
    if (h) rows.push(...compareStrategy(sim.scenario, s, h, harness));
  }
  const inconclusive = rows.filter((r) => r.inconclusive).length;
  return {
    scenario: sim.scenario,
    seed: sim.seed,
    durationS: sim.durationS,
    rows,
    outside: rows.filter((r) => !r.within && !r.inconclusive).length,
    inconclusive,
    busy: rows.some((r) => r.inconclusive && !r.few),
    few: rows.filter((r) => r.few).length,
    ...(harness ? { harness: { ...harness, busyLatencyMs: harness.loopDelayP99Ms * harness.speed } } : {}),
    p99RankAgreement: rankAgreement(sim.strategies, byName),
    tolerances: TOLERANCES,
  };
}

// ---- Order spread (issue #12) ----------------------------------------------------------------

/**
 * Some metrics are set by the order in which near-simultaneous requests reach the router:
 * round-robin gives the next provider to whichever comes first, a failure streak that ejects a
 * host depends on which requests land in it, and the cost of a request depends on the provider
 * it met. http mode's open-loop driver sends every request that has come due when its timer
 * fires, so on a machine whose timers run L ms late, the requests due within L ms of each other
 * leave in one burst, and the proxy reads a burst's sockets in the order the kernel and its event
 * loop hand them over, not in the planned order. No change to the simulator can make that
 * order agree with the kernel's. The same holds for answers: the mock providers' timers fire
 * late like the driver's, so which of two answers due a few ms apart completes first, and
 * whether a full provider frees a slot before the next arrival, is the scheduler's choice
 * (flash-crowd's saturated queues, stream-faults' ejection race). So the simulator is rerun
 * ORDER_SPREAD.runs times with every arrival shifted by a seeded ±j ms and every provider answer
 * delayed by a seeded [0, j) ms (simulator/arrival-jitter.ts), j climbing a ladder from
 * J/runs² to J (orderJitterLadder), J = the driver's measured p99 timer lateness during the http
 * run in scenario ms, at least ORDER_SPREAD.minJitterMs (orderJitterMs): the order spread of a
 * metric is the range [lo, hi] of its value over those runs and the plain sim run.
 * A row of ORDER_KEYS outside its tolerance whose http value lies inside that range is
 * `within (order spread)`: the simulator itself gives that value when the requests of one burst
 * arrive in another order. Latency quantiles and the request count are never judged this way.
 *
 * Why a ladder and not ±J for every run: a late timer delays the whole burst it sends, so over
 * sockets most requests keep their planned order and only the closest pairs, and the races
 * decided in a few ms, come out the other way. ±J on every arrival reshuffles far more than
 * that and misses the outcomes in which one race alone flips. Measured (8 s, round-robin; the
 * per-request traces of both worlds side by side): in rate-limit-storm a retry after groq's 429
 * (answered in 5 ms) and the next arrival, 7 ms apart in sim, swap over sockets; round-robin's
 * rotation then runs one step out of phase, groq's TPM window stays under its limit until the
 * limit drop ends (no 54 s cool-down), and groq / gemini / openai end at 26.99 / 27.84 / 45.17%
 * (sim 16.48 / 33.24 / 50.28%), the same figures in 5 of 13 http runs. Every 429 and cool-down
 * is the same in both worlds; which requests meet the limit is not. In mixed-workload whether
 * request 88 reaches sonnet (and meets its 529 and 1 s cool-down), and where the rotation's phase
 * lands when the cool-down ends, set the cost per 1k ok (sonnet costs 20x the others): 0.954 in
 * sim, 1.087 and 1.165 in two http runs. 20 runs at ±J gave gemini ≥ 29.5% (J 25.7 ms) and cost
 * ≤ 1.158 (J 42 ms); the ladder gives 27.84% and 1.22 (test/fidelity-order-ladder.test.ts).
 *
 * Why 39 runs: if n values and one more are exchangeable draws from one distribution, the
 * extra one falls outside the range of the n with probability 2/(n+1). The spread is the plain
 * sim run and 39 reruns, 40 values, so were the http value such a draw it would fall outside
 * with probability 2/41 = 4.9% per row, roughly the 95% of the error rows' intervals. The
 * values are only roughly exchangeable (the ladder's jitters differ run to run, and the http
 * value comes from another process), so read it as a heuristic ~95%. With the 20 reruns used
 * before (21 values) it was ~91%: a scenario with five rows at the edge of the spread missed
 * somewhere with probability up to 1 - (19/21)^5 = 39%, against 1 - (39/41)^5 = 22% now
 * (replicas-outage's cost@shared split between mid and pricey fell just outside in 2 of 4 runs).
 */
export const ORDER_SPREAD = { runs: 39, minJitterMs: 1 } as const;

/** The arrival jitter of the order spread, scenario ms: the driver's p99 timer lateness × speed, at least minJitterMs. */
export function orderJitterMs(h: HarnessTiming): number {
  return Math.max(ORDER_SPREAD.minJitterMs, Math.round(10 * h.loopDelayP99Ms * h.speed) / 10);
}

/**
 * The arrival jitter of each order-spread run, scenario ms: run k of n gets J·(k/n)² (rounded
 * to 0.1 ms), at least minJitterMs. Squared, so 19 of the 39 runs (20 of 40 with the plain run) shift arrivals by at most J/4:
 * over sockets most pairs move by far less than the lateness's p99 (see ORDER_SPREAD).
 */
export function orderJitterLadder(jitterMs: number, runs: number = ORDER_SPREAD.runs): number[] {
  return Array.from({ length: runs }, (_, i) => Math.max(ORDER_SPREAD.minJitterMs, Math.round(10 * jitterMs * ((i + 1) / runs) ** 2) / 10));
}

/** The metrics an arrival order can move (see ORDER_SPREAD). */
export const ORDER_KEYS: ReadonlySet<ToleranceKey> = new Set<ToleranceKey>(['share', 'costPer1kOk', 'failoverS', 'errorKind', 'errorRate']);

/** A row's metric read off one run's summary (null: no value, e.g. no failover). */
export function metricValue(s: StrategyResult['summary'], metric: string): number | null {
  if (metric === 'requests') return s.requests;
  if (metric === 'errorRate') return s.errorRate;
  if (metric === 'failoverS') return s.failoverS;
  if (metric === 'costPer1kOk') return s.costPer1kOk;
  if (metric === 'p50' || metric === 'p99') return s.latencyMs[metric];
  if (metric.startsWith('errors:')) return asClientSees(s.errorsByKind)[metric.slice(7)] ?? 0;
  if (metric.startsWith('share:')) return s.providerShare[metric.slice(6)] ?? 0;
  return null;
}

/**
 * The report with each ORDER_KEYS row's order spread (`orderSpread`: [lo, hi] over the plain
 * and the jittered sim runs, null when none has a value) and, for a row outside tolerance whose
 * http value lies in it, `withinBySpread` and `within`; `outside` counted again.
 * `jittered`: per strategy, the summaries of its sim runs with arrivals jittered by up to ±`jitterMs` and answers delayed by up to `jitterMs` (orderJitterLadder).
 */
export function withOrderSpread(
  report: FidelityReport,
  jittered: ReadonlyMap<string, readonly StrategyResult['summary'][]>,
  jitterMs: number,
): FidelityReport {
  const rows = report.rows.map((r): FidelityRow => {
    const runs = jittered.get(r.strategy);
    if (!ORDER_KEYS.has(r.key) || !runs || runs.length === 0) return r;
    const all = [r.sim, ...runs.map((s) => metricValue(s, r.metric))];
    const values = all.filter((v): v is number => v !== null);
    const spread: [number, number] | null = values.length === 0 ? null : [Math.min(...values), Math.max(...values)];
    const inSpread =
      r.http === null ? all.includes(null) : spread !== null && r.http >= spread[0] - 1e-12 && r.http <= spread[1] + 1e-12;
    const out: FidelityRow = { ...r, orderSpread: spread };
    return !r.within && !r.inconclusive && inSpread ? { ...out, within: true, withinBySpread: true } : out;
  });
  return {
    ...report,
    rows,
    outside: rows.filter((r) => !r.within && !r.inconclusive).length,
    withinBySpread: rows.filter((r) => r.withinBySpread).length,
    orderSpread: { runs: Math.max(0, ...[...jittered.values()].map((r) => r.length)), jitterMs },
  };
}
