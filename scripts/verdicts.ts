import { metricLines } from '../reports/verdict-text.js';
import { loadScenario, scenarioNames } from '../scenarios/setup/load.js';
import { runSeeds, seedList } from '../scenarios/seeds/multi-seed.js';
import { checkExpectedWinner } from '../scenarios/stats/verdict.js';

/**
 * Every shipped scenario (or those named) at its default settings over K paired seeds: the
 * verdict on each headline metric and whether the expected winner wins.
 * `npx tsx scripts/verdicts.ts [--seeds K] [--duration S] [name...]`
 */
const argv = process.argv.slice(2);
const flag = (f: string): number | undefined => {
  const i = argv.indexOf(f);
  if (i < 0) return undefined;
  const v = Number(argv[i + 1]);
  argv.splice(i, 2);
  return v;
};
const k = flag('--seeds') ?? 10;
const durationS = flag('--duration');
const names = argv.length ? argv : scenarioNames();
let failed = 0;
for (const name of names) {
  const { scenario } = loadScenario(name);
  const t0 = performance.now();
  const r = await runSeeds(name, undefined, seedList(scenario.seed, k), { durationS, workers: 2, oracle: false });
  const v = r.verdict!;
  const first = v.metrics[0]!;
  const check = checkExpectedWinner(first, scenario.headline.expectedWinner);
  if (!check.ok) failed++;
  console.log(`\n## ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s): ${check.ok ? 'OK' : 'FAIL'}: ${check.reason}`);
  for (const m of v.metrics) console.log(metricLines(m).join('\n'));
}
process.exit(failed ? 1 : 0);
