import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { strategyNames } from '../../router/core/strategy.js';
import '../../router/strategies/index.js';
import type { ResultsFile, StrategyResult } from '../../reports/contract.js';
import type { ChartRenderer } from '../../reports/render.js';
import { parseResults } from '../../reports/validate.js';
import { loadScenario, REPO_ROOT, ScenarioError } from '../setup/load.js';
import { phase } from '../progress/phase-timer.js';
import { createProgress, type Progress } from '../progress/progress.js';
import { faultWindows, resolveProviders, type ResolvedProvider } from '../setup/resolve.js';
import { splitStore } from '../spec/replicas.js';
import { deadlineMs, strategyName, type Scenario, type StrategyRef } from '../spec/schema.js';
import type { SimPool } from './sim-pool.js';
import type { ArrivalJitter } from '../../simulator/arrival-jitter.js';

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
  /**
   * http: run an outcome-replay scenario with its recorded prompts, without judging quality
   * (the mock providers do not read outcome records). `--mode both` sets it: fidelity
   * compares no quality metric, and the prompts, token counts and draws are the same.
   */
  replayPromptsOnly?: boolean;
  /** sim: shift arrivals by a seeded ±ms (simulator/arrival-jitter.ts; the fidelity check's order spread). */
  arrivalJitter?: ArrivalJitter | undefined;
  progress?: Progress;
  /** Skip report.html and charts (tests that only need results.json). */
  noReport?: boolean;
  /** Where to print notes (warm-up, ports); default stderr. */
  log?: (line: string) => void;
  /**
   * sim: worker threads running strategies in parallel; 1 = all in this thread.
   * Default: min(available parallelism, strategies), or 1 when the run is too small
   * to repay starting workers (see planWorkers).
   */
  workers?: number | undefined;
  /** http: N proxy replicas per strategy (overrides the scenario's replicas.count). */
  replicas?: number | undefined;
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
  /** sim: shift arrivals by a seeded ±ms (runs in this thread). */
  arrivalJitter?: ArrivalJitter | undefined;
  /** sim: worker threads to run strategies on (none: this thread). */
  pool?: SimPool | undefined;
  /** sim: called once every strategy has been handed to the pool. */
  simJobsQueued?: (() => void) | undefined;
}

export type ModeRunner = (ctx: ModeContext, strategies: readonly StrategyRef[]) => Promise<StrategyResult[]>;

/** The strategies to run: the scenario's list, a named subset (params kept from the scenario), or all registered. */
export function selectStrategies(s: Scenario, wanted: string[] | 'all' | undefined, where: string): StrategyRef[] {
  const known = strategyNames();
  const listed = new Map(s.strategies.map((r) => [strategyName(r), r] as const));
  for (const [n] of listed)
    if (!known.includes(splitStore(n).strategy)) throw new ScenarioError(`${where}: strategies: unknown strategy "${n}"; valid strategies: ${known.join(', ')}`);
  if (wanted === undefined) return [...s.strategies];
  if (wanted === 'all') return [...s.strategies, ...known.filter((n) => !listed.has(n))];
  const bad = wanted.filter((n) => !known.includes(splitStore(n).strategy));
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

/** Below this many simulated requests (all strategies together) starting workers (~0.5 s CPU each) costs more than it saves. */
export const MIN_PARALLEL_REQUESTS = 50_000;

export interface WorkerPlan {
  /** Worker threads running strategies (0: they run in this thread). */
  sim: number;
  /** Worker threads started now to render the report later (they load vega/resvg meanwhile). */
  report: number;
  /** Report workers started once the last strategy is handed out (they load vega while the last runs finish). */
  reportAfterSim: number;
}

/**
 * How many worker threads a run uses. Strategies: `requested` (--workers), else
 * min(cores, strategies); 1 = this thread. Report: rendered in parallel on workers that
 * loaded vega beforehand, when the run is big enough to hide their start-up. Cores no
 * strategy uses get report workers from the start (one strategy: it runs in this thread
 * while they load); otherwise they start when the last strategy is handed out and the
 * sim workers leave as they run out of work (their grown heaps freed).
 */
export function planWorkers(
  s: Scenario,
  durationS: number,
  strategies: number,
  o: { mode: 'http' | 'sim'; noReport: boolean; requested: number | undefined; cores?: number },
): WorkerPlan {
  if (o.mode !== 'sim') return { sim: 0, report: 0, reportAfterSim: 0 };
  const cores = o.cores ?? availableParallelism();
  // Trace arrivals have no rate; 50/s is typical of the shipped traces after compression.
  const big = (s.load.rate ?? 50) * durationS * strategies >= MIN_PARALLEL_REQUESTS;
  const threads = Math.min(o.requested ?? (big ? cores : 1), strategies);
  const sim = threads > 1 ? threads : 0;
  const offload = !o.noReport && big && cores >= 2;
  const reportMax = Math.min(3, cores);
  const report = offload ? (sim > 0 ? Math.min(reportMax, cores - sim) : reportMax) : 0;
  return { sim, report, reportAfterSim: offload && sim > 0 ? reportMax - report : 0 };
}

export async function runScenario(o: RunScenarioOptions): Promise<ScenarioRun> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  phase('start-up done (imports)');
  const { scenario, file, where } = loadScenario(o.scenario);
  if (o.replicas !== undefined) scenario.replicas = { count: o.replicas, syncDelayMs: scenario.replicas?.syncDelayMs ?? 100 };
  phase('scenario loaded');
  const strategies = selectStrategies(scenario, o.strategies, where);
  if (o.mode === 'http' && scenario.load.outcomes && !o.replayPromptsOnly)
    throw new ScenarioError(`${where}: load.outcomes: outcome replay runs in sim mode only (--mode sim); the mock provider servers do not read outcome records yet`);
  const seed = o.seed ?? scenario.seed;
  const durationS = o.durationS ?? scenario.load.durationS;
  const noReport = o.noReport ?? false;
  const plan = planWorkers(scenario, durationS, strategies.length, { mode: o.mode, noReport, requested: o.workers });
  let pool: SimPool | undefined;
  if (plan.sim + plan.report > 0) {
    // Started first: the workers load their modules while this thread sets the run up.
    const { openSimPool } = await import('./sim-pool.js');
    pool = await openSimPool();
    pool.spawn(plan.sim, 'sim');
    pool.spawn(plan.report, 'report');
  }
  try {
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
      ...(o.arrivalJitter ? { arrivalJitter: o.arrivalJitter } : {}),
      pool,
      // Once the last strategy is handed out, a sim worker with nothing left makes room for a report worker.
      ...(pool && plan.sim > 0 ? { simJobsQueued: () => pool.allSubmitted('sim', { n: plan.reportAfterSim, role: 'report' }) } : {}),
    };
    const mode: ModeRunner =
      o.mode === 'sim' ? (await import('./sim-mode.js')).runSimMode : (await import('./http-mode.js')).runHttpMode;
    phase(`${o.mode} run starts`);
    const results = await mode(ctx, strategies);
    phase(`${o.mode} run done`);

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
      deadlineMs: deadlineMs(scenario),
    };
    return await writeResults(file_, o.out, noReport, pool && pool.size > 0 ? await poolRenderer(pool) : undefined);
  } finally {
    await pool?.close();
  }
}

/** Render charts on the pool's workers, the costliest first (longest-job-first keeps the last one short). */
async function poolRenderer(pool: SimPool): Promise<ChartRenderer> {
  const { renderChartsOn } = await import('./report-jobs.js');
  return (charts, dir) => renderChartsOn(pool, charts, dir);
}

/**
 * Validate a results file against the contract, write it to `out` (default
 * out/<scenario>/) as results.json, and render the report next to it (with `render`,
 * e.g. on worker threads; default in this thread).
 */
export async function writeResults(file_: ResultsFile, out: string | undefined, noReport = false, render?: ChartRenderer): Promise<ScenarioRun> {
  const outDir = resolve(out ?? join(REPO_ROOT, 'out', file_.scenario));
  const validated = parseResults(JSON.parse(JSON.stringify(file_)), `results of ${file_.scenario}`);
  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, 'results.json');
  phase('results validated');
  writeFileSync(resultsPath, JSON.stringify(validated, null, 2) + '\n');
  phase('results.json written');
  const files = [resultsPath];
  if (!noReport) {
    const { writeReport } = await import('../../reports/render.js');
    const written = await writeReport(validated, outDir, render ? { render } : {});
    phase('report written');
    files.push(written.html, ...written.svgs, ...written.pngs);
  }
  return { results: validated, outDir, files };
}
