import { deriveRandom } from '../../router/core/random.js';
import type { Interval, StrategyResult } from '../../reports/contract.js';
import { intervalsOf, mean } from '../stats/confidence.js';
import type { Evaluator } from '../modes/evaluator.js';
import type { EvalTask } from '../modes/evaluate.js';
import { planRungs, planRuns, type Rung } from './halving.js';
import { compareVerdicts, judge, meanMetrics, type Limits, type ObjectiveName, type TuneMetrics, type Verdict } from './objective.js';
import { sampleValues } from './sampler.js';
import { valuesOf, withValues, type ParamDef, type ParamValue, type TuneConfig } from './space.js';

/**
 * The search: seeded random candidates (candidate #0 is the starting config with the
 * pins applied, so the winner is never worse than it on the search seeds), ranked by
 * successive halving over the search seeds. Every evaluation is kept for tune.json and
 * the Pareto chart. Deterministic: candidates come from deriveRandom(seed, 'tune'),
 * evaluations are pure, ranking ties go to the lower id.
 */

export interface Candidate {
  id: number;
  config: TuneConfig;
  values: Record<string, ParamValue>;
}

/** One candidate's evaluation at one rung (means over the rung's seeds). */
export interface Evaluation {
  id: number;
  rung: number;
  seeds: number[];
  durationS: number;
  metrics: TuneMetrics;
  ci: Record<string, Interval>;
  verdict: Verdict;
  /** Promoted to the next rung (or the winner, at the last rung). */
  promoted: boolean;
}

export interface SearchOptions {
  base: TuneConfig;
  /** Every tunable parameter (values are recorded for all of them). */
  space: readonly ParamDef[];
  /** The parameters searched (the rest keep the base's value or their pin). */
  searched: readonly ParamDef[];
  pins: ReadonlyArray<readonly [ParamDef, ParamValue]>;
  budget: number;
  eta: number;
  seeds: readonly number[];
  durationS: number;
  minDurationS: number;
  objective: ObjectiveName;
  limits: Limits;
  seed: number;
  evaluator: Evaluator;
  onProgress?: (done: number, total: number, info: string) => void;
}

export interface SearchResult {
  candidates: Candidate[];
  evaluations: Evaluation[];
  rungs: Rung[];
  /** Best candidate id and its last-rung evaluation. */
  best: Evaluation;
  /** Per-seed results of the best candidate at the last rung (full duration, every search seed). */
  bestRuns: StrategyResult[];
  /** Per-seed last-rung results by candidate id. */
  lastRuns: Map<number, StrategyResult[]>;
}

export function makeCandidates(o: Pick<SearchOptions, 'base' | 'space' | 'searched' | 'pins' | 'budget' | 'seed'>): Candidate[] {
  const random = deriveRandom(o.seed, 'tune');
  const out: Candidate[] = [];
  for (let id = 0; id < o.budget; id++) {
    const drawn = id === 0 ? [] : sampleValues(o.searched, random);
    const config = withValues(o.base, [...drawn, ...o.pins]);
    out.push({ id, config, values: valuesOf(config, o.space) });
  }
  return out;
}

export async function search(o: SearchOptions): Promise<SearchResult> {
  const candidates = makeCandidates(o);
  const rungs = planRungs(candidates.length, o.eta, o.seeds.length, o.durationS, o.minDurationS);
  const total = planRuns(rungs);
  const evaluations: Evaluation[] = [];
  let done = 0;
  let alive = candidates.map((c) => c.id);
  let lastRuns = new Map<number, StrategyResult[]>();
  let bestLine = '';
  for (const rung of rungs) {
    const seeds = o.seeds.slice(0, rung.seeds);
    const ids = alive.slice(0, rung.configs);
    const runs = new Map<number, StrategyResult[]>();
    await Promise.all(
      ids.flatMap((id) =>
        seeds.map(async (seed, k) => {
          const task: EvalTask = { config: candidates[id]!.config, seed, durationS: rung.durationS, label: `#${id}`, noTimeline: true, outcomeSubjects: 'train' };
          const r = await o.evaluator.run(task);
          const list = runs.get(id) ?? runs.set(id, new Array<StrategyResult>(seeds.length)).get(id)!;
          list[k] = r;
          done++;
          o.onProgress?.(done, total, `rung ${rung.index + 1}/${rungs.length} ${bestLine}`);
        }),
      ),
    );
    const evals = ids.map((id) => {
      const rs = runs.get(id)!;
      const metrics = meanMetrics(rs);
      const e: Evaluation = {
        id,
        rung: rung.index,
        seeds,
        durationS: rung.durationS,
        metrics,
        ci: intervalsOf(rs),
        verdict: judge(o.objective, o.limits, metrics),
        promoted: false,
      };
      return e;
    });
    evals.sort((a, b) => compareVerdicts(a.verdict, b.verdict) || a.id - b.id);
    const next = rungs[rung.index + 1];
    const keep = next ? next.configs : 1;
    evals.forEach((e, i) => (e.promoted = i < keep));
    evaluations.push(...evals);
    alive = evals.slice(0, keep).map((e) => e.id);
    lastRuns = runs;
    const top = evals[0]!;
    bestLine = `best #${top.id} ${top.verdict.feasible ? 'ok' : 'violates'} ${o.objective}=${top.verdict.value.toPrecision(4)}`;
  }
  const best = evaluations.filter((e) => e.rung === rungs.length - 1)[0]!;
  return { candidates, evaluations, rungs, best, bestRuns: lastRuns.get(best.id)!, lastRuns };
}
