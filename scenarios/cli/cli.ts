import { availableParallelism } from 'node:os';
import { DEFAULT_SIM_SEEDS, parseScenarioArgs, type ScenarioArgs } from './args.js';
import { loadScenario, ScenarioError } from '../setup/load.js';
import { installSignalHandlers, stopAll } from '../modes/procs.js';
import { createProgress, type Progress } from '../progress/progress.js';
import { runScenario, writeResults, type ScenarioRun } from '../modes/runner.js';
import { formatSummary } from './summary.js';

/**
 * `npm run scenario <name|file.yaml> -- [--mode http|sim] [--strategies a,b|all]
 *  [--seed N] [--duration S] [--out DIR] [--speed K] [--driver autocannon|open-loop]
 *  [--seeds K] [--gate baseline.json] [--workers N] [--sweep rate=a..b[/n]]`  (--seeds/--gate: sim mode; the gate exits 1 on a
 *  significant regression; --workers: sim strategies in parallel on worker threads, 1 = this thread)
 *  --mode both: sim and http on the same seed plus the fidelity check; exits 1 when a metric is
 *  outside tolerance (scenarios/fidelity/fidelity.ts).
 *
 * Exit codes: 0 done; 1 the run failed (a child died, a port was taken...); 2 bad input
 * (unknown scenario: the valid names are listed; malformed file: file and field named).
 * Every child process is stopped on every path out, signals included.
 */
/** sim: K virtual-time replications (default DEFAULT_SIM_SEEDS), means with 95% CIs and paired verdicts. */
async function runReplications(args: ScenarioArgs, progress: Progress, k: number): Promise<ScenarioRun> {
  const { runSeeds, seedList } = await import('../seeds/multi-seed.js');
  const { scenario } = loadScenario(args.scenario);
  const seeds = seedList(args.seed ?? scenario.seed, k);
  // --workers N: N threads (1 = this one); by default one per core but one, this thread orchestrating.
  const workers = args.workers !== undefined ? (args.workers > 1 ? args.workers : 0) : Math.max(0, Math.min(availableParallelism(), seeds.length) - 1);
  const opts = { durationS: args.durationS, progress, workers };
  const results = await runSeeds(args.scenario, args.strategies, seeds, { ...opts, oracle: args.oracle });
  // --sweep, else the scenario's own `capacity:` block.
  const sweep = args.sweep ?? (scenario.capacity ? { param: 'rate' as const, ...scenario.capacity } : undefined);
  if (sweep) results.sweep = await (await import('../seeds/sweep.js')).runSweep(args.scenario, args.strategies, sweep, seeds, opts);
  return writeResults(results, args.out);
}

/** --mode both: both worlds and the fidelity table; 0 when every check is within tolerance, else 1. */
async function runBoth(args: ScenarioArgs, progress: Progress, started: number): Promise<number> {
  const [{ runFidelity }, { formatFidelity }] = await Promise.all([import('../fidelity/fidelity-run.js'), import('../fidelity/fidelity-format.js')]);
  const { scenario, strategies, seed, durationS, out, speed } = args;
  const run = await runFidelity({ scenario, strategies, seed, durationS, out, speed, progress });
  progress.stop();
  process.stdout.write(`\n${formatSummary(run.sim)}\n\n${formatSummary(run.http)}\n\n${formatFidelity(run.report)}\n`);
  process.stdout.write(`\nwrote ${run.outDir}/ (sim/, http/, fidelity.json, fidelity.svg) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return run.report.outside === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  installSignalHandlers();
  let args;
  try {
    args = parseScenarioArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ScenarioError) {
      (e.exitCode === 0 ? process.stdout : process.stderr).write(`${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  const started = performance.now();
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    // A bad baseline is reported before anything runs, not after the whole job.
    const baseline = args.gate !== undefined ? (await import('../seeds/multi-seed.js')).readBaseline(args.gate) : undefined;
    progress = createProgress({ quiet: args.quiet });
    if (args.mode === 'both') return await runBoth(args, progress, started);
    const mode = args.mode;
    const k = args.seeds ?? (args.mode === 'sim' ? DEFAULT_SIM_SEEDS : 1);
    let run: ScenarioRun;
    if (args.mode === 'sim' && (k > 1 || args.gate !== undefined || args.sweep !== undefined)) run = await runReplications(args, progress, k);
    else if (k > 1) run = await (await import('../seeds/http-seeds.js')).runHttpSeeds({ ...args, mode, progress }, k);
    else run = await runScenario({ ...args, mode, progress });
    progress.stop();
    process.stdout.write(`\n${formatSummary(run.results)}\n`);
    if (run.results.sweep) process.stdout.write(`\n${(await import('../seeds/sweep.js')).sweepText(run.results.sweep)}\n`);
    if (run.results.verdict) process.stdout.write(`\n${(await import('../../reports/verdict-text.js')).verdictText(run.results.verdict)}\n`);
    else if (args.mode === 'http')
      process.stdout.write('\nhttp mode: one run is one sample (real sockets and timers), so no verdict; --seeds K repeats it on K seeds for one\n');
    else process.stdout.write('\n--seeds 1: one seed, so no verdict (the default runs paired seeds and says which differences are significant)\n');
    process.stdout.write(`\nwrote ${run.outDir}/ (results.json, report.html, charts) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    if (baseline !== undefined) {
      const { gate } = await import('../stats/gate.js');
      const verdict = gate(run.results, baseline);
      process.stdout.write(`\ngate against ${args.gate}:\n${verdict.lines.join('\n')}\n`);
      return verdict.ok ? 0 : 1;
    }
    return 0;
  } catch (e) {
    progress?.stop();
    if (e instanceof ScenarioError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`scenario failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`scenario: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
