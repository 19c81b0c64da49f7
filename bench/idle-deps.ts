/**
 * `npx tsx bench/idle-deps.ts [--runs N]`: what each package the proxy loads at start costs
 * an idle process. Each row is a fresh `node --expose-gc` process that listens with node:http
 * (as bench/floor-sse-server.mjs does), loads the row's modules, waits 1 s, collects garbage
 * and reports its RSS and heap; the figures are each row minus the first (node:http alone),
 * median of N runs (default 3). Rows load what the proxy does (router/transport/http.ts loads
 * only undici's Pool and Client); the last row loads them all together.
 *
 * Why it matters: in bench/proxy.ts (c) the proxy's peak RSS holding 2,000 streams is the
 * floor's plus mostly this idle gap, since V8's old space grows from the idle heap by what the
 * streams promote, with no full collection before the peak.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../scenarios/setup/load.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';

const UNDICI = "import { createRequire } from 'node:module'; const rq = createRequire(import.meta.url); rq('undici/lib/dispatcher/pool.js'); rq('undici/lib/dispatcher/client.js');";

/** Label and the module code a row runs before it measures. */
export const ROWS: ReadonlyArray<readonly [string, string]> = [
  ['node:http alone (the floor)', ''],
  ['zod', "import 'zod';"],
  ['prom-client', "import 'prom-client';"],
  ['undici Pool + Client', UNDICI],
  ['lru-cache', "import 'lru-cache';"],
  ['seedrandom', "import 'seedrandom';"],
  ['all of the above', `import 'zod'; import 'prom-client'; import 'lru-cache'; import 'seedrandom'; ${UNDICI}`],
];

const PROBE =
  "import { createServer } from 'node:http'; const s = createServer().listen(0, '127.0.0.1'); setTimeout(() => { gc(); const m = process.memoryUsage();" +
  ' console.log(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal })); s.close(); }, 1000);';

export interface IdleRow { label: string; rssMb: number; heapUsedMb: number; heapTotalMb: number }

function once(code: string): { rss: number; heapUsed: number; heapTotal: number } {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', `${code}\n${PROBE}`], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`idle probe failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { rss: number; heapUsed: number; heapTotal: number };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Each row's median RSS / heap used / heap total in MB over `runs` fresh processes (rows interleaved per run). */
export function measureIdle(runs: number, rows = ROWS): IdleRow[] {
  const samples = rows.map(() => [] as Array<{ rss: number; heapUsed: number; heapTotal: number }>);
  for (let i = 0; i < runs; i++) rows.forEach(([, code], k) => samples[k]!.push(once(code)));
  const mb = (x: number): number => x / 1048576;
  return rows.map(([label], k) => ({
    label,
    rssMb: mb(median(samples[k]!.map((s) => s.rss))),
    heapUsedMb: mb(median(samples[k]!.map((s) => s.heapUsed))),
    heapTotalMb: mb(median(samples[k]!.map((s) => s.heapTotal))),
  }));
}

export function formatIdle(rows: readonly IdleRow[]): string {
  const base = rows[0]!;
  const f = (x: number): string => (x >= 0 ? '+' : '') + x.toFixed(1);
  return [
    `idle process, after gc: ${base.label} RSS ${base.rssMb.toFixed(1)} MB, heap used ${base.heapUsedMb.toFixed(1)} of ${base.heapTotalMb.toFixed(1)} MB; each row minus that:`,
    ...rows.slice(1).map((r) => `  ${r.label.padEnd(22)} RSS ${f(r.rssMb - base.rssMb).padStart(6)} MB  heap used ${f(r.heapUsedMb - base.heapUsedMb).padStart(5)} MB  heap total ${f(r.heapTotalMb - base.heapTotalMb).padStart(5)} MB`),
  ].join('\n');
}

const USAGE = 'usage: npx tsx bench/idle-deps.ts [--runs N]\n  idle RSS and heap each package the proxy loads at start adds to a bare node:http process (median of N runs, default 3)';

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const parsed = scriptArgs(process.argv.slice(2), { runs: { type: 'string' } }, USAGE);
  if (typeof parsed === 'number') process.exit(parsed);
  const raw = (parsed.values as { runs?: string }).runs;
  const runs = raw === undefined ? 3 : Number(raw);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`idle-deps: --runs takes a positive integer (got "${raw}")\n${USAGE}`);
    process.exit(2);
  }
  console.log(formatIdle(measureIdle(runs)));
}
