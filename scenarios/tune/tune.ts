import { join, resolve } from 'node:path';
import type { ResultsFile, StrategyResult } from '../../reports/contract.js';
import { aggregateSeeds } from '../stats/confidence.js';
import { loadScenario, REPO_ROOT } from '../setup/load.js';
import { createProgress, type Progress } from '../progress/progress.js';
import { faultWindows, resolveProviders } from '../setup/resolve.js';
import type { EvalTask } from '../modes/evaluate.js';
import { describeObjective, judge, meanMetrics, type Limits, type ObjectiveName } from './objective.js';
import { createEvaluator } from '../modes/evaluator.js';
import { search, type Candidate, type Evaluation, type SearchResult } from './search.js';
import { defaultConfig, parsePin, searchSpace, selectParams, TuneInputError, tunableStrategies, type ParamDef, type TuneConfig } from './space.js';

/**
 * `npm run tune` end to end: load the scenario, build the search space, run the search
 * (random candidates + successive halving over the search seeds), then re-evaluate the
 * default and the winner on the full search seeds and on held-out seeds the search never
 * saw. Writing files is outputs.ts / report.ts; this returns everything they need.
 */

export interface TuneOptions {
  scenario: string;
  strategy?: string | undefined;
  objective?: ObjectiveName | undefined;
  /** Candidates sampled (incl. the default). */
  budget?: number | undefined;
  /** Search seeds K. */
  seeds?: number | undefined;
  /** Held-out seeds H. */
  holdout?: number | undefined;
  /** Base seed (default: the scenario's). */
  seed?: number | undefined;
  eta?: number | undefined;
  durationS?: number | undefined;
  /** `name=value` pins. */
  params?: string[] | undefined;
  /** Search only these parameter names. */
  only?: string[] | undefined;
  /** Override the scenario's SLOs for the objective's constraints. */
  limits?: Limits | undefined;
  /** Worker threads (0 = in this thread). */
  workers?: number | undefined;
  out?: string | undefined;
  progress?: Progress | undefined;
  log?: ((line: string) => void) | undefined;
}

export interface TuneOutcome {
  scenario: string;
  scenarioFile: string;
  strategy: string;
  objective: ObjectiveName;
  objectiveText: string;
  limits: Limits;
  seed: number;
  searchSeeds: number[];
  holdoutSeeds: number[];
  durationS: number;
  budget: number;
  eta: number;
  space: ParamDef[];
  searched: ParamDef[];
  pins: Record<string, number | boolean>;
  search: SearchResult;
  defaultConfig: TuneConfig;
  best: Candidate;
  /** Whether the best config meets the objective's constraints (on the search seeds). */
  satisfied: boolean;
  /** default vs tuned on the search seeds and on the held-out seeds (aggregated, with CIs). */
  comparison: ResultsFile;
  /** Held-out verdicts. */
  holdout: { default: ReturnType<typeof judge>; tuned: ReturnType<typeof judge> };
  outDir: string;
  mode: 'workers' | 'in-thread';
  workers: number;
  wallS: number;
}

export const DEFAULTS = { strategy: 'weighted', objective: 'cost' as ObjectiveName, budget: 27, seeds: 3, holdout: 3, eta: 3 };
/** Held-out seeds start this far from the base seed, so they never overlap the search seeds. */
export const HOLDOUT_OFFSET = 100_000;

export const LABELS = {
  defaultSearch: 'default (search seeds)',
  tunedSearch: 'tuned (search seeds)',
  defaultHoldout: 'default (held-out)',
  tunedHoldout: 'tuned (held-out)',
} as const;

function relabel(runs: readonly StrategyResult[], label: string): StrategyResult[] {
  return runs.map((r) => ({ ...r, strategy: label }));
}

export async function runTune(o: TuneOptions): Promise<TuneOutcome> {
  const t0 = performance.now();
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { scenario, file, where } = loadScenario(o.scenario);
  const providers = resolveProviders(scenario, file, where);
  const strategy = o.strategy ?? DEFAULTS.strategy;
  if (!tunableStrategies().includes(strategy))
    throw new TuneInputError(`--strategy: unknown strategy "${strategy}"; tunable strategies: ${tunableStrategies().join(', ')}`);
  const space = searchSpace(strategy, providers.map((p) => p.id));
  const pinsList = (o.params ?? []).map((t) => parsePin(t, space, strategy));
  const pinned = new Set(pinsList.map(([p]) => p.name));
  const searched = (o.only && o.only.length ? selectParams(o.only, space, strategy) : space).filter((p) => !pinned.has(p.name));
  const objective = o.objective ?? DEFAULTS.objective;
  const limits: Limits = {
    p99Ms: o.limits?.p99Ms ?? scenario.slo.p99Ms,
    errorRate: o.limits?.errorRate ?? scenario.slo.errorRate,
    costPer1kOk: o.limits?.costPer1kOk ?? scenario.slo.costPer1kOk,
    minQuality: o.limits?.minQuality ?? scenario.slo.quality,
    attemptsPerRequest: o.limits?.attemptsPerRequest,
    minOkPct: o.limits?.minOkPct,
  };
  if (scenario.load.outcomes) log('tune: outcome replay uses the training subjects only (never the held-out ones the scenario reports on)');
  const budget = o.budget ?? DEFAULTS.budget;
  const K = o.seeds ?? DEFAULTS.seeds;
  const H = o.holdout ?? DEFAULTS.holdout;
  const eta = o.eta ?? DEFAULTS.eta;
  const seed = o.seed ?? scenario.seed;
  const durationS = o.durationS ?? scenario.load.durationS;
  for (const [name, v, ok] of [
    ['--budget', budget, Number.isInteger(budget) && budget >= 1],
    ['--seeds', K, Number.isInteger(K) && K >= 1],
    ['--holdout', H, Number.isInteger(H) && H >= 0],
    ['--eta', eta, Number.isInteger(eta) && eta >= 2],
  ] as const)
    if (!ok) throw new TuneInputError(`${name}: expected ${name === '--holdout' ? 'an integer >= 0' : name === '--eta' ? 'an integer >= 2' : 'an integer >= 1'}, got ${v}`);
  if (searched.length === 0 && budget > 1) log('tune: nothing left to search (every parameter pinned); evaluating the pinned config only');

  const searchSeeds = Array.from({ length: K }, (_, i) => seed + i);
  const holdoutSeeds = Array.from({ length: H }, (_, i) => seed + HOLDOUT_OFFSET + i);
  // Shorter early rungs must still contain every fault window (plus 5 s to see the reaction).
  const faults = faultWindows(providers, durationS, scenario.load.phases);
  const lastFault = faults.reduce((m, f) => Math.max(m, f.end), 0);
  const minDurationS = Math.min(durationS, Math.max(10, faults.length ? lastFault + 5 : 0));

  const base = defaultConfig(scenario, providers, strategy);
  const progress = o.progress ?? createProgress({ quiet: true });
  const evaluator = await createEvaluator({ scenario: file, workers: o.workers, log });
  try {
    progress.start(`tune ${strategy}`, 1, 'runs');
    const result = await search({
      base,
      space,
      searched,
      pins: pinsList,
      budget: searched.length === 0 ? 1 : budget,
      eta,
      seeds: searchSeeds,
      durationS,
      minDurationS,
      objective,
      limits,
      seed,
      evaluator,
      onProgress: (done, total, info) => {
        if (done === 1) progress.start(`tune ${strategy}`, total + K + 2 * H, 'runs');
        progress.update(done, info);
      },
    });
    const best = result.candidates[result.best.id]!;
    let extra = 0;
    const bump = (): void => progress.update(searchRunsDone(result) + ++extra, 'default vs tuned, held-out');
    const runAll = (config: TuneConfig, seeds: readonly number[], label: string): Promise<StrategyResult[]> =>
      Promise.all(
        seeds.map((s) => {
          // Outcome replay: tuning and its checks replay the training subjects, never the evaluation split.
          const task: EvalTask = { config, seed: s, durationS, label, outcomeSubjects: 'train' };
          return evaluator.run(task).then((r) => (bump(), r));
        }),
      );
    // The default on the full search seeds (with timelines, for the report), and both on held-out seeds.
    const [defaultSearch, tunedSearch, defaultHold, tunedHold] = await Promise.all([
      runAll(base, searchSeeds, LABELS.defaultSearch),
      runAll(best.config, searchSeeds, LABELS.tunedSearch),
      runAll(base, holdoutSeeds, LABELS.defaultHoldout),
      runAll(best.config, holdoutSeeds, LABELS.tunedHoldout),
    ]);
    progress.stop();

    const perSeed = (runs: StrategyResult[][], seeds: readonly number[]): ResultsFile[] =>
      seeds.map((s, i) => ({
        scenario: scenario.name,
        mode: 'sim',
        seed: s,
        durationS,
        strategies: runs.map((r) => r[i]!),
      }));
    const aggSearch = aggregateSeeds(perSeed([relabel(defaultSearch, LABELS.defaultSearch), relabel(tunedSearch, LABELS.tunedSearch)], searchSeeds));
    const aggHold = H > 0 ? aggregateSeeds(perSeed([relabel(defaultHold, LABELS.defaultHoldout), relabel(tunedHold, LABELS.tunedHoldout)], holdoutSeeds)) : undefined;
    const slo: NonNullable<ResultsFile['slo']> = {};
    if (limits.p99Ms !== undefined) slo.p99Ms = limits.p99Ms;
    if (limits.errorRate !== undefined) slo.errorRate = limits.errorRate;
    if (limits.costPer1kOk !== undefined) slo.costPer1kOk = limits.costPer1kOk;
    const comparison: ResultsFile = {
      scenario: scenario.name,
      mode: 'sim',
      seed,
      durationS,
      seeds: [...searchSeeds, ...holdoutSeeds],
      strategies: [...aggSearch.strategies, ...(aggHold?.strategies ?? [])],
      faults,
      slo,
      generatedBy: `llm-router npm run tune (${strategy}, objective ${objective})`,
    };
    const holdJudge = (runs: StrategyResult[]) => judge(objective, limits, meanMetrics(runs));
    const pins: Record<string, number | boolean> = {};
    for (const [p, v] of pinsList) pins[p.name] = v;
    return {
      scenario: scenario.name,
      scenarioFile: file,
      strategy,
      objective,
      objectiveText: describeObjective(objective, limits),
      limits,
      seed,
      searchSeeds,
      holdoutSeeds,
      durationS,
      budget,
      eta,
      space,
      searched,
      pins,
      search: result,
      defaultConfig: base,
      best,
      satisfied: result.best.verdict.feasible,
      comparison,
      holdout: { default: holdJudge(defaultHold), tuned: holdJudge(tunedHold) },
      outDir: resolve(o.out ?? join(REPO_ROOT, 'out', `tune-${scenario.name}`)),
      mode: evaluator.mode,
      workers: evaluator.size,
      wallS: (performance.now() - t0) / 1000,
    };
  } finally {
    progress.stop();
    await evaluator.close();
  }
}

/** Runs the search made (for the progress bar's position after the search). */
function searchRunsDone(r: SearchResult): number {
  return r.evaluations.reduce((s, e) => s + e.seeds.length, 0);
}

/** The closest configs when none is feasible: the last evaluations ranked (best first). */
export function closest(outcome: TuneOutcome, n = 5): Evaluation[] {
  const latest = new Map<number, Evaluation>();
  for (const e of outcome.search.evaluations) latest.set(e.id, e); // later rungs overwrite earlier
  return [...latest.values()]
    .sort((a, b) => b.rung - a.rung || (a.verdict.violation - b.verdict.violation) || a.verdict.value - b.verdict.value)
    .slice(0, n);
}
