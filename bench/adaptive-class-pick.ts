/**
 * What adaptive's prompt classes (classAware 'declared', the default) cost per pick: 4
 * candidates, time advancing 1 ms per pick (scores re-derived every 1,000 picks), three cases:
 * no endpoint declares classes; one does but the request declares no class (the default's only
 * extra work: one property read); the request declares a class that 3 of 4 fit (the pool is
 * built and the scores mapped back). Prints the median µs per pick over the rounds. Run:
 *
 *   npx tsx bench/adaptive-class-pick.ts [--rounds 7] [--picks 300000]
 */
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { seededRandom } from '../router/core/random.js';
import type { Strategy } from '../router/core/strategy.js';
import type { Candidate, RouteRequest } from '../router/core/types.js';
import { pickCandidates } from './pick-candidates.js';
import { adaptiveStrategy } from '../router/strategies/adaptive.js';

const USAGE = 'usage: npx tsx bench/adaptive-class-pick.ts [--rounds N] [--picks N]';
const parsed = scriptArgs(process.argv.slice(2), { rounds: { type: 'string' }, picks: { type: 'string' } }, USAGE);
if (typeof parsed === 'number') process.exit(parsed);
const rounds = Number(parsed.values.rounds ?? 7);
const picks = Number(parsed.values.picks ?? 300_000);
for (const [k, v] of [['--rounds', rounds], ['--picks', picks]] as const)
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`${k} takes a positive integer\n${USAGE}\n`);
    process.exit(2);
  }

/** 4 healthy candidates; the first declares `classes` (the rest: fit for all). */
const candidates = (classes: string[]): Candidate[] => pickCandidates(4, 'healthy', (i) => (i === 0 ? classes : []));

let sink = 0;
function time(cs: Candidate[], req: RouteRequest): number {
  const s = adaptiveStrategy.create(adaptiveStrategy.params.parse({}), {}) as Strategy;
  const ctx = { now: 0, random: seededRandom(7) };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < picks; i++) {
    ctx.now = i;
    sink += s.pick(cs, req, ctx).index;
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / picks;
}

const cases: Array<[string, Candidate[], RouteRequest]> = [
  ['no endpoint declares classes', candidates([]), { model: 'm' }],
  ['one declares classes, the request none', candidates(['general']), { model: 'm' }],
  ['the request declares math, 3 of 4 fit', candidates(['general']), { model: 'm', promptClass: 'math' }],
];
for (const [name, cs, req] of cases) {
  const xs = Array.from({ length: rounds }, () => time(cs, req)).sort((a, b) => a - b);
  console.log(`${name.padEnd(40)} ${xs[xs.length >> 1]!.toFixed(3)} µs/pick (median of ${rounds})`);
}
if (sink < 0) console.log(sink);
