/**
 * What the hindsight oracle reaches on p99 and error rate, beside each strategy's own (and its
 * goodput beside the offered rate, goodput's ceiling), in sim mode:
 *   npx tsx scripts/oracle-p99.ts <scenario> [--strategies a,b] [--seeds K]
 * The oracle (simulator/oracle.ts) sends each request, in hindsight, to the cheapest endpoint
 * whose answer is ok within the scenario's p99 SLO (else the fastest ok one), under the load
 * of that strategy's run: the best any pick could do there, with no hedging. Means over K
 * seeds from the scenario's own. Exits 2 on bad input.
 */
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { loadForScript, simOnce } from './sim-once.js';

const USAGE = 'usage: npx tsx scripts/oracle-p99.ts <scenario> [--strategies a,b] [--seeds K]';

async function main(): Promise<number> {
  const args = scriptArgs(process.argv.slice(2), { strategies: { type: 'string', default: 'adaptive,latency,round-robin' }, seeds: { type: 'string', default: '5' } }, USAGE);
  if (typeof args === 'number') return args;
  const { values, positionals } = args;
  const k = Number(values.seeds);
  if (positionals.length !== 1 || !Number.isInteger(k) || k < 1) {
    process.stderr.write(`expected one scenario and --seeds >= 1\n${USAGE}\n`);
    return 2;
  }
  const loaded = loadForScript(positionals[0]!);
  if (loaded === 2) return 2;
  const { scenario, durationS, sloMs } = loaded;
  console.log(`${scenario.name}: p99 SLO ${sloMs} ms; means over seeds ${scenario.seed}..${scenario.seed + k - 1}`);
  for (const name of values.strategies.split(',')) {
    let own = 0;
    let oracle = 0;
    let ownErr = 0;
    let oracleErr = 0;
    let goodput = 0;
    let offered = 0;
    for (let i = 0; i < k; i++) {
      const { result, oracle: o } = await simOnce(loaded, name, scenario.seed + i, { oracle: { sloMs }, goodputSloMs: sloMs });
      own += result.summary.latencyMs.p99 / k;
      oracle += o!.oracle.p99Ms / k;
      ownErr += result.summary.errorRate / k;
      oracleErr += o!.oracle.errors / Math.max(1, o!.oracle.requests) / k;
      goodput += (result.summary.goodputRps ?? 0) / k;
      offered += result.summary.requests / durationS / k;
    }
    const pct = (x: number): string => `${(100 * x).toFixed(3)}%`;
    console.log(
      `  ${name.padEnd(30)} p99 ${own.toFixed(0).padStart(6)} ms   its oracle's p99 ${oracle.toFixed(0).padStart(6)} ms   ` +
        `errors ${pct(ownErr)}, its oracle's ${pct(oracleErr)}   goodput ${goodput.toFixed(2)} of ${offered.toFixed(2)} req/s offered`,
    );
  }
  return 0;
}

process.exitCode = await main();
