import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { strategyNames } from '../router/core/strategy.js';
import '../router/strategies/index.js';
import type { ResultsFile, StrategyResult } from '../reports/contract.js';
import { parseResults } from '../reports/validate.js';
import { loadScenario, REPO_ROOT, ScenarioError } from './load.js';
import { createProgress, type Progress } from './progress.js';
import { faultWindows, resolveProviders, type ResolvedProvider } from './resolve.js';
import { strategyName, type Scenario, type StrategyRef } from './schema.js';

/**
 * Runs a scenario end to end: load and validate the file, pick the strategies, run
 * each one in the chosen mode on identical traffic, assemble results.json (validated
 * against the contract before it is written), render the report. The CLI and the
 * tests both call `runScenario`.
 */

export interface RunScenarioOptions {
  scenario: string;
  mode: 'http' | 'sim';
  strategies?: string[] | 'all' | undefined;
  seed?: number | undefined;
  durationS?: number | undefined;
  /** Output directory; default out/<name>/ under the repository. */
  out?: string | undefined;
  /** http: time compression override. */
  speed?: number | undefined;
  driver?: 'autocannon' | 'open-loop' | undefined;
  /** sim: compute regret against the hindsight oracle (default true; costs a model call per provider per request). */
  oracle?: boolean;
  progress?: Progress;
  /** Skip report.html and charts (tests that only need results.json). */
  noReport?: boolean;
  /** Where to print notes (warm-up, ports); default stderr. */
  log?: (line: string) => void;
}

/** Everything a mode needs to run one strategy. */
export interface ModeContext {
  scenario: Scenario;
  file: string;
  where: string;
  providers: ResolvedProvider[];
  seed: number;
  durationS: number;
  progress: Progress;
  log: (line: string) => void;
  speed: number | undefined;
  driver: 'autocannon' | 'open-loop' | undefined;
  /** sim: regret against the oracle (default true). */
  oracle?: boolean;
}

export type ModeRunner = (ctx: ModeContext, strategies: readonly StrategyRef[]) => Promise<StrategyResult[]>;

/** The strategies to run: the scenario's list, a named subset (params kept from the scenario), or all registered. */
export function selectStrategies(s: Scenario, wanted: string[] | 'all' | undefined, where: string): StrategyRef[] {
  const known = strategyNames();
  const listed = new Map(s.strategies.map((r) => [strategyName(r), r] as const));
  for (const [n] of listed)
    if (!known.includes(n)) throw new ScenarioError(`${where}: strategies: unknown strategy "${n}"; valid strategies: ${known.join(', ')}`);
  if (wanted === undefined) return [...s.strategies];
  if (wanted === 'all') return [...s.strategies, ...known.filter((n) => !listed.has(n))];
  const bad = wanted.filter((n) => !known.includes(n));
  if (bad.length) throw new ScenarioError(`--strategies: unknown strategy "${bad.join('", "')}"; valid strategies: ${known.join(', ')}, all`);
  return wanted.map((n) => listed.get(n) ?? n);
}

/** Scale every timeline phase time of a provider by f (at, until). */
export function scaleProvider(p: ResolvedProvider, f: number): ResolvedProvider {
  if (f === 1) return p;
  const timeline = p.profile.timeline.map((ph) => ({
    ...ph,
    at: ph.at * f,
    ...('until' in ph && ph.until !== undefined ? { until: ph.until * f } : {}),
  })) as typeof p.profile.timeline;
  return { ...p, profile: { ...p.profile, timeline } };
}

export interface ScenarioRun {
  results: ResultsFile;
  outDir: string;
  files: string[];
}

export async function runScenario(o: RunScenarioOptions): Promise<ScenarioRun> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { scenario, file, where } = loadScenario(o.scenario);
  const strategies = selectStrategies(scenario, o.strategies, where);
  const seed = o.seed ?? scenario.seed;
  const durationS = o.durationS ?? scenario.load.durationS;
  // --duration tells the same story in a different length: phase times scale with it.
  const f = durationS / scenario.load.durationS;
  const providers = resolveProviders(scenario, file, where).map((p) => scaleProvider(p, f));
  if (f !== 1) {
    scenario.load.phases = scenario.load.phases.map((ph) => ({ ...ph, startS: ph.startS * f, endS: ph.endS * f }));
    if (scenario.load.ramp) scenario.load.ramp = { ...scenario.load.ramp, startS: scenario.load.ramp.startS * f, endS: scenario.load.ramp.endS * f };
  }
  const ctx: ModeContext = {
    scenario,
    file,
    where,
    providers,
    seed,
    durationS,
    progress: o.progress ?? createProgress({ quiet: true }),
    log,
    speed: o.speed,
    driver: o.driver,
    oracle: o.oracle ?? true,
  };
  const mode: ModeRunner =
    o.mode === 'sim' ? (await import('./sim-mode.js')).runSimMode : (await import('./http-mode.js')).runHttpMode;
  const results = await mode(ctx, strategies);

  const slo: NonNullable<ResultsFile['slo']> = {};
  if (scenario.slo.p99Ms !== undefined) slo.p99Ms = scenario.slo.p99Ms;
  if (scenario.slo.errorRate !== undefined) slo.errorRate = scenario.slo.errorRate;
  if (scenario.slo.costPer1kOk !== undefined) slo.costPer1kOk = scenario.slo.costPer1kOk;
  const file_: ResultsFile = {
    scenario: scenario.name,
    mode: o.mode,
    seed,
    durationS,
    strategies: results,
    faults: faultWindows(providers, durationS, scenario.load.phases),
    slo,
    generatedBy: 'llm-router scenarios/runner.ts',
  };
  return writeResults(file_, o.out, o.noReport ?? false);
}

/**
 * Validate a results file against the contract, write it to `out` (default
 * out/<scenario>/) as results.json, and render the report next to it.
 */
export async function writeResults(file_: ResultsFile, out: string | undefined, noReport = false): Promise<ScenarioRun> {
  const outDir = resolve(out ?? join(REPO_ROOT, 'out', file_.scenario));
  const validated = parseResults(JSON.parse(JSON.stringify(file_)), `results of ${file_.scenario}`);
  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, 'results.json');
  writeFileSync(resultsPath, JSON.stringify(validated, null, 2) + '\n');
  const files = [resultsPath];
  if (!noReport) {
    const { writeReport } = await import('../reports/render.js');
    const written = await writeReport(validated, outDir);
    files.push(written.html, ...written.svgs, ...written.pngs);
  }
  return { results: validated, outDir, files };
}
