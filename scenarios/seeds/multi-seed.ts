import { readFileSync } from 'node:fs';
import type { ResultsFile, StrategyResult } from '../../reports/contract.js';
import { parseResults } from '../../reports/validate.js';
import { aggregateSeeds } from '../stats/confidence.js';
import { gate, type GateOptions, type GateResult } from '../stats/gate.js';
import { loadScenario, ScenarioError } from '../setup/load.js';
import { createProgress, type Progress } from '../progress/progress.js';
import { faultWindows, resolveProviders } from '../setup/resolve.js';
import { selectStrategies } from '../modes/runner.js';
import { deadlineMs, strategyName } from '../spec/schema.js';
import { scenarioVerdict } from '../stats/verdict.js';
import { createEvaluator } from '../modes/evaluator.js';

/**
 * `--seeds K` for sim mode: every strategy on K seeds (independent replications of the
 * same scenario), one results file whose numbers are the means and whose
 * StrategyResult.ci holds the 95% Student-t intervals (confidence.ts). Runs go through
 * the tuner's evaluation pool (worker threads when `workers` > 0), each one exactly
 * what sim mode runs for that strategy and seed.
 */

export interface RunSeedsOptions {
  durationS?: number | undefined;
  progress?: Progress | undefined;
  /** Worker threads; 0 (default) = this thread. */
  workers?: number | undefined;
  log?: ((line: string) => void) | undefined;
  /** Regret against the oracle (default true). */
  oracle?: boolean | undefined;
  /** Replace the scenario's mean arrival rate (capacity sweep). */
  rate?: number | undefined;
}

/** K consecutive seeds from a base: base, base+1, ... */
export function seedList(base: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => base + i);
}

/** Every strategy on every seed: perSeed[i][s] is strategy s on seeds[i] (what runSeeds aggregates). */
export async function runSeedMatrix(
  scenarioName: string,
  strategies: string[] | 'all' | undefined,
  seeds: readonly number[],
  opts: RunSeedsOptions = {},
): Promise<StrategyResult[][]> {
  if (seeds.length === 0) throw new ScenarioError('--seeds: expected at least one seed');
  const { scenario, file, where } = loadScenario(scenarioName);
  const refs = selectStrategies(scenario, strategies, where);
  const durationS = opts.durationS ?? scenario.load.durationS;
  const progress = opts.progress ?? createProgress({ quiet: true });
  const evaluator = await createEvaluator({ scenario: file, workers: opts.workers ?? 0, log: opts.log });
  const total = refs.length * seeds.length;
  let done = 0;
  progress.start(`${scenario.name} × ${seeds.length} seeds`, total, 'runs');
  try {
    return await Promise.all(
      seeds.map((seed) =>
        Promise.all(
          refs.map(async (ref) => {
            const name = strategyName(ref);
            const params = typeof ref === 'string' ? {} : ref.params;
            const r = await evaluator.run({
              config: { strategy: { name, params }, router: scenario.router as Record<string, unknown> },
              seed,
              durationS,
              label: name,
              ...(opts.oracle === false ? { oracle: false } : {}),
              ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
            });
            // Keep the scenario's params as sim mode reports them (only when given).
            if (Object.keys(params).length) r.params = params;
            else delete r.params;
            progress.update(++done, `seed ${seed} ${name}`);
            return r;
          }),
        ),
      ),
    );
  } finally {
    progress.stop();
    await evaluator.close();
  }
}

export async function runSeeds(
  scenarioName: string,
  strategies: string[] | 'all' | undefined,
  seeds: readonly number[],
  opts: RunSeedsOptions = {},
): Promise<ResultsFile> {
  const perSeed = await runSeedMatrix(scenarioName, strategies, seeds, opts);
  const { scenario, file, where } = loadScenario(scenarioName);
  const providers = resolveProviders(scenario, file, where);
  const durationS = opts.durationS ?? scenario.load.durationS;
  const slo: NonNullable<ResultsFile['slo']> = {};
  if (scenario.slo.p99Ms !== undefined) slo.p99Ms = scenario.slo.p99Ms;
  if (scenario.slo.errorRate !== undefined) slo.errorRate = scenario.slo.errorRate;
  if (scenario.slo.costPer1kOk !== undefined) slo.costPer1kOk = scenario.slo.costPer1kOk;
  const faults = faultWindows(providers, durationS, scenario.load.phases);
  const files: ResultsFile[] = seeds.map((seed, i) => ({
    scenario: scenario.name,
    mode: 'sim',
    seed,
    durationS,
    strategies: perSeed[i]!,
    faults,
    slo,
    generatedBy: 'llm-router scenarios/multi-seed.ts',
  }));
  const out = aggregateSeeds(files);
  out.deadlineMs = deadlineMs(scenario);
  out.verdict = scenarioVerdict(scenario, seeds, perSeed);
  return out;
}

/** Read and validate a saved baseline results.json, then gate `current` against it. */
export function gateAgainstFile(current: ResultsFile, baselinePath: string, opts: GateOptions = {}): GateResult {
  return gate(current, readBaseline(baselinePath), opts);
}

/** Read and validate a saved baseline results.json (a ScenarioError naming the file otherwise): the CLI does it before running anything. */
export function readBaseline(baselinePath: string): ResultsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(baselinePath, 'utf8'));
  } catch (e) {
    throw new ScenarioError(`--gate: cannot read baseline ${baselinePath}: ${(e as Error).message}`);
  }
  let baseline: ResultsFile;
  try {
    baseline = parseResults(raw, baselinePath);
  } catch (e) {
    throw new ScenarioError(`--gate: ${(e as Error).message}`);
  }
  return baseline;
}
