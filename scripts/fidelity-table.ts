/**
 * The README's fidelity table: `--mode both` on every shipped scenario, one markdown row per
 * scenario and strategy (sim/http side by side, checks within tolerance).
 *
 *   npx tsx scripts/fidelity-table.ts [--duration S] [--speed K] [--strategies a,b] [--scenarios a,b] [--out DIR]
 *
 * Writes each scenario's sim/, http/ and fidelity.json under --out (default out/fidelity/), and
 * each scenario's full fidelity table (fidelity-format.ts) to stderr.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { StrategySummary } from '../reports/contract.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { formatDiff, formatFidelity } from '../scenarios/fidelity/fidelity-format.js';
import { runFidelity, shortFidelityDurationS } from '../scenarios/fidelity/fidelity-run.js';
import { REPO_ROOT, scenarioNames } from '../scenarios/setup/load.js';

const HELP = `usage: npx tsx scripts/fidelity-table.ts [--duration S] [--speed K] [--strategies a,b] [--scenarios a,b] [--out DIR]
Runs --mode both on every shipped scenario (or --scenarios) and prints the README's fidelity table.
--duration S: every scenario's timeline (default: the fidelity test's, 20 s for the three whose
fault needs the router's 5 s ejection to fit inside it, else 8 s).`;
const args = scriptArgs(
  process.argv.slice(2),
  { duration: { type: 'string' }, speed: { type: 'string' }, strategies: { type: 'string' }, scenarios: { type: 'string' }, out: { type: 'string' } },
  HELP,
);
if (typeof args === 'number') process.exit(args);
const { values } = args;
const only = values.scenarios?.split(',');
const unknown = only?.filter((s) => !scenarioNames().includes(s)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}\n${HELP}\n`);
  process.exit(2);
}
const durationS = values.duration === undefined ? undefined : Number(values.duration);
const speed = values.speed === undefined ? undefined : Number(values.speed);
const strategies = values.strategies?.split(',');
const outRoot = values.out ?? join(REPO_ROOT, 'out', 'fidelity');

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const pair = (a: string, b: string): string => `${a} / ${b}`;
const cells = (s: StrategySummary, h: StrategySummary): string[] => [
  pair(String(s.requests), String(h.requests)),
  pair(pct(s.errorRate), pct(h.errorRate)),
  pair(s.latencyMs.p50.toFixed(0), h.latencyMs.p50.toFixed(0)),
  pair(s.latencyMs.p99.toFixed(0), h.latencyMs.p99.toFixed(0)),
  pair(s.costPer1kOk.toFixed(4), h.costPer1kOk.toFixed(4)),
  pair(s.failoverS === null ? '-' : s.failoverS.toFixed(0), h.failoverS === null ? '-' : h.failoverS.toFixed(0)),
];

const lines = [
  '| scenario | strategy | requests sim / http | error rate | p50 ms | p99 ms | $/1k ok | failover s | checks within | outside (or inconclusive) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const scenario of only ?? scenarioNames()) {
  const run = await runFidelity({ scenario, strategies, durationS: durationS ?? shortFidelityDurationS(scenario), speed, out: join(outRoot, scenario), noReport: true, log: () => {} });
  const httpBy = new Map(run.http.strategies.map((r) => [r.strategy, r.summary] as const));
  for (const sim of run.sim.strategies) {
    const rows = run.report.rows.filter((r) => r.strategy === sim.strategy);
    const bad = rows.filter((r) => !r.within || r.withinBySpread).map((r) => `${r.metric} ${formatDiff(r.rule, r.diff)}${r.withinBySpread ? ' (within order spread)' : r.few ? ' (too few)' : r.inconclusive ? ' (inconclusive)' : ''}`);
    const within = rows.filter((r) => r.within && !r.withinBySpread).length;
    lines.push(`| \`${scenario}\` | ${sim.strategy} | ${cells(sim.summary, httpBy.get(sim.strategy)!).join(' | ')} | ${within}/${rows.length} | ${bad.join('; ') || '-'} |`);
  }
  const h = run.report.harness;
  process.stderr.write(`${formatFidelity(run.report)}\n`);
  process.stderr.write(
    `${scenario}: ${run.report.outside} outside, ${run.report.inconclusive} inconclusive; timers late ${h ? h.loopDelayP99Ms.toFixed(1) : '?'} ms p99; load average ${loadavg()[0]!.toFixed(1)}\n`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
