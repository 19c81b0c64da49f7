/**
 * How far the simulator itself moves a scenario's metrics when arrivals and answers shift by a
 * few ms (the fidelity check's order spread, scenarios/fidelity/fidelity.ts ORDER_SPREAD): the
 * plain sim run and the 39 order-spread reruns with a jitter of up to J ms (the http runner's
 * timer lateness, scenario ms), each metric's value in the plain run and its range, also as a
 * log ratio and a relative change to the plain run. The evidence behind a WIDENED limit.
 *
 *   npx tsx scripts/order-spread.ts <scenario> --jitter-ms J [--strategy S] [--duration S] [--speed K] [--metrics p50,costPer1kOk,share:x] [--arrivals-only]
 *
 * --arrivals-only: shift the arrivals but not the answers (the fidelity check delays those too),
 * to see which of the two moves a metric.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orderSpreadRuns, shortFidelityDurationS } from '../scenarios/fidelity/fidelity-run.js';
import { metricValue } from '../scenarios/fidelity/fidelity.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { runScenario } from '../scenarios/modes/runner.js';
import { scenarioNames } from '../scenarios/setup/load.js';

const HELP = `usage: npx tsx scripts/order-spread.ts <scenario> --jitter-ms J [--strategy S (round-robin)] [--duration S (the fidelity test's)] [--speed K (1)] [--metrics a,b (p50,p99,costPer1kOk,errorRate)] [--arrivals-only (answers not delayed)]`;
const args = scriptArgs(process.argv.slice(2), { 'jitter-ms': { type: 'string' }, strategy: { type: 'string' }, duration: { type: 'string' }, speed: { type: 'string' }, metrics: { type: 'string' }, 'arrivals-only': { type: 'boolean' } }, HELP);
if (typeof args === 'number') process.exit(args);
const scenario = args.positionals[0];
const fail = (m: string): never => {
  process.stderr.write(`${m}\n${HELP}\n`);
  process.exit(2);
};
if (!scenario || !scenarioNames().includes(scenario)) fail(`a shipped scenario name is required; known: ${scenarioNames().join(', ')}`);
const num = (flag: string, v: string | undefined, dflt?: number): number => {
  if (v === undefined) return dflt ?? fail(`--${flag} is required`);
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : fail(`--${flag}: expected a positive number, got "${v}"`);
};
const jitterMs = num('jitter-ms', args.values['jitter-ms']);
const strategy = args.values.strategy ?? 'round-robin';
const durationS = num('duration', args.values.duration, shortFidelityDurationS(scenario!));
const speed = num('speed', args.values.speed, 1);
const metrics = (args.values.metrics ?? 'p50,p99,costPer1kOk,errorRate').split(',');
if (args.positionals.length > 1) fail(`one scenario name expected, got ${args.positionals.length}: ${args.positionals.join(' ')}`);
const METRIC = /^(requests|errorRate|failoverS|costPer1kOk|p50|p99|errors:.+|share:.+)$/;
const badMetric = metrics.find((m) => !METRIC.test(m));
if (badMetric !== undefined) fail(`--metrics: unknown metric "${badMetric}"; known: requests, errorRate, failoverS, costPer1kOk, p50, p99, errors:<kind>, share:<provider>`);

const scratch = mkdtempSync(join(tmpdir(), 'order-spread-'));
try {
  const o = { scenario: scenario!, strategies: [strategy], durationS, speed, noReport: true, log: () => {} };
  let plainRun;
  try {
    plainRun = await runScenario({ scenario: scenario!, mode: 'sim', strategies: [strategy], durationS, speed, noReport: true, out: join(scratch, 'plain'), log: () => {} });
  } catch (e) {
    // A strategy the scenario cannot run (an unknown name): the runner's message, as bad input.
    fail(`--strategy ${strategy}: ${(e as Error).message}`);
  }
  const plain = plainRun!.results.strategies[0]!.summary;
  const runs = (await orderSpreadRuns(o, [strategy], scratch, jitterMs, !args.values['arrivals-only'])).get(strategy) ?? [];
  process.stdout.write(`${scenario} ${strategy}, ${durationS} s, order spread of ${runs.length} reruns, jitter up to ${jitterMs} ms${args.values['arrivals-only'] ? ' (arrivals only)' : ''}:\n`);
  for (const m of metrics) {
    const p = metricValue(plain, m);
    const v = runs.map((s) => metricValue(s, m)).filter((x): x is number => x !== null);
    if (p === null || v.length === 0) {
      process.stdout.write(`  ${m}: no value\n`);
      continue;
    }
    const lo = Math.min(p, ...v);
    const hi = Math.max(p, ...v);
    const ln = (x: number): string => (p > 0 && x > 0 ? Math.log(x / p).toFixed(3) : '-');
    const rel = (x: number): string => (p !== 0 ? `${(100 * (x / p - 1)).toFixed(1)}%` : '-');
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
    process.stdout.write(
      `  ${m}: plain ${p.toPrecision(4)}, range ${lo.toPrecision(4)}..${hi.toPrecision(4)} (ln ${ln(lo)}..${ln(hi)}; ${rel(lo)}..${rel(hi)}); reruns mean ${mean.toPrecision(4)}, sd ${sd.toPrecision(2)}\n`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
