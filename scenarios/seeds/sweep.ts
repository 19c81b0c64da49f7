import type { ResultsFile, Sweep, SweepPoint } from '../../reports/contract.js';
import { loadScenario, ScenarioError } from '../setup/load.js';
import { runSeeds } from './multi-seed.js';
import type { Progress } from '../progress/progress.js';

/**
 * Capacity sweep (`--sweep rate=a..b[/n]`, sim): every strategy on the same paired seeds at n
 * offered loads evenly spaced from a to b (mean arrivals per second; the scenario's load phases
 * still multiply it). Per strategy and load: goodput, p99 and error rate (means over the seeds);
 * the SLO is met when both p99 and the error rate are within the scenario's SLO. A strategy's
 * capacity is the highest load at which it, and every lower load, met the SLO: the knee of its
 * goodput-vs-offered-load curve, past which goodput stops following the offered load.
 */

export interface SweepSpec {
  param: 'rate';
  from: number;
  to: number;
  steps: number;
}

export const DEFAULT_SWEEP_STEPS = 8;

/** Parse "rate=a..b" or "rate=a..b/n"; a ScenarioError (exit 2) naming --sweep otherwise. */
export function parseSweep(v: string): SweepSpec {
  const m = /^rate=([^.]*(?:\.\d+)?)\.\.([^/]*)(?:\/(.*))?$/.exec(v.trim());
  const usage = 'expected rate=FROM..TO[/STEPS] (offered load in requests per second, e.g. rate=10..80/8)';
  if (!m) throw new ScenarioError(`--sweep: ${usage}, got "${v}"`);
  const from = Number(m[1]);
  const to = Number(m[2]);
  const steps = m[3] === undefined ? DEFAULT_SWEEP_STEPS : Number(m[3]);
  if (m[1] === '' || m[2] === '' || !Number.isFinite(from) || !Number.isFinite(to) || !(from > 0))
    throw new ScenarioError(`--sweep: ${usage}; both ends must be numbers > 0, got "${v}"`);
  if (!(to > from)) throw new ScenarioError(`--sweep: empty or inverted range ${from}..${to}: TO must be greater than FROM`);
  if (!Number.isInteger(steps) || steps < 2 || steps > 50) throw new ScenarioError(`--sweep: STEPS must be an integer from 2 to 50, got "${m[3]}"`);
  return { param: 'rate', from, to, steps };
}

/** The n offered loads from `from` to `to`, evenly spaced. */
export function sweepRates(s: SweepSpec): number[] {
  return Array.from({ length: s.steps }, (_, i) => Number((s.from + ((s.to - s.from) * i) / (s.steps - 1)).toPrecision(6)));
}

/** Capacity per strategy: the highest rate such that the SLO held at it and at every lower rate (null: not even the lowest). */
export function capacities(points: readonly SweepPoint[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const name of [...new Set(points.map((p) => p.strategy))]) {
    const mine = points.filter((p) => p.strategy === name).sort((a, b) => a.rate - b.rate);
    let cap: number | null = null;
    for (const p of mine) {
      if (!p.meetsSlo) break;
      cap = p.rate;
    }
    out[name] = cap;
  }
  return out;
}

/** One sweep point from a multi-seed aggregate at `rate`. */
function pointsOf(r: ResultsFile, rate: number, slo: { p99Ms?: number | undefined; errorRate?: number | undefined }): SweepPoint[] {
  return r.strategies.map((s) => {
    const p99Ms = s.summary.latencyMs.p99;
    const errorRate = s.summary.errorRate;
    const meetsSlo = (slo.p99Ms === undefined || p99Ms <= slo.p99Ms) && (slo.errorRate === undefined || errorRate <= slo.errorRate);
    return { rate, strategy: s.strategy, goodputRps: s.summary.goodputRps ?? 0, p99Ms, errorRate, meetsSlo };
  });
}

export async function runSweep(
  scenarioName: string,
  strategies: string[] | 'all' | undefined,
  spec: SweepSpec,
  seeds: readonly number[],
  opts: { durationS?: number | undefined; workers?: number | undefined; progress?: Progress | undefined },
): Promise<Sweep> {
  const { scenario, where } = loadScenario(scenarioName);
  if (scenario.load.arrivals === 'trace') throw new ScenarioError(`--sweep: ${where} replays a trace (load.arrivals: trace); there is no rate to sweep`);
  if (scenario.slo.p99Ms === undefined && scenario.slo.errorRate === undefined)
    throw new ScenarioError(`--sweep: ${where} has no slo.p99Ms or slo.errorRate; capacity is the highest load that meets the SLO`);
  const rates = sweepRates(spec);
  const points: SweepPoint[] = [];
  for (const rate of rates) {
    const r = await runSeeds(scenarioName, strategies, seeds, { ...opts, rate, oracle: false });
    points.push(...pointsOf(r, rate, scenario.slo));
  }
  return { param: 'rate', rates, seeds: [...seeds], points, capacity: capacities(points) };
}

/** The terminal lines: each strategy's capacity and its goodput there. */
export function sweepText(s: Sweep): string {
  const names = Object.keys(s.capacity);
  const w = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => {
    const cap = s.capacity[n];
    const at = s.points.find((p) => p.strategy === n && p.rate === cap);
    return `  ${n.padEnd(w)}  ${cap === null ? `below ${s.rates[0]} req/s (the SLO fails at the lowest load)` : `${cap} req/s${at ? `  (goodput ${at.goodputRps.toFixed(1)} req/s there)` : ''}`}`;
  });
  return [`capacity: the highest offered load meeting the SLO (sweep ${s.rates[0]}..${s.rates[s.rates.length - 1]} req/s, ${s.rates.length} steps, ${s.seeds.length} seeds):`, ...lines].join('\n');
}
