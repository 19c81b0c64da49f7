/**
 * Micro-benchmark behind a hot-path choice in router/strategies/adaptive.ts: its per-pick
 * temporaries (mean score, shares' inputs, the shares array) live in fields and the weight
 * callback is allocated once, instead of locals captured by a closure made per pick. Run:
 *
 *   npx tsx bench/adaptive-pick.ts [--rounds 15] [--picks 300000] [--candidates 4]
 *
 * The variant ("locals") is the real strategy with only pick() replaced: the same refresh,
 * the same share formulas, but with the temporaries as locals and a closure per pick. Both
 * see the same candidates and the same seeded draws; interleaved rounds (the order
 * alternates); prints µs per pick, the median of the per-round differences and in how many
 * rounds the fields version was faster. A/A (fields against fields) is printed too, as the
 * noise floor.
 */
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { seededRandom } from '../router/core/random.js';
import type { Pick, PickContext, Strategy } from '../router/core/strategy.js';
import type { Candidate, RouteRequest } from '../router/core/types.js';
import { adaptiveStrategy } from '../router/strategies/adaptive.js';
import { pickCandidates } from './pick-candidates.js';
import { weightedIndex } from '../router/strategies/weights.js';

const USAGE = 'usage: npx tsx bench/adaptive-pick.ts [--rounds N] [--picks N] [--candidates N]';
const parsed = scriptArgs(process.argv.slice(2), { rounds: { type: 'string' }, picks: { type: 'string' }, candidates: { type: 'string' } }, USAGE);
if (typeof parsed === 'number') process.exit(parsed);
const rounds = Number(parsed.values.rounds ?? 15);
const picks = Number(parsed.values.picks ?? 300_000);
const n = Number(parsed.values.candidates ?? 4);
for (const [k, v] of [['--rounds', rounds], ['--picks', picks], ['--candidates', n]] as const)
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`${k} takes a positive integer\n${USAGE}\n`);
    process.exit(2);
  }

function candidates(): Candidate[] {
  return pickCandidates(n, 'closed');
}

type Internals = {
  p: { floor: number; explore: number; select: 'swrr' | 'random' };
  states: Map<string, { score: number | null; explore: boolean; picks: number }>;
  swrr: { pick(c: readonly Candidate[], w: (c: Candidate, i: number) => number): number };
  refresh(c: Candidate, now: number): { score: number | null; explore: boolean };
};

/**
 * Both variants run without floorByPrice, the dominance factor, the price gap and hang
 * detection: the locals variant predates them (one floor for all; scores as refresh left them),
 * and the two must agree pick for pick.
 * Everything else is the default. "defaults" (timed too, compared with nothing) is the strategy
 * as shipped, for before/after runs of a change.
 */
const PARAMS = { floorByPrice: false, dominated: { factor: 1 }, priceGap: { k: 0 }, hang: { factor: 1 } };

/** The same strategy with pick() using locals and a closure per pick. */
function localsVariant(): Strategy {
  const s = adaptiveStrategy.create(adaptiveStrategy.params.parse(PARAMS), {}) as Strategy & Internals;
  s.pick = function (this: Strategy & Internals, cands: readonly Candidate[], _r: RouteRequest, ctx: PickContext): Pick {
    const m = cands.length;
    let known = 0;
    let sum = 0;
    let restKnownSum = 0;
    let restUnknown = 0;
    let exploring = 0;
    for (let i = 0; i < m; i++) {
      const st = this.refresh(cands[i]!, ctx.now);
      if (st.explore) exploring += 1;
      if (st.score !== null) {
        known += 1;
        sum += st.score;
        if (!st.explore) restKnownSum += st.score;
      } else if (!st.explore) restUnknown += 1;
    }
    const meanScore = known > 0 ? sum / known : 1;
    const totalScore = sum + (m - known) * meanScore;
    const floorShare = Math.min(this.p.floor, 1 / m);
    const restCount = m - exploring;
    const restScore = restKnownSum + restUnknown * meanScore;
    const baseShare = (st: { score: number | null }): number =>
      floorShare + (1 - m * floorShare) * (totalScore > 0 ? (st.score ?? meanScore) / totalScore : 1 / m);
    let rest = 1;
    if (exploring > 0) {
      let taken = 0;
      for (let i = 0; i < m; i++) {
        const st = this.states.get(cands[i]!.endpoint.id)!;
        if (st.explore) taken += Math.max(baseShare(st), this.p.explore);
      }
      rest = Math.max(0, 1 - taken);
    }
    const shares = new Array<number>(m);
    const weightOf = (c: Candidate, i: number): number => {
      const st = this.states.get(c.endpoint.id)!;
      let share: number;
      if (st.explore) share = Math.max(baseShare(st), this.p.explore);
      else {
        const free = Math.max(0, rest - restCount * floorShare);
        share = floorShare + free * (restScore > 0 ? (st.score ?? meanScore) / restScore : 1 / restCount);
      }
      const w = share * c.health.slowStart;
      shares[i] = w;
      return w;
    };
    let index = this.p.select === 'swrr' ? this.swrr.pick(cands, weightOf) : weightedIndex(cands, ctx.random, weightOf);
    if (index < 0) index = 0;
    this.states.get(cands[index]!.endpoint.id)!.picks += 1;
    return { index, scores: shares, reason: 'adaptive weights from success rate, latency and cost' };
  };
  return s;
}

const fieldsVariant = (): Strategy => adaptiveStrategy.create(adaptiveStrategy.params.parse(PARAMS), {});

let sink = 0;
/** µs per pick; time advances 1 ms per pick, so scores are re-derived every 1,000 picks as in a busy router. */
function time(s: Strategy, cands: Candidate[]): number {
  const ctx = { now: 0, random: seededRandom(7) };
  const req = { model: 'm' } as RouteRequest;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < picks; i++) {
    ctx.now = i;
    sink += s.pick(cands, req, ctx).index;
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / picks;
}

// The two must agree pick for pick before they are timed.
{
  const a = fieldsVariant();
  const b = localsVariant();
  const ca = candidates();
  const cb = candidates();
  const ra = { now: 0, random: seededRandom(3) };
  const rb = { now: 0, random: seededRandom(3) };
  for (let i = 0; i < 20_000; i++) {
    ra.now = rb.now = i;
    const pa = a.pick(ca, { model: 'm' } as RouteRequest, ra);
    const pb = b.pick(cb, { model: 'm' } as RouteRequest, rb);
    if (pa.index !== pb.index || JSON.stringify(pa.scores) !== JSON.stringify(pb.scores)) throw new Error(`variants disagree at pick ${i}`);
  }
}

const sides = {
  fields: fieldsVariant(),
  locals: localsVariant(),
  fields2: fieldsVariant(),
  defaults: adaptiveStrategy.create(adaptiveStrategy.params.parse({}), {}),
};
const cands = candidates();
for (const s of Object.values(sides)) time(s, cands); // warm-up
const t: Record<keyof typeof sides, number[]> = { fields: [], locals: [], fields2: [], defaults: [] };
const order: Array<keyof typeof sides> = ['fields', 'locals', 'fields2', 'defaults'];
for (let r = 0; r < rounds; r++) {
  const o = r % 2 === 0 ? order : [...order].reverse();
  for (const k of o) t[k].push(time(sides[k], cands));
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const diff = t.locals.map((x, i) => x - t.fields[i]!);
const aa = t.fields2.map((x, i) => x - t.fields[i]!);
console.log(
  `${n} candidates, ${picks} picks x ${rounds} rounds: fields ${median(t.fields).toFixed(3)} µs/pick, locals ${median(t.locals).toFixed(3)} µs/pick; ` +
    `locals - fields: median ${median(diff).toFixed(3)} µs [min ${Math.min(...diff).toFixed(3)}, max ${Math.max(...diff).toFixed(3)}], ` +
    `fields faster in ${diff.filter((d) => d > 0).length}/${rounds} rounds; A/A (fields - fields) median ${median(aa).toFixed(3)} µs; ` +
    `defaults ${median(t.defaults).toFixed(3)} µs/pick (${sink > 0 ? 'ok' : ''})`,
);
