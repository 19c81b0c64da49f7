/**
 * What the router did per time bucket and per host, in sim mode, summed over K seeds from the
 * scenario's own (plus --seed-offset): attempts sent, failed attempts by error code, retries
 * by kind and cause, health transitions, and the requests that failed by their last host and
 * code (all by the router's event time):
 *   npx tsx scripts/attempt-trace.ts <scenario> [--strategies a,b] [--params '{"adaptive":{...}}'] [--seeds K] [--seed-offset N] [--bucket S]
 * Where phase-outcomes.ts shows where requests were lost, this shows why (e.g. a host in a long
 * 429 cooldown, retries sent back to the host that just failed). Exits 2 on bad input.
 */
import type { RouterEvent } from '../router/core/events.js';
import { bucketArgs, simOnce } from './sim-once.js';

const USAGE = "usage: npx tsx scripts/attempt-trace.ts <scenario> [--strategies a,b] [--params '{\"name\":{...}}'] [--seeds K] [--seed-offset N] [--bucket S]";

/** The row an event counts in, or null for events not shown (successful attempt ends, hedges, panics). */
function rowOf(e: RouterEvent): string | null {
  switch (e.type) {
    case 'attempt-start':
      return `sent ${e.endpointId}`;
    case 'attempt-end':
      return e.ok ? null : `failed ${e.endpointId} ${e.errorCode ?? '?'}`;
    case 'retry':
      return `retry ${e.kind} after ${e.errorCode}`;
    case 'health':
      return `health ${e.endpointId} ${e.from}->${e.to}`;
    case 'request-end':
      return e.ok ? null : `LOST ${e.endpointId ?? '-'} ${e.errorCode ?? '?'}`;
    default:
      return null;
  }
}

async function main(): Promise<number> {
  const args = bucketArgs(process.argv.slice(2), USAGE);
  if (typeof args === 'number') return args;
  const { loaded, params, seeds: k, seedOffset: offset, bucketS } = args;
  const { scenario, durationS } = loaded;
  // Events after the run's end (requests still finishing) go in the last bucket.
  const n = Math.ceil(durationS / bucketS);
  console.log(`${scenario.name}: per ${bucketS} s bucket by event time, summed over seeds ${scenario.seed + offset}..${scenario.seed + offset + k - 1}`);
  for (const name of args.strategies) {
    const rows = new Map<string, number[]>();
    for (let i = 0; i < k; i++) {
      await simOnce(loaded, params[name] ? { name, params: params[name] } : name, scenario.seed + offset + i, {
        oracle: false,
        onRouterEvent: (_replica, e) => {
          const row = rowOf(e);
          if (row === null) return;
          let r = rows.get(row);
          if (r === undefined) rows.set(row, (r = new Array<number>(n).fill(0)));
          r[Math.min(n - 1, Math.floor(e.at / 1000 / bucketS))]! += 1;
        },
      });
    }
    console.log(name);
    const width = Math.max(...[...rows.keys()].map((r) => r.length));
    for (const row of [...rows.keys()].sort()) {
      const v = rows.get(row)!;
      console.log(`  ${row.padEnd(width)} ${v.map((x) => String(x).padStart(5)).join('')}   total ${v.reduce((a, b) => a + b, 0)}`);
    }
  }
  return 0;
}

process.exitCode = await main();
