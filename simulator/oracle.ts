import type * as hdr from 'hdr-histogram-js';
import { HistogramSet } from './histogram.js';
import type { Regret } from '../reports/contract.js';
import type { ProviderModel, ProviderState } from './model.js';
import type { ProviderOutcome, SimRequest } from './types.js';

/**
 * The hindsight oracle. Provider outcomes are pure functions of (request, time, load),
 * so for every request we can ask every provider what *would* have happened had the
 * request been sent there the moment it arrived, with the load that provider had at that
 * moment in this run (the load the request actually saw; so the oracle of a run is
 * specific to that run's strategy, and a strategy that follows it gets exactly its
 * outcomes). The best choice under the objective:
 *
 *   1. the cheapest provider whose answer is ok and within the latency SLO;
 *   2. else the fastest ok answer;
 *   3. else no provider succeeds: the oracle fails too (with the fastest failure).
 *
 * Regret of a strategy, summed per request so that it is >= 0 by construction and 0 for
 * a strategy that always does what the oracle does:
 *
 *   costUsd = Σ max(0, cost_s − cost_o)       money spent beyond the hindsight-best choice
 *                                            (savings bought with errors or SLO misses are
 *                                            not credited: the objective forbids them)
 *   errors  = #{ strategy failed, oracle succeeded }
 *   p99Ms   = p99 over requests of max(0, latency_s − latency_o)   ("99% of requests were
 *                                            within p99Ms of the hindsight-best latency")
 *
 * The signed differences (strategy total − oracle total) are in `OracleReport` too.
 */

export interface OracleObjective {
  /** Latency SLO for one request, ms (e.g. the scenario's p99 SLO). Infinity = no SLO. */
  sloMs: number;
}

export interface OracleChoice {
  /** Index of the chosen provider in the list asked (when none succeeds: the fastest failure; -1 if all hang). */
  index: number;
  ok: boolean;
  costUsd: number;
  /** Client latency of the oracle's outcome, ms (finite). */
  latencyMs: number;
}

/** The hindsight-best of `outcomes` (one per provider) under `objective`. */
export function bestOutcome(outcomes: readonly ProviderOutcome[], objective: OracleObjective): OracleChoice {
  let cheapest = -1;
  let fastest = -1;
  let fastestFail = -1;
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!;
    if (o.kind === 'ok') {
      if (o.totalMs <= objective.sloMs && (cheapest < 0 || o.costUsd < outcomes[cheapest]!.costUsd)) cheapest = i;
      if (fastest < 0 || o.totalMs < outcomes[fastest]!.totalMs) fastest = i;
    } else if (Number.isFinite(o.totalMs) && (fastestFail < 0 || o.totalMs < outcomes[fastestFail]!.totalMs)) fastestFail = i;
  }
  const i = cheapest >= 0 ? cheapest : fastest;
  if (i >= 0) {
    const o = outcomes[i]!;
    return { index: i, ok: true, costUsd: o.costUsd, latencyMs: o.totalMs };
  }
  const f = fastestFail >= 0 ? outcomes[fastestFail]! : undefined;
  return { index: fastestFail, ok: false, costUsd: f?.costUsd ?? 0, latencyMs: f?.totalMs ?? 0 };
}

/** A provider as the oracle sees it: its model and its live state (load, RPM/TPM window). */
export interface OracleProvider {
  readonly id: string;
  readonly model: ProviderModel;
  readonly state: ProviderState;
}

/** Ask every provider about `req` at `nowMs` with its current load; return the best choice. */
export function oracleChoice(
  providers: readonly OracleProvider[],
  req: SimRequest,
  nowMs: number,
  objective: OracleObjective,
  scratch: ProviderOutcome[] = [],
): OracleChoice {
  if (scratch.length !== providers.length) scratch.length = providers.length;
  for (let i = 0; i < providers.length; i++) {
    const p = providers[i]!;
    scratch[i] = p.model.outcome(req, nowMs, p.state.inFlight, p.state);
  }
  return bestOutcome(scratch, objective);
}

/** What a strategy actually got for one request. */
export interface Actual {
  ok: boolean;
  costUsd: number;
  latencyMs: number;
}

export interface OracleReport {
  regret: Regret;
  oracle: { requests: number; errors: number; costUsd: number; p99Ms: number };
  /** Strategy total − oracle total (may be negative: cheaper by failing or missing the SLO). */
  signed: { costUsd: number; errors: number; p99Ms: number };
}

const US = 1000;

/** Accumulates per-request regret; memory is three histograms, not per-request storage. */
export class RegretTracker {
  private requests = 0;
  private costExcess = 0;
  private errorExcess = 0;
  private oracleErrors = 0;
  private oracleCost = 0;
  private strategyErrors = 0;
  private strategyCost = 0;
  /** Three values per request: fast (WebAssembly) histograms, freed by dispose(). */
  private readonly owned = new HistogramSet('regret tracker');
  private readonly excess = this.owned.add();
  private readonly oracleLatency = this.owned.add();
  private readonly strategyLatency = this.owned.add();

  /** Free the histograms; observe/report throw afterwards. */
  dispose(): void {
    this.owned.dispose();
  }

  observe(o: OracleChoice, s: Actual): void {
    this.owned.check('observe');
    this.requests++;
    this.oracleCost += o.costUsd;
    this.strategyCost += s.costUsd;
    if (!o.ok) this.oracleErrors++;
    if (!s.ok) this.strategyErrors++;
    if (s.costUsd > o.costUsd) this.costExcess += s.costUsd - o.costUsd;
    if (!s.ok && o.ok) this.errorExcess++;
    const d = s.latencyMs - o.latencyMs;
    // Record 0 as 0 µs: HDR's lowest value is 1, so an exact match counts as 1 µs (≈ 0 ms).
    this.excess.recordValue(d > 0 ? Math.max(1, Math.round(d * US)) : 0);
    this.oracleLatency.recordValue(Math.max(0, Math.round(o.latencyMs * US)));
    this.strategyLatency.recordValue(Math.max(0, Math.round(s.latencyMs * US)));
  }

  report(): OracleReport {
    this.owned.check('report');
    const p99 = (h: hdr.Histogram): number => (h.totalCount > 0 ? h.getValueAtPercentile(99) / US : 0);
    const oracleP99 = p99(this.oracleLatency);
    const excessP99 = p99(this.excess);
    return {
      regret: { costUsd: this.costExcess, p99Ms: excessP99 < 0.01 ? 0 : excessP99, errors: this.errorExcess },
      oracle: { requests: this.requests, errors: this.oracleErrors, costUsd: this.oracleCost, p99Ms: oracleP99 },
      signed: {
        costUsd: this.strategyCost - this.oracleCost,
        errors: this.strategyErrors - this.oracleErrors,
        p99Ms: p99(this.strategyLatency) - oracleP99,
      },
    };
  }
}
