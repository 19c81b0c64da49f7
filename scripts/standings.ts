/**
 * Standings of adaptive and latency against the peer baselines on every shipped scenario (or
 * those named), sim mode, K paired seeds from each scenario's own seed plus N (default 0; e.g. 100
 * for held-out seeds the defaults were not tuned on) (scenarios/stats/standings.ts):
 *   npm run standings -- [--seeds K] [--seed-offset N] [--duration S] [--cost billed|attempts] [--json FILE] [--readme FILE] [--from FILE] [name...]
 * --cost: what dominance's cost axis reads: billed (cost per 1k ok, the default: the answers'
 * bill) or attempts (attempt spend per 1k ok: every upstream attempt billed in full, hedge and
 * timeout losers included, an upper bound). Prints each scenario's headline metric per strategy, the dominance checks, and adaptive vs
 * round-robin and vs the best peer. --json writes the standings (the README table's input);
 * --readme rewrites the table between the <!-- standings --> markers of that file; --from
 * reads standings written before instead of running the scenarios.
 * Exits 1 when adaptive or latency is dominated or adaptive does not beat round-robin; 2 on bad input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadScenario, scenarioNames } from '../scenarios/setup/load.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { runSeedMatrix, seedList } from '../scenarios/seeds/multi-seed.js';
import { OURS, STANDINGS_STRATEGIES, dominatedBy, standings, standingsTable, type Standings } from '../scenarios/stats/standings.js';

const USAGE = 'usage: npm run standings -- [--seeds K] [--seed-offset N] [--duration S] [--cost billed|attempts] [--json FILE] [--readme FILE] [--from FILE] [name...]';
const START = '<!-- standings:start -->';
const END = '<!-- standings:end -->';

/** Replace the table between the markers of `file` (an error naming the file when they are missing). */
function writeReadme(file: string, all: readonly Standings[]): void {
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`--readme: ${file} has no ${START} ... ${END} markers`);
  writeFileSync(file, `${text.slice(0, a + START.length)}\n${standingsTable(all)}\n${text.slice(b)}`);
}

function report(s: Standings): string[] {
  const iv = (v: { mean: number; lo: number; hi: number }): string => `${num(v.mean)} [${num(v.lo)}, ${num(v.hi)}]`;
  const out = [
    `${s.headline} (${s.better} is better): ${Object.entries(s.values).map(([n, v]) => `${n} ${iv(v)}`).join(' | ')}`,
    `adaptive vs round-robin: ${iv(s.vsRoundRobin)}${s.vsRoundRobin.significant ? ' significant' : ''}; vs best peer ${s.bestPeer}: ${iv(s.vsBestPeer)}${s.vsBestPeer.significant ? ' significant' : ''}`,
  ];
  for (const d of s.dominance)
    out.push(`  ${d.peer} over ${d.ours}: ${Object.entries(d.advantage).map(([m, a]) => `${m} ${iv(a)}`).join('  ')}${d.dominated ? '  DOMINATES' : ''}`);
  return out;
}

function problems(s: Standings): string[] {
  const bad = OURS.flatMap((o) => dominatedBy(s, o).map((p) => `${o} dominated by ${p}`));
  if (!s.vsRoundRobin.significant || s.vsRoundRobin.mean <= 0) bad.push('adaptive does not beat round-robin');
  return bad;
}

const num = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));

async function main(): Promise<number> {
  const args = scriptArgs(
    process.argv.slice(2),
    {
      seeds: { type: 'string', default: '10' },
      'seed-offset': { type: 'string', default: '0' },
      duration: { type: 'string' },
      json: { type: 'string' },
      readme: { type: 'string' },
      from: { type: 'string' },
      cost: { type: 'string', default: 'billed' },
    },
    USAGE,
  );
  if (typeof args === 'number') return args;
  const { values, positionals } = args;
  const k = Number(values.seeds);
  const offset = Number(values['seed-offset']);
  const durationS = values.duration === undefined ? undefined : Number(values.duration);
  if (values.cost !== 'billed' && values.cost !== 'attempts') {
    process.stderr.write(`--cost: billed or attempts, got "${values.cost}"\n${USAGE}\n`);
    return 2;
  }
  const cost = values.cost === 'attempts' ? 'attemptCostPer1kOk' : 'costPer1kOk';
  if (cost !== 'costPer1kOk' && (values.readme || values.from)) {
    // The README table says its ✓ is judged on cost per 1k ok; --from reads standings already judged.
    process.stderr.write(`--cost attempts cannot be combined with ${values.readme ? '--readme' : '--from'}\n${USAGE}\n`);
    return 2;
  }
  if (!Number.isInteger(k) || k < 2 || !Number.isInteger(offset) || offset < 0 || (durationS !== undefined && !(durationS > 0))) {
    process.stderr.write(`--seeds: an integer >= 2; --seed-offset: an integer >= 0; --duration: a positive number\n${USAGE}\n`);
    return 2;
  }
  const all: Standings[] = [];
  let failed = 0;
  if (values.from) {
    try {
      all.push(...(JSON.parse(readFileSync(values.from, 'utf8')) as Standings[]));
    } catch (e) {
      process.stderr.write(`--from: ${(e as Error).message}\n`);
      return 2;
    }
    for (const s of all) {
      const bad = problems(s);
      if (bad.length) failed++;
      console.log(`\n## ${s.scenario} (${s.seeds} seeds): ${bad.length ? bad.join('; ') : 'OK'}\n${report(s).join('\n')}`);
    }
  } else {
    const names = positionals.length ? positionals : scenarioNames();
    for (const name of names) {
      let scenario;
      try {
        ({ scenario } = loadScenario(name));
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 2;
      }
      const t0 = performance.now();
      const perSeed = await runSeedMatrix(name, STANDINGS_STRATEGIES, seedList(scenario.seed + offset, k), { durationS, workers: 2, oracle: false });
      const s = standings(name, scenario.headline.metrics, perSeed, undefined, offset, cost);
      all.push(s);
      const bad = problems(s);
      if (bad.length) failed++;
      console.log(`\n## ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s, ${k} seeds from ${scenario.seed + offset}): ${bad.length ? bad.join('; ') : 'OK'}\n${report(s).join('\n')}`);
    }
  }
  if (values.readme) {
    try {
      writeReadme(values.readme, all);
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(all, null, 1)}\n`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
