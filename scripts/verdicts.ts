import { metricLines } from '../reports/verdict-text.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { loadScenario, scenarioNames } from '../scenarios/setup/load.js';
import { runSeeds, seedList } from '../scenarios/seeds/multi-seed.js';
import { checkExpectedWinner } from '../scenarios/stats/verdict.js';

/**
 * Every shipped scenario (or those named) at its default settings over K paired seeds: the
 * verdict on each headline metric and whether the expected winner wins.
 * `npx tsx scripts/verdicts.ts [--seeds K] [--duration S] [name...]`
 * Exits 1 when an expected winner does not win, 2 on bad input (an unknown flag or scenario).
 */
const USAGE = 'usage: npx tsx scripts/verdicts.ts [--seeds K] [--duration S] [scenario...]';

async function main(): Promise<number> {
  const args = scriptArgs(process.argv.slice(2), { seeds: { type: 'string', default: '10' }, duration: { type: 'string' } }, USAGE);
  if (typeof args === 'number') return args;
  const k = Number(args.values.seeds);
  const durationS = args.values.duration === undefined ? undefined : Number(args.values.duration);
  if (!Number.isInteger(k) || k < 1 || (durationS !== undefined && !(durationS > 0))) {
    process.stderr.write(`expected --seeds >= 1 and --duration > 0\n${USAGE}\n`);
    return 2;
  }
  const names = args.positionals.length ? args.positionals : scenarioNames();
  const known = scenarioNames();
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    process.stderr.write(`unknown scenario ${unknown.map((n) => `"${n}"`).join(', ')}; valid scenarios: ${known.join(', ')}\n`);
    return 2;
  }
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
  return failed ? 1 : 0;
}

process.exitCode = await main();
