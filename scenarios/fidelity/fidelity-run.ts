import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import type { ResultsFile } from '../../reports/contract.js';
import type { StrategyResult } from '../../reports/contract.js';
import { compareRuns, orderJitterLadder, orderJitterMs, withOrderSpread, type FidelityReport } from './fidelity.js';
import { loadScenario, REPO_ROOT, ScenarioError } from '../setup/load.js';
import type { Progress } from '../progress/progress.js';
import { runScenario, selectStrategies, writeResults } from '../modes/runner.js';
import { strategyName } from '../spec/schema.js';

/**
 * `--mode both`: the same scenario, seed, duration and strategies in virtual time and
 * over real sockets, then the fidelity check (fidelity.ts). http mode runs open loop
 * (every request at its own arrival time), so both worlds see the same requests at the
 * same scenario times. Strategies run one at a time in each mode, so a failure names the
 * mode and the strategy; http mode stops its child processes on every path out.
 *
 * Writes into the output folder: sim/ and http/ (each a results.json and, unless
 * noReport, its report), fidelity.json, and the chart fidelity.svg/.png.
 */

export interface FidelityOptions {
  scenario: string;
  strategies?: string[] | 'all' | undefined;
  seed?: number | undefined;
  durationS?: number | undefined;
  /** Default out/<name>/ under the repository. */
  out?: string | undefined;
  speed?: number | undefined;
  progress?: Progress;
  log?: (line: string) => void;
  /** Skip the per-mode reports and the chart (tests). */
  noReport?: boolean;
  /** The one-mode runner (tests inject a failing one); default runScenario. */
  run?: typeof runScenario;
}

export interface FidelityRun {
  report: FidelityReport;
  sim: ResultsFile;
  http: ResultsFile;
  outDir: string;
  files: string[];
}

type Mode = 'sim' | 'http';

/**
 * The shortened timeline the fidelity test and the README table run a scenario for (phases
 * scale with it): 20 s where a fault's story needs the router's ejection times (5 s base) to
 * fit inside it, else 8 s.
 */
export function shortFidelityDurationS(scenario: string): number {
  return ['outage-failover', 'stream-faults', 'provider-faults'].includes(scenario) ? 20 : 8;
}

/** Run every strategy in one mode, one at a time; an error names the mode and the strategy. */
async function runMode(
  o: FidelityOptions,
  mode: Mode,
  names: readonly string[],
  scratch: string,
  jitter?: { ms: number; seed: number; completions?: boolean },
): Promise<ResultsFile> {
  let merged: ResultsFile | undefined;
  for (const name of names) {
    let run;
    try {
      run = await (o.run ?? runScenario)({
        ...(jitter ? { arrivalJitter: jitter } : {}),
        scenario: o.scenario,
        mode,
        strategies: [name],
        seed: o.seed,
        durationS: o.durationS,
        out: join(scratch, `${mode}-${name}${jitter ? `-jitter-${jitter.seed}` : ''}`),
        speed: o.speed,
        driver: 'open-loop',
        oracle: false,
        replayPromptsOnly: true,
        noReport: true,
        ...(o.progress ? { progress: o.progress } : {}),
        ...(o.log ? { log: o.log } : {}),
      });
    } catch (e) {
      const msg = `--mode both: ${mode} mode failed for strategy ${name}: ${e instanceof Error ? e.message : String(e)}`;
      throw e instanceof ScenarioError ? new ScenarioError(msg, e.exitCode) : new Error(msg, { cause: e });
    }
    if (merged === undefined) merged = run.results;
    else merged.strategies.push(...run.results.strategies);
  }
  return merged!;
}

/**
 * The order spread's sim runs (fidelity.ts ORDER_SPREAD): per strategy, the summaries of the
 * same sim run with arrivals shifted by a seeded ±j and every provider answer delayed by a
 * seeded [0, j) (the mock providers' timers are as late as the driver's), j climbing the
 * ladder up to `jitterMs` (the driver's measured timer lateness, scenario ms). Results go
 * under `scratch`. `answers: false` shifts the arrivals only (scripts/order-spread.ts
 * --arrivals-only: which of the two moves a metric).
 */
export async function orderSpreadRuns(
  o: FidelityOptions,
  names: readonly string[],
  scratch: string,
  jitterMs: number,
  answers = true,
): Promise<Map<string, StrategyResult['summary'][]>> {
  const jittered = new Map<string, StrategyResult['summary'][]>();
  const ladder = orderJitterLadder(jitterMs);
  for (let seed = 1; seed <= ladder.length; seed++)
    for (const r of (await runMode({ ...o, progress: undefined }, 'sim', names, scratch, { ms: ladder[seed - 1]!, seed, completions: answers })).strategies)
      jittered.set(r.strategy, [...(jittered.get(r.strategy) ?? []), r.summary]);
  return jittered;
}

export async function runFidelity(o: FidelityOptions): Promise<FidelityRun> {
  const { scenario, where } = loadScenario(o.scenario);
  const names = selectStrategies(scenario, o.strategies, where).map(strategyName);
  const outDir = resolve(o.out ?? join(REPO_ROOT, 'out', scenario.name));
  const scratch = mkdtempSync(join(tmpdir(), `fidelity-${scenario.name}-`));
  try {
    const sim = await runMode(o, 'sim', names, scratch);
    // How late this process's timers ran during the http runs: a busy machine's mark (fidelity.ts BUSY_SHARE).
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    let http: ResultsFile;
    try {
      http = await runMode(o, 'http', names, scratch);
    } finally {
      lag.disable();
    }
    const harness = { loopDelayP99Ms: lag.percentile(99) / 1e6, speed: o.speed ?? scenario.http.speed };
    const jitterMs = orderJitterMs(harness);
    const jittered = await orderSpreadRuns(o, names, scratch, jitterMs);
    const noReport = o.noReport ?? false;
    const simRun = await writeResults(sim, join(outDir, 'sim'), noReport);
    const httpRun = await writeResults(http, join(outDir, 'http'), noReport);
    const report = withOrderSpread(compareRuns(simRun.results, httpRun.results, harness), jittered, jitterMs);
    mkdirSync(outDir, { recursive: true });
    const json = join(outDir, 'fidelity.json');
    writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
    const files = [...simRun.files, ...httpRun.files, json];
    if (!noReport) {
      const [{ fidelityChart }, { renderChartFiles }] = await Promise.all([import('../../reports/specs-fidelity.js'), import('../../reports/render.js')]);
      const chart = fidelityChart(report);
      await renderChartFiles(chart, outDir);
      files.push(join(outDir, `${chart.id}.svg`), join(outDir, `${chart.id}.png`));
    }
    return { report, sim: simRun.results, http: httpRun.results, outDir, files };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
