/**
 * Paired multi-seed verdicts of one strategy against baselines (scenarios/seeds/paired.ts):
 *   npx tsx scripts/paired-verdicts.ts prefix-cache --target prefix-affinity \
 *     --baselines round-robin,sticky --seeds 5 [--seed 1] [--duration S] [--metrics a,b]
 * --help prints the usage (exit 0); exits 2 on bad input.
 */
import { formatPaired, pairedCompare } from '../scenarios/seeds/paired.js';
import { seedList } from '../scenarios/seeds/multi-seed.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';

const USAGE = 'usage: npx tsx scripts/paired-verdicts.ts <scenario> --target S --baselines a,b [--seeds K] [--seed N] [--duration S] [--metrics m1,m2]';

async function main(): Promise<number> {
  const args = scriptArgs(
    process.argv.slice(2),
    {
      target: { type: 'string' },
      baselines: { type: 'string' },
      seeds: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      duration: { type: 'string' },
      metrics: { type: 'string', default: 'costPer1kOk,ttftMs.p50,latencyMs.p99,cachedTokenShare' },
    },
    USAGE,
  );
  if (typeof args === 'number') return args;
  const { values, positionals } = args;
  const int = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  try {
    if (positionals.length !== 1 || !values.target || !values.baselines) throw new Error('expected one scenario, --target and --baselines');
    const seeds = seedList(int('seed', values.seed, 0)!, int('seeds', values.seeds, 2)!);
    const durationS = int('duration', values.duration, 1);
    const report = await pairedCompare(positionals[0]!, values.target, values.baselines.split(','), seeds, values.metrics.split(','), { durationS });
    process.stdout.write(`${formatPaired(report)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
}

process.exitCode = await main();
