import type { ResultsFile } from '../../reports/contract.js';
import { aggregateSeeds } from '../stats/confidence.js';
import { loadScenario } from '../setup/load.js';
import { seedList } from './multi-seed.js';
import { runScenario, writeResults, type RunScenarioOptions, type ScenarioRun } from '../modes/runner.js';
import { deadlineMs } from '../spec/schema.js';
import { scenarioVerdict } from '../stats/verdict.js';

/**
 * `--mode http --seeds K`: one http run is one sample (real sockets and timers add noise a
 * seed does not control), so K runs on seeds base..base+K-1 are aggregated like sim seeds:
 * means, 95% intervals and paired verdicts. Each run is a whole http run (fresh providers and
 * proxy per strategy): K times the wall time of one.
 */
export async function runHttpSeeds(o: RunScenarioOptions, k: number): Promise<ScenarioRun> {
  const { scenario } = loadScenario(o.scenario);
  const seeds = seedList(o.seed ?? scenario.seed, k);
  const files: ResultsFile[] = [];
  for (const seed of seeds) files.push((await runScenario({ ...o, seed, noReport: true })).results);
  const out = aggregateSeeds(files);
  out.deadlineMs = deadlineMs(scenario);
  out.verdict = scenarioVerdict(scenario, seeds, files.map((f) => f.strategies));
  return writeResults(out, o.out, o.noReport ?? false);
}
