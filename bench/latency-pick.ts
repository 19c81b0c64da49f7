/**
 * Micro-benchmark of the latency strategy's pick (router/strategies/latency.ts), one
 * configuration per process: in one process the shared p2cIndex and the strategies' load
 * closures turn polymorphic and whichever side runs second pays for it (measured: plain P2C
 * 0.088 µs/pick in a process that also ran the memory variant, 0.052-0.058 alone). Run sides
 * alternately in fresh processes, e.g. the default (P2C with memory, load^0.5, issue 20)
 * against plain P2C with the linear load term (the rule before):
 *
 *   for i in 1 2 3 4 5; do npx tsx bench/latency-pick.ts; npx tsx bench/latency-pick.ts --params '{"memory":false,"loadExponent":1}'; done
 *
 * Prints the median µs per pick of 7 timed rounds of --picks picks over --candidates sampled
 * hosts (rising price, latency and load), after 2 warm-up rounds.
 */
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { seededRandom } from '../router/core/random.js';
import type { Strategy } from '../router/core/strategy.js';
import type { Candidate, RouteRequest } from '../router/core/types.js';
import { latencyStrategy } from '../router/strategies/latency.js';

const USAGE = "usage: npx tsx bench/latency-pick.ts [--params '{...}'] [--picks N] [--candidates N]";
const parsed = scriptArgs(process.argv.slice(2), { params: { type: 'string', default: '{}' }, picks: { type: 'string' }, candidates: { type: 'string' } }, USAGE);
if (typeof parsed === 'number') process.exit(parsed);
const picks = Number(parsed.values.picks ?? 1_000_000);
const n = Number(parsed.values.candidates ?? 4);
for (const [k, v] of [['--picks', picks], ['--candidates', n]] as const)
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`${k} takes a positive integer\n${USAGE}\n`);
    process.exit(2);
  }
let strategy: Strategy;
try {
  strategy = latencyStrategy.create(latencyStrategy.params.parse(JSON.parse(parsed.values.params)), {});
} catch (e) {
  process.stderr.write(`--params: ${(e as Error).message}\n${USAGE}\n`);
  process.exit(2);
}

/** n sampled hosts of rising price, latency and load (the snapshot a busy router hands a pick). */
function candidates(count: number): Candidate[] {
  return Array.from({ length: count }, (_, i) => {
    const recent = Array.from({ length: 10 }, (_, j) => 350 + 50 * i + 10 * j);
    return {
      endpoint: { id: `ep-${i}`, provider: `p${i}`, model: 'm', upstreamModel: 'm', weight: 1, price: { input: 0.1 * (i + 1), output: 0.4 * (i + 1) } },
      health: { state: 'healthy', available: true, until: null, slowStart: 1, ejections: 0 },
      stats: {
        successRate: 0.99 - 0.01 * i,
        latencyMs: 400 + 50 * i,
        inFlight: 2 + i,
        priceFactor: 1,
        recentLatenciesMs: recent,
        recentMeanMs: recent.reduce((a, b) => a + b, 0) / recent.length,
        lastSuccessAt: 0,
        lastFailureAt: null,
      },
    };
  }) as unknown as Candidate[];
}

const cands = candidates(n);
let sink = 0;
function time(): number {
  const ctx = { now: 0, random: seededRandom(7) };
  const req = { model: 'm' } as RouteRequest;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < picks; i++) {
    ctx.now = i;
    sink += strategy.pick(cands, req, ctx).index + 1;
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / picks;
}
time();
time();
const xs = Array.from({ length: 7 }, time).sort((a, b) => a - b);
console.log(`latency ${parsed.values.params}: ${n} candidates, ${picks} picks x 7 rounds: median ${xs[3]!.toFixed(4)} µs/pick (${sink > 0 ? 'ok' : ''})`);
