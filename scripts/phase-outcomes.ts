/**
 * Where in the run each strategy loses requests, in sim mode: per time bucket (by arrival),
 * summed over K seeds from the scenario's own (plus --seed-offset), the requests that failed,
 * those that succeeded slower than the scenario's p99 SLO (what goodput does not count), and
 * how many each endpoint served, and the cost per 1k successful requests over the whole run:
 *   npx tsx scripts/phase-outcomes.ts <scenario> [--strategies a,b] [--params '{"adaptive":{...}}'] [--seeds K] [--seed-offset N] [--bucket S]
 * --params gives a strategy's params by name (label "name" stays the strategy's name).
 * Exits 2 on bad input.
 */
import { bucketArgs, simOnce } from './sim-once.js';

const USAGE = "usage: npx tsx scripts/phase-outcomes.ts <scenario> [--strategies a,b] [--params '{\"name\":{...}}'] [--seeds K] [--seed-offset N] [--bucket S]";

async function main(): Promise<number> {
  const args = bucketArgs(process.argv.slice(2), USAGE);
  if (typeof args === 'number') return args;
  const { loaded, params, seeds: k, seedOffset: offset, bucketS } = args;
  const { scenario, durationS, sloMs } = loaded;
  const n = Math.ceil(durationS / bucketS);
  console.log(`${scenario.name}: per ${bucketS} s bucket by arrival, summed over seeds ${scenario.seed + offset}..${scenario.seed + offset + k - 1}; slow = ok but over the ${sloMs} ms SLO`);
  for (const name of args.strategies) {
    const slow = new Array<number>(n).fill(0);
    const failed = new Array<number>(n).fill(0);
    const served: Record<string, number[]> = {};
    let costUsd = 0;
    let ok = 0;
    for (let i = 0; i < k; i++) {
      await simOnce(loaded, params[name] ? { name, params: params[name] } : name, scenario.seed + offset + i, {
        oracle: false,
        onRequest: (o) => {
          const b = Math.min(n - 1, Math.floor(o.arrivalMs / 1000 / bucketS));
          if (!o.ok) failed[b]! += 1;
          else if (o.latencyMs > sloMs) slow[b]! += 1;
          costUsd += o.costUsd;
          if (o.ok) ok += 1;
          if (o.ok) (served[o.endpointId] ??= new Array<number>(n).fill(0))[b]! += 1;
        },
      });
    }
    const row = (label: string, xs: number[]): string => `  ${label.padEnd(16)} ${xs.map((x) => String(x).padStart(5)).join('')}   total ${xs.reduce((a, b) => a + b, 0)}`;
    console.log(`${name}${params[name] ? ` ${JSON.stringify(params[name])}` : ''}: cost per 1k ok ${ok > 0 ? ((1000 * costUsd) / ok).toFixed(4) : '-'}`);
    console.log(row('slow', slow));
    console.log(row('failed', failed));
    for (const [id, xs] of Object.entries(served).sort()) console.log(row(`served ${id}`, xs));
  }
  return 0;
}

process.exitCode = await main();
