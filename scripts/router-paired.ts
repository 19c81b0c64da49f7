/**
 * One strategy on one scenario under two router configs, paired by seed (sim): each side's mean
 * [95% t interval] and the paired difference B - A, for p99, error rate, cost per 1k ok,
 * attempts per request, attempt cost per 1k ok, wasted USD and goodput (within the scenario's p99 SLO):
 *   npx tsx scripts/router-paired.ts <scenario> [--strategy S] [--a JSON] [--b JSON] [--seeds K] [--seed-offset N]
 * --a / --b: router sections merged over the scenario's own, one level deep (e.g.
 * '{"hedging":{"enabled":true,"maxDelayMs":1000}}'). Exits 2 on bad input.
 */
import type { RouterConfigInput } from '../router/core/config.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { scenarioRouterConfig } from '../scenarios/setup/router-config.js';
import { metricOf, tInterval } from '../scenarios/stats/confidence.js';
import { loadForScript, simOnce } from './sim-once.js';

const USAGE = "usage: npx tsx scripts/router-paired.ts <scenario> [--strategy S] [--a '{\"hedging\":{...}}'] [--b JSON] [--seeds K] [--seed-offset N]";
const KEYS = ['latencyMs.p99', 'errorRate', 'costPer1kOk', 'attemptsPerRequest', 'attemptCostPer1kOk', 'wastedUsd', 'goodputRps', 'qualityOk'];

/** `base` with each section of `over` merged over it (one level deep). */
function merged(base: RouterConfigInput, over: Record<string, unknown>): RouterConfigInput {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' ? { ...b, ...v } : v;
  }
  return out as unknown as RouterConfigInput;
}

async function main(): Promise<number> {
  const args = scriptArgs(
    process.argv.slice(2),
    {
      strategy: { type: 'string', default: 'adaptive' },
      a: { type: 'string', default: '{}' },
      b: { type: 'string', default: '{}' },
      seeds: { type: 'string', default: '10' },
      'seed-offset': { type: 'string', default: '0' },
    },
    USAGE,
  );
  if (typeof args === 'number') return args;
  const { values, positionals } = args;
  const seeds = Number(values.seeds);
  const offset = Number(values['seed-offset']);
  let sides: Record<string, unknown>[];
  try {
    sides = [values.a, values.b].map((j) => JSON.parse(j) as Record<string, unknown>);
    if (sides.some((o) => o === null || typeof o !== 'object' || Array.isArray(o))) throw new Error('expected a JSON object');
  } catch (e) {
    process.stderr.write(`--a/--b: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (positionals.length !== 1 || !Number.isInteger(seeds) || seeds < 2 || !Number.isInteger(offset) || offset < 0) {
    process.stderr.write(`expected one scenario, --seeds >= 2, --seed-offset >= 0\n${USAGE}\n`);
    return 2;
  }
  const s = loadForScript(positionals[0]!);
  if (s === 2) return 2;
  const strategy = values.strategy;
  const base = scenarioRouterConfig(s.scenario, s.providers, strategy);
  const xs: Record<string, [number[], number[], number[]]> = {};
  for (let i = 0; i < seeds; i++) {
    const seed = s.scenario.seed + offset + i;
    const res = [];
    for (const side of sides) {
      try {
        res.push((await simOnce(s, strategy, seed, { oracle: false, goodputSloMs: s.sloMs, router: merged(base, side) })).result);
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        return 2;
      }
    }
    for (const k of KEYS) {
      const a = metricOf(res[0]!, k);
      const b = metricOf(res[1]!, k);
      if (a === undefined || b === undefined) continue;
      const e = (xs[k] ??= [[], [], []]);
      e[0].push(a);
      e[1].push(b);
      e[2].push(b - a);
    }
  }
  const f = (v: ReturnType<typeof tInterval>): string => `${v.mean.toPrecision(4)} [${v.lo.toPrecision(4)}, ${v.hi.toPrecision(4)}]`;
  console.log(`${s.scenario.name}, ${strategy}, seeds ${s.scenario.seed + offset}..${s.scenario.seed + offset + seeds - 1}; A = ${values.a}, B = ${values.b}`);
  for (const [k, [a, b, d]] of Object.entries(xs)) console.log(`  ${k.padEnd(19)} A ${f(tInterval(a))}   B ${f(tInterval(b))}   B - A ${f(tInterval(d))}`);
  return 0;
}

process.exitCode = await main();
