import { ScenarioError, loadScenario } from '../setup/load.js';
import { createProgress } from '../progress/progress.js';
import { resolveProviders } from '../setup/resolve.js';
import { tableText } from '../../reports/table.js';
import { parseTuneArgs } from '../tune/args.js';
import { exportTuned, writeTuneFiles } from '../tune/outputs.js';
import { writeTuneReport } from '../tune/report.js';
import { describeSpace, searchSpace, TuneInputError, tunableStrategies } from '../tune/space.js';
import { closest, DEFAULTS, runTune, type TuneOutcome } from '../tune/tune.js';

/**
 * `npm run tune <scenario> -- [--strategy s] [--objective cost|p99|errors|score]
 *  [--budget N] [--seeds K] [--holdout H] [--out DIR] ...` (see tune/args.ts).
 *
 * Exit codes: 0 tuned; 1 the run failed; 2 bad input (unknown scenario, strategy or
 * parameter: the valid ones are listed); 3 no evaluated config meets the objective's
 * constraints (the closest ones are printed; tune.json and report.html still written).
 */

const fmt = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));

function printClosest(o: TuneOutcome): void {
  process.stderr.write(`\nno evaluated config satisfies: ${o.objectiveText}\nclosest configs (most evidence first, then smallest violation):\n`);
  for (const e of closest(o)) {
    const m = e.metrics;
    process.stderr.write(
      `  #${e.id} (rung ${e.rung + 1}, ${e.seeds.length} seeds): p99 ${fmt(m.p99Ms)} ms, error rate ${fmt(m.errorRate * 100)}%, ` +
        `$${fmt(m.costPer1kOk)}/1k ok, violation ${fmt(e.verdict.violation)}\n`,
    );
    const vals = o.search.candidates[e.id]!.values;
    const changed = o.searched.map((p) => `${p.name}=${fmt(Number(vals[p.name]))}`).join(' ');
    if (changed) process.stderr.write(`      ${changed}\n`);
  }
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseTuneArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof TuneInputError) {
      const code = (e as { exitCode?: number }).exitCode ?? 2;
      (code === 0 ? process.stdout : process.stderr).write(`${e.message}\n`);
      return code;
    }
    throw e;
  }
  const progress = createProgress({ quiet: args.quiet });
  try {
    if (args.listParams) {
      const { scenario, file, where } = loadScenario(args.scenario);
      const ids = resolveProviders(scenario, file, where).map((p) => p.id);
      const s = args.strategy ?? DEFAULTS.strategy;
      if (!tunableStrategies().includes(s)) throw new TuneInputError(`--strategy: unknown strategy "${s}"; tunable strategies: ${tunableStrategies().join(', ')}`);
      process.stdout.write(`tunable parameters of ${s} on ${scenario.name}:\n${describeSpace(searchSpace(s, ids))}\n`);
      return 0;
    }
    const o = await runTune({ ...args, progress });
    progress.stop();
    process.stdout.write(`\n${o.objectiveText}\n\n${tableText(o.comparison)}\n`);
    const h = o.holdout;
    if (o.holdoutSeeds.length)
      process.stdout.write(`\nheld-out seeds ${o.holdoutSeeds.join(', ')}: tuned ${fmt(h.tuned.value)}${h.tuned.feasible ? '' : ' (violates)'} vs default ${fmt(h.default.value)}${h.default.feasible ? '' : ' (violates)'}\n`);
    const files = [...writeTuneFiles(o), ...(await writeTuneReport(o)).slice(0, 1)];
    if (args.exportTo !== undefined && o.satisfied) files.push(...exportTuned(o, args.exportTo));
    process.stdout.write(`\nwrote ${o.outDir}/ (${files.map((f) => f.slice(o.outDir.length + 1)).join(', ')}, charts) in ${o.wallS.toFixed(1)} s (${o.mode === 'workers' ? `${o.workers} workers` : 'in-thread'})\n`);
    if (!o.satisfied) {
      printClosest(o);
      return 3;
    }
    return 0;
  } catch (e) {
    progress.stop();
    if (e instanceof TuneInputError || e instanceof ScenarioError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    process.stderr.write(`tune failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`tune: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
