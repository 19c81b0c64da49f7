/**
 * adaptive: weights re-derived from what each endpoint actually did, so traffic drifts away
 * from endpoints that fail, slow down or cost more, and comes back when they recover.
 *
 * Every `intervalMs` (lazily: on the first pick after the interval passed; per endpoint id)
 * the observed inputs are smoothed and turned into a score:
 *   sr  <- s * sr  + (1 - s) * successRate        (s = params.smoothing; first sample taken as is)
 *   lat <- s * lat + (1 - s) * latencyMs
 *   lat' = max(lat, inFlight / pickRate)   (stallSignal, when inFlight >= stallMinInFlight)
 *   score = sr^a / (max(lat', 1 ms)^b * max(price, priceFloor)^c)   (x endpoint weight with useWeight;
 *           x dominated.factor when dominated, below)
 * with a, b, c = params.exponents.{successRate, latency, cost} (default 18, 3, 4.5) and price the
 * current blended price. Power laws are scale-free, so milliseconds and USD/1M need no
 * normalising. useWeight is off by default: with the weight as a prior, adaptive put 54-77% of
 * outage-failover's traffic on its weight-3 host before it hung, and lost significantly more
 * goodput than round-robin (-0.88 req/s over 10 seeds; -0.32, not significant, without it).
 * Why these defaults (sim, paired seeds; npm run standings): with 3, 1, 0.5 a peer baseline
 * dominated adaptive in 8 of 12 scenarios, mostly on cost (OpenRouter's 1/price^2 and Envoy's
 * weights were as fast and cheaper) and on errors (a host failing 40% of its streams kept 0.6^3
 * of its share). 12, 2, 3 scaled by 1.5 (sharper: closer to the best host) took adaptive from
 * dominated in 3 scenarios to 1 (stream-faults) on seeds 1..10 and from 2 to 1 on held-out seeds
 * (+100, npm run standings -- --seed-offset 100); x2 was no better and x1.33 on latency alone
 * cost trace-replay (OpenRouter cheaper). The stall term (Little's law: inFlight = rate x latency) moves traffic off a
 * host that hangs or slows down within ~2 s instead of after its first slow reply lands
 * (~10 s in brownout), since adaptive knows its own pick rate per endpoint.
 *
 * The latency observed each interval (params.latencySignal 'recent', the default) is the mean of the
 * endpoint's last 10 successful latencies, or the peak-EWMA when that is larger and the endpoint's
 * latest outcome was a failure (a timeout still makes it look slow at once); the peak-EWMA alone
 * before the first success. Why not the peak-EWMA alone ('peak-ewma'): it jumps to each slower
 * sample and decays over 10 s, so a host taking 25 req/s reads near its recent maximum while one
 * taking 3 req/s reads near its median: the busiest host looked slower than it was. In
 * stream-faults that kept 10-15% on steady-a, slower and dearer than steady-b, and LiteLLM's mean
 * of the last 10 (herding onto steady-b) dominated adaptive on p99 and cost.
 *
 * Hang detection (params.hang): the stall term above only fires once a hang is older than the
 * host's latency (~1 s in outage-failover) and then waits for the next re-derivation, halved by
 * smoothing. The stats keep, per endpoint, the start of the latest-started attempt that got an
 * answer (a stream's first byte, a JSON reply) and the start of the 4th attempt started after it
 * (unansweredSinceAt). When that 4th attempt has waited more than max(2 x the host's answer lag,
 * 250 ms) with no answer to it or any later start, the host is hung: its score is multiplied by
 * hang.factor (0: it keeps its floor share) at once, not at the next interval, until a newer start
 * answers. Slow replies to requests sent before the hang do not hide it (they started earlier).
 * Measured (npm run standings, 10 paired seeds; the README's standings): outage-failover goodput
 * against round-robin went from -0.59 req/s [-0.79, -0.39] to +0.81 [0.69, 0.94] (held out, +100:
 * from -0.44 [-0.75, -0.13] to +0.89 [0.65, 1.13]); requests slower than the SLO in the 5 s after
 * the hang (npx tsx scripts/phase-outcomes.ts outage-failover): 1,079 -> 225 (round-robin 715);
 * brownout's p99 9.6 -> 6.3 s. A first version without the quorum (any 4+ in flight and the
 * latest answered start older than the limit) cut quiet hosts on natural TTFT tails: in
 * stream-faults LiteLLM then dominated adaptive (p99 +765 ms [377, 1152], cost per 1k ok
 * +0.0047 [0.0029, 0.0065]); with the quorum stream-faults is unchanged. lagFactor 3 gained less
 * (+0.56 [0.44, 0.69]; brownout 8.4 s). The requests sent to a host before it counts as hung are
 * the router's to move, not a pick's: hedging.onHang (router/request/try.ts, on by default with
 * adaptive) hedges them elsewhere by the same rule (brownout p99 6.3 -> 4.0 s; README).
 *
 * Dominated endpoints (params.dominated): a non-exploring endpoint whose latency and price are
 * both at least `margin` times those of another non-exploring one whose success rate is no
 * worse (within 0.01) has its score multiplied by `factor` (default x0.5 at 1.2x): one host
 * slower and dearer than another is not worth a proportional share. Checked when scores are
 * re-derived (O(n^2) over the candidates then), never per pick.
 *
 * Measured (npm run standings, seeds 1..10 and held-out +100): with both, adaptive is dominated by
 * no peer in any scenario (before: stream-faults, both seed sets) and beats round-robin on
 * brownout's p99 too; 'recent' alone did the first but lost flash-crowd's held-out lead over
 * round-robin (0.66 req/s [-0.14, 1.44]).
 *
 * Price gap (params.priceGap): a candidate dearer than margin x the cheapest candidate present
 * has its score multiplied by exp(-k x ln(price / (margin x cheapest))^2) (default k 100, margin
 * 1.5: x1 within 1.5x, x0.015 at 1.84x, x0.0003 at 2x; k 0 = off), computed when the aggregates
 * are (re-derivation or a new candidate set), never per pick. Why: with exponents 3 and 4.5 a
 * host 1.84x dearer matches at 2.5x the speed, so in rate-limit-storm groq (1.84x openai's price,
 * 3.7x its tokens/s) took 36% of the picks whenever gemini sat out a 1-2 s cooldown, 9% of all
 * before 20 s; that filled groq's 60 s TPM window, so after its limit dropped its first 429 said
 * come back in ~40 s, and openai's failures had nowhere else to go (a request that fails on a host
 * fails there again). Measured (npm run standings, 10 paired seeds; held out +100): errors 0.154%
 * -> 0.058%, now ahead of round-robin by 0.083 points [0.036, 0.130] (held out 0.096% -> 0.017%,
 * +0.088 [0.027, 0.149]); price-shift's cost per 1k ok 0.266 -> 0.202; replicas-outage's goodput
 * 29.54 -> 29.44 req/s (its cheap host is capped by a router RPM limit); no peer dominates
 * adaptive anywhere. k 32 beyond 1.25x reached 0.029% but cost flash-crowd (hosts 1.5x apart) its
 * held-out lead over round-robin.
 *
 * Long answers (params.length): the latency signal is the mean of recent answers, mostly short
 * (trace-replay's median is 13 tokens), so it hides how fast a host streams: openai-mini at 75
 * tokens/s looks nearly as fast as groq at 275, and a 300-token answer there takes 4 s. The stats
 * keep per endpoint its decode time per output token (an EWMA of (latency - ttft) / (tokens - 1))
 * and the mean length of the recent answers behind its latency. A request whose maxTokens m
 * exceeds minRatio (1.5) x the candidates' mean recent answer length is long: for that pick each
 * candidate's predicted time for this answer is t = lat + max(0, m - its mean answer) x its ms per
 * token, and its score (success rate, latency, price, dominance, hang: as for any pick) is
 * multiplied by (lat / t)^a, a = exponents.latency (3), so its latency term becomes t's, then by
 * (tMin / t)^(latencyExponent - a), latencyExponent 16, tMin the least t of the pick: over all,
 * the score falls as t^-16, so a host whose t is longer, because it decodes slower or because
 * its latency rose (a queue), always scores lower. (A first version multiplied by (lat / t)^9
 * alone, which, at equal decode rates, favoured the host with the HIGHER latency, lat^6 / t^9:
 * in flash-crowd it sent long answers to queued hosts, held-out p99 +614 ms [16, 1213], and
 * LiteLLM's lowest latency dominated adaptive.) Then by
 * gap^(lat / t - 1), i.e. the price gap factor
 * is raised to lat / t instead of 1 (gapExponent 'ratio'): the gap keeps a dear fast host from
 * taking answers its speed barely shortens, and fades as the answer grows and its speed becomes
 * most of the latency. Both factors are 1 at t = lat, so a request just past the threshold is
 * weighed almost as a short one. Floors as for any pick; the shared SWRR evens out the shares
 * over short and long picks. Short requests, and every request while no candidate has a decode
 * rate yet, are picked exactly as without it (one comparison per pick). maxTokens is a cap the
 * caller sets, not the answer's length: a caller that always sends a large max_tokens gets all its
 * picks weighed by decode rate. In the simulator a request's maxTokens is its answer's length, so
 * the measured gain is what exact declared lengths buy (scenario load.maxTokens 'exact'); with
 * 'pow2' (lengths rounded up to a power of two) the trace-replay gain is as large, with 'none' nil.
 * Measured (npm run standings, 10 paired seeds; held out -- --seed-offset 100; the README):
 * trace-replay goodput against round-robin -0.067 req/s [-0.136, 0.002] -> +0.152 [0.066, 0.238]
 * (held out -0.003 [-0.093, 0.086] -> +0.167 [0.061, 0.273]). Tuned on trace-replay and
 * rate-limit-storm, both seed sets looked at: the gap kept whole with exponent 3, +0.02; the gap
 * dropped for long picks (exponent 6: +0.137 [0.038, 0.236]) spent groq's token quota before
 * rate-limit-storm's limit drop as the price gap's header paragraph describes (errors 0.058% ->
 * 0.103%, its lead over round-robin gone); the fading gap with exponent 6, +0.078 [-0.044, 0.201].
 *
 * An endpoint with no latency sample yet is scored at the mean latency of those with one (its
 * own success rate and price still count; with none sampled anywhere, all at 1 ms: by price).
 * At pick time, over the n present candidates:
 *   f_i     = min(floor, 1/n) x (cheapest price / price_i)   (floorByPrice; else min(floor, 1/n))
 *   share_i = f_i + (1 - Σ f) * score_i / Σ score      (nothing starves)
 *   explorers (never observed, half-open, ramping up with slowStart < 1, or ejected since the
 *   last look; not those whose window merely emptied) get max(share_i, explore x the same
 *   price ratio); the others
 *   split what is left:
 *   share_i = f_i + (rest - Σ_others f) * score_i / Σ_others score
 *   w_i     = share_i * slowStart_i
 * then SWRR (default) or a weighted draw over w. An endpoint ejected since the last look
 * also forgets its smoothed history, so old failures do not keep it down after recovery.
 *
 * Prompt classes (params.classAware, default 'declared'): when the request carries a class the
 * caller declared (request.promptClass) and some candidate declares endpoint.classes, adaptive
 * picks among the candidates fit for it (classes empty or containing it) that are healthy and
 * not hung; when none of those is fit, or all of them are (the class excludes nothing), among
 * every candidate, exactly as without classes. The scoring above then runs over the pool
 * (states shared, one SWRR per class). A request without a declared class is picked as before
 * (one property read). 'classify' also labels undeclared requests with the router's text
 * classifier (once per request: ~15 µs of CPU in the proxy, npx tsx bench/classify.ts); `true`
 * means 'classify' (its meaning before 'declared' existed); false: classes are ignored.
 * Why 'declared' and not 'classify' by default (npm run standings, 10 paired seeds; held out:
 * -- --seed-offset 100; 'classify' on): mixed-workload's quality rose from 72.9% to 84.1%
 * [83.5, 84.7], +4.7 points [4.1, 5.3] ahead of round-robin, but quality-cost's cost per 1k ok
 * went from 0.142 to 3.50 (its MMLU prompts classify 70% math or coding, which only the dear
 * model declares; round-robin 2.64), and prefix-cache became dominated by OpenRouter's price
 * weighting (the harness derives endpoint classes from profile quality >= 0.8 where a scenario
 * declares none). A class the caller states is a fact about the request; a label guessed from
 * the text is not, and routing every guessed-hard prompt to a 20x dearer model is a cost the
 * caller did not ask for. The scenario harness sends a request's class only where the scenario
 * says its clients declare it (load.declareClass; it then requires every endpoint to declare
 * its classes), so derived classes never narrow adaptive's picks. Measured with 'declared' (same
 * commands; mixed-workload declares its classes): quality 72.9% -> 84.2%, +4.7 points [4.2, 5.3]
 * ahead of round-robin (held out +5.2 [4.4, 6.1]), at p99 4.8 -> 11.1 s and cost per 1k ok
 * 0.097 -> 1.16 (round-robin 10.8 s, 0.99); no peer dominates it once quality counts in the
 * dominance test (Envoy's least request: 3.0 s faster, 0.49 cheaper, 7.3 points [6.6, 8.0]
 * fewer acceptable answers); the other 13 scenarios are bit-identical on both seed sets. Per
 * pick (npx tsx bench/adaptive-class-pick.ts, 4 candidates): ~0.15 µs without a declared class,
 * as before 'declared' (0.172 against 0.173 µs, 10 interleaved rounds against the code before),
 * ~0.4-0.6 µs when a declared class narrows the pool.
 */
import { z } from 'zod';
import { defaultClassifier } from '../classifier/index.js';
import {
  assertCandidates,
  registerStrategy,
  type Classifier,
  type Pick,
  type PickContext,
  type Strategy,
  type StrategyDefinition,
  type StrategyDeps,
} from '../core/strategy.js';
import type { Candidate, RouteRequest, StatsSnapshot } from '../core/types.js';
import { fitForClass, requestClassOf } from './prompt-class.js';
import { SmoothWeightedRoundRobin } from './swrr.js';
import { currentPrice, recentLatency } from './util.js';
import { weightedIndex } from './weights.js';

const exponents = z.strictObject({
  successRate: z.number().finite().min(0).max(32).default(18),
  latency: z.number().finite().min(0).max(16).default(3),
  cost: z.number().finite().min(0).max(16).default(4.5),
});

const params = z.strictObject({
  /**
   * How often weights are re-derived (ms of the injected clock). 500 took brownout's p99 from
   * 10.9 to 10.4 s (then significantly ahead of round-robin) but let OpenRouter dominate adaptive
   * in outage-failover and trace-replay (npm run standings, seeds 1..10).
   */
  intervalMs: z.number().finite().positive().default(1_000),
  /** Minimum share per endpoint (capped at 1/n). */
  floor: z.number().min(0).max(0.5).default(0.005),
  /** Share given to endpoints with no recent samples or that just recovered. */
  explore: z.number().min(0).max(1).default(0.1),
  exponents: exponents.default({ successRate: 18, latency: 3, cost: 4.5 }),
  /** EWMA factor per re-derivation: 0 = use the latest observation only. */
  smoothing: z.number().min(0).lt(1).default(0.5),
  /** Prices below this (USD per 1M tokens) count as this, so free endpoints do not divide by 0. */
  priceFloor: z.number().finite().positive().default(0.01),
  /** How to draw over the derived weights. */
  select: z.enum(['swrr', 'random']).default('swrr'),
  /**
   * Read stalls from in-flight counts (Little's law): an endpoint holding more requests than
   * its pick rate explains looks as slow as inFlight / pickRate, before any slow reply lands.
   */
  stallSignal: z.boolean().default(true),
  /** Multiply each score by the endpoint's configured weight (the operator's prior; see the header). */
  useWeight: z.boolean().default(false),
  /** In-flight requests below this never count as a stall (a few stragglers are normal). */
  stallMinInFlight: z.number().int().min(1).default(4),
  /**
   * Scale each endpoint's floor share by cheapest price / its price, so keeping a dear endpoint
   * probed costs no more than keeping a cheap one probed (quality-cost: a 0.5% floor on a host 33x
   * dearer added 16% to the cost per 1k ok, and OpenRouter's 1/price^2 dominated adaptive).
   */
  floorByPrice: z.boolean().default(true),
  /** The latency each interval observes: 'recent' (mean of the last 10 successes; see the header) or 'peak-ewma'. */
  latencySignal: z.enum(['recent', 'peak-ewma']).default('recent'),
  /** Score factor for an endpoint slower and dearer than another by at least margin x (factor 1 = off). */
  dominated: z
    .strictObject({ factor: z.number().min(0).max(1).default(0.5), margin: z.number().min(1).max(100).default(1.2) })
    .default({ factor: 0.5, margin: 1.2 }),
  /**
   * Hang detection (see the header): an endpoint where 4 attempts started after its latest-started
   * answered one and even the 4th has waited more than max(lagFactor x its answer lag, minMs)
   * without an answer has its score multiplied by `factor` at once, until an answer arrives
   * (factor 1 = off). Checked per pick only when due (recheckMs while hung).
   */
  hang: z
    .strictObject({
      factor: z.number().min(0).max(1).default(0),
      lagFactor: z.number().min(1).max(100).default(2),
      minMs: z.number().finite().min(0).default(250),
      recheckMs: z.number().finite().positive().default(100),
    })
    .default({ factor: 0, lagFactor: 2, minMs: 250, recheckMs: 100 }),
  /**
   * Prompt classes (see the header): 'declared' (default) picks among the healthy, not hung
   * candidates fit for the class the caller declared (request.promptClass) when some candidate
   * declares endpoint.classes, or among all when none or all of them are fit or the request
   * declares no class; 'classify' also labels undeclared requests with the router's classifier
   * (once per request); true = 'classify' (its meaning before 'declared'); false = off.
   */
  classAware: z.union([z.enum(['declared', 'classify']), z.boolean()]).default('declared'),
  /**
   * Price gap (see the header): a candidate dearer than margin x the cheapest present one has its
   * score multiplied by exp(-k x ln(price / (margin x cheapest))^2) (k 0 = off).
   */
  priceGap: z
    .strictObject({ k: z.number().finite().min(0).max(1000).default(100), margin: z.number().min(1).max(100).default(1.5) })
    .default({ k: 100, margin: 1.5 }),
  /**
   * Long answers (see the header): a request whose maxTokens exceeds minRatio x the mean length of
   * the candidates' recent answers is weighed by its own predicted latency on each candidate,
   * t = lat + (maxTokens - that candidate's recent mean answer) x its decode ms per token: its
   * score x (lat / t)^exponents.latency x (tMin / t)^(latencyExponent - exponents.latency), tMin
   * the pick's least t (so the score falls as t^-latencyExponent), with the price gap factor raised to gapExponent ('ratio':
   * lat / t, so the gap fades as the answer grows; 1: all of it; 0: none). enabled false: off.
   */
  length: z
    .strictObject({
      enabled: z.boolean().default(true),
      minRatio: z.number().finite().min(1).max(1000).default(1.5),
      latencyExponent: z.number().finite().min(0).max(32).default(16),
      gapExponent: z.union([z.literal('ratio'), z.number().min(0).max(1)]).default('ratio'),
    })
    .default({ enabled: true, minRatio: 1.5, latencyExponent: 16, gapExponent: 'ratio' }),
});

type Params = z.output<typeof params>;

/** What adaptive remembers about one endpoint id. */
interface EndpointState {
  derivedAt: number;
  /** Smoothed success rate and latency; null before the first observation. */
  sr: number | null;
  lat: number | null;
  /** The latency the score uses (lat, or the stall estimate when larger); null: no sample yet. */
  latEff: number | null;
  /** sr^a / price^c (x weight): the score before the latency term. */
  base: number;
  /** The price the score and the floor use (USD per 1M, at least priceFloor). */
  price: number;
  /** This pick's floor share, and cheapest price / own price (1 without floorByPrice). */
  floor: number;
  priceRatio: number;
  /** Derived score; null while nothing can be scored yet (no latency seen on any candidate). */
  score: number | null;
  /** The score before the dominance factor (set on re-derivation; null without a latency). */
  raw: number | null;
  explore: boolean;
  ejections: number;
  /** Picks of this endpoint since derivedAt, and the smoothed picks per ms. */
  picks: number;
  rate: number | null;
  /** Hang detection: whether the endpoint looks hung, and when to look again (clock ms). */
  hung: boolean;
  hangCheckAt: number;
  /** Long answers: decode ms per output token and mean recent answer length (null: unknown). */
  decode: number | null;
  out: number | null;
  /** The price gap factor and the score before it (set with the aggregates). */
  gap: number;
  preGap: number;
}

/** Is s slower and dearer than some other non-exploring candidate by margin x, at no better success rate? */
function isDominated(s: EndpointState, cur: readonly EndpointState[], n: number, margin: number): boolean {
  const lat = s.latEff!;
  const sr = s.sr ?? 1;
  for (let j = 0; j < n; j++) {
    const t = cur[j]!;
    if (t === s || t.explore || t.latEff === null) continue;
    if (t.latEff * margin <= lat && t.price * margin <= s.price && (t.sr ?? 1) >= sr - 0.01) return true;
  }
  return false;
}

class Adaptive implements Strategy {
  readonly name = 'adaptive';
  private readonly states = new Map<string, EndpointState>();
  private readonly swrr = new SmoothWeightedRoundRobin();
  // Per-pick scratch (set in pick, read by weightOf) so the weight callback is allocated once.
  // Measured, kept: the same pick with these as locals captured by a closure made per pick
  // cost +1.5 µs per pick (0.75 -> 2.67 µs/pick median, slower in 15/15 interleaved rounds,
  // A/A -0.03 µs; 4 candidates, `npx tsx bench/adaptive-pick.ts`), though `shares` is a new
  // array per pick either way (it is returned as the pick's scores).
  private meanScore = 1;
  private totalScore = 1;
  /** Sum of the floor shares, of all candidates and of the non-exploring ones. */
  private floorSum = 0;
  private restFloor = 0;
  private count = 1;
  /** Mass left for non-exploring endpoints, their count and their score sum. */
  private rest = 1;
  private restCount = 1;
  private restScore = 1;
  private shares: number[] = [];
  /** Long answers: a request is long above longOver tokens; the means unknown values take. */
  private longOver = Infinity;
  private meanLat = 1;
  private meanDecode = 0;
  private meanOut = 0;
  /** This pick's long-answer weights (when `long`). */
  private long = false;
  private readonly longW: number[] = [];
  /** This pick's states, by candidate index; whether this pick re-derived any. */
  private readonly cur: EndpointState[] = [];
  private refreshed = false;
  private readonly weightOf = (c: Candidate, i: number): number => {
    const w = (this.long ? this.longW[i]! : this.share(this.cur[i]!)) * c.health.slowStart;
    this.shares[i] = w;
    return w;
  };

  /** Class-aware picks: the classifier (loaded on first need), labels per request, a SWRR per class pool. */
  private classifier: Classifier | undefined;
  private readonly classOf = requestClassOf(() => (this.classifier ??= this.deps.classifier ?? defaultClassifier()));
  private readonly poolSwrr = new Map<string, SmoothWeightedRoundRobin>();
  private readonly pool: Candidate[] = [];
  private readonly poolIndex: number[] = [];

  /** params.classAware normalised: true is 'classify'. */
  private readonly classMode: 'declared' | 'classify' | false;

  constructor(
    private readonly p: Params,
    private readonly deps: StrategyDeps = {},
  ) {
    this.classMode = p.classAware === true ? 'classify' : p.classAware;
  }

  pick(candidates: readonly Candidate[], request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    const mode = this.classMode;
    const label = mode === 'classify' || (mode === 'declared' && request.promptClass) ? this.classPool(candidates, request) : null;
    if (label === null) return this.pickAmong(candidates, ctx, this.swrr, null, request.maxTokens);
    let swrr = this.poolSwrr.get(label);
    if (swrr === undefined) this.poolSwrr.set(label, (swrr = new SmoothWeightedRoundRobin()));
    const picked = this.pickAmong(this.pool, ctx, swrr, label, request.maxTokens);
    // Back to the caller's indices; endpoints outside the pool were not considered (NaN).
    const scores = new Array<number>(candidates.length).fill(Number.NaN);
    const idx = this.poolIndex;
    for (let j = 0; j < idx.length; j++) scores[idx[j]!] = picked.scores![j]!;
    return { index: idx[picked.index]!, scores, reason: picked.reason };
  }

  /**
   * The request's class pool (the declared class, else the classifier's label; 'declared' mode
   * only calls this with a declared class): null (use every candidate) when no candidate declares classes, or
   * when none or all of the healthy, not hung candidates are fit for the class; else the label,
   * with this.pool / this.poolIndex set to the candidates (and their indices) that are fit for it
   * (classes empty or containing it), healthy and not hung.
   */
  private classPool(candidates: readonly Candidate[], request: RouteRequest): string | null {
    const n = candidates.length;
    let declared = false;
    for (let i = 0; i < n; i++)
      if (candidates[i]!.endpoint.classes.length > 0) {
        declared = true;
        break;
      }
    if (!declared) return null;
    const label = this.classOf(request).label;
    const pool = this.pool;
    const idx = this.poolIndex;
    pool.length = 0;
    idx.length = 0;
    let healthy = 0;
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!;
      if (c.health.state !== 'healthy' || this.states.get(c.endpoint.id)?.hung === true) continue;
      healthy += 1;
      if (!fitForClass(c.endpoint, label)) continue;
      pool.push(c);
      idx.push(i);
    }
    // The class narrows nothing when every healthy candidate is fit: pick as without classes.
    return pool.length === 0 || pool.length === healthy ? null : label;
  }

  private pickAmong(candidates: readonly Candidate[], ctx: PickContext, swrr: SmoothWeightedRoundRobin, label: string | null, maxTokens: number | undefined): Pick {
    const n = candidates.length;
    const cur = this.cur;
    // Pass 1: refresh stale states. The aggregates (aggregate, below) change only when a state
    // is re-derived or the candidate set changes: otherwise the last pick's are reused (most
    // picks: one Map lookup per candidate, no more).
    this.refreshed = false;
    let same = cur.length === n;
    if (!same) cur.length = n;
    for (let i = 0; i < n; i++) {
      const s = this.refresh(candidates[i]!, ctx.now);
      if (cur[i] !== s) same = false;
      cur[i] = s;
    }
    if (!same || this.refreshed) this.aggregate(n);
    this.long = maxTokens !== undefined && maxTokens > this.longOver;
    if (this.long) this.longWeights(n, maxTokens!);
    this.shares = new Array<number>(n);
    let index: number;
    if (this.p.select === 'swrr') {
      index = swrr.pick(candidates, this.weightOf);
      if (index < 0) index = 0;
    } else {
      index = weightedIndex(candidates, ctx.random, this.weightOf);
    }
    cur[index]!.picks += 1;
    const reason = this.long ? 'adaptive weights from success rate, latency and cost; long answer: latency with its decode time' : 'adaptive weights from success rate, latency and cost';
    return { index, scores: this.shares, reason: label === null ? reason : `class ${label}: ${n} fit; ${reason}` };
  }

  /** The aggregates over this.cur that the shares read. */
  private aggregate(n: number): void {
    const cur = this.cur;
    // The cheapest price and the mean latency of those with a sample.
    let minPrice = Infinity;
    let latSum = 0;
    let latN = 0;
    for (let i = 0; i < n; i++) {
      const s = cur[i]!;
      if (s.price < minPrice) minPrice = s.price;
      if (s.latEff !== null) {
        latSum += s.latEff;
        latN += 1;
      }
    }
    // Pass 2: unsampled endpoints are scored at the mean latency (their own success rate and
    // price still count); floors; the known scores, split by exploring or not.
    const f0 = Math.min(this.p.floor, 1 / n);
    const e = this.p.exponents.latency;
    const { factor, margin } = this.p.dominated;
    const gapK = this.p.priceGap.k;
    for (let i = 0; i < n; i++) {
      const s = cur[i]!;
      if (s.latEff === null) continue;
      s.score = s.raw;
      if (factor < 1 && !s.explore && isDominated(s, cur, n, margin)) s.score = s.raw! * factor;
      if (s.hung) s.score = s.score! * this.p.hang.factor;
      s.preGap = s.score!;
      s.gap = gapK > 0 ? this.gapFactor(s.price, minPrice) : 1;
      s.score = s.score! * s.gap;
    }
    let known = 0;
    let sum = 0;
    let restKnownSum = 0;
    let restUnknown = 0;
    let exploring = 0;
    let floorSum = 0;
    let restFloor = 0;
    for (let i = 0; i < n; i++) {
      const s = cur[i]!;
      if (s.latEff === null) {
        s.preGap = latN > 0 ? s.base / Math.pow(Math.max(latSum / latN, 1), e) : s.base;
        s.gap = gapK > 0 ? this.gapFactor(s.price, minPrice) : 1;
        s.score = s.preGap * s.gap;
      }
      s.priceRatio = this.p.floorByPrice ? (minPrice / s.price) ** 2 : 1;
      s.floor = f0 * s.priceRatio;
      floorSum += s.floor;
      if (s.explore) exploring += 1;
      else restFloor += s.floor;
      if (s.score !== null) {
        known += 1;
        sum += s.score;
        if (!s.explore) restKnownSum += s.score;
      } else if (!s.explore) restUnknown += 1;
    }
    this.meanScore = known > 0 ? sum / known : 1;
    if (this.p.length.enabled) this.longAggregate(n, latN > 0 ? latSum / latN : null);
    this.totalScore = sum + (n - known) * this.meanScore;
    this.floorSum = floorSum;
    this.restFloor = restFloor;
    this.count = n;
    this.rest = 1;
    this.restCount = n - exploring;
    this.restScore = restKnownSum + restUnknown * this.meanScore;
    // Pass 3 (only while some endpoint explores): what the explorers take off the top.
    if (exploring > 0) {
      let taken = 0;
      for (let i = 0; i < n; i++) {
        const s = cur[i]!;
        if (s.explore) taken += Math.max(this.baseShare(s), this.p.explore * s.priceRatio);
      }
      this.rest = Math.max(0, 1 - taken);
    }
  }

  /**
   * Long answers: the means an unknown decode rate or answer length takes, and the length above
   * which a request counts as long (Infinity while no candidate has a latency, an answer length
   * and a decode rate: then every pick is as without length.enabled).
   */
  private longAggregate(n: number, meanLat: number | null): void {
    const cur = this.cur;
    let dSum = 0;
    let dN = 0;
    let oSum = 0;
    let oN = 0;
    for (let i = 0; i < n; i++) {
      const s = cur[i]!;
      if (s.decode !== null) {
        dSum += s.decode;
        dN += 1;
      }
      if (s.out !== null) {
        oSum += s.out;
        oN += 1;
      }
    }
    this.meanLat = meanLat ?? 1;
    this.meanDecode = dN > 0 ? dSum / dN : 0;
    this.meanOut = oN > 0 ? oSum / oN : 0;
    this.longOver = meanLat !== null && dN > 0 && oN > 0 ? this.p.length.minRatio * Math.max(this.meanOut, 1) : Infinity;
  }

  /**
   * This pick's weights for a long answer of up to m tokens: each candidate's latency becomes its
   * predicted time for this answer, t = lat + max(0, m - its mean answer) x its ms per token, so its
   * score is the pre-gap score x (lat / t)^exponents.latency x (tMin / t)^(latencyExponent -
   * exponents.latency) x gap^gapExponent ('ratio': lat / t), falling with t whatever lat is;
   * shares as baseShare's (floors, then the rest by score), over these.
   */
  private longWeights(n: number, m: number): void {
    const cur = this.cur;
    const w = this.longW;
    w.length = n;
    const b = this.p.length.latencyExponent;
    const ge = this.p.length.gapExponent;
    let sum = 0;
    const e = this.p.exponents.latency;
    let tMin = Infinity;
    for (let i = 0; i < n; i++) {
      const s = cur[i]!;
      const lat = Math.max(s.latEff ?? this.meanLat, 1);
      const t = lat + Math.max(0, m - (s.out ?? this.meanOut)) * (s.decode ?? this.meanDecode);
      w[i] = t;
      if (t < tMin) tMin = t;
    }
    for (let i = 0; i < n; i++) {
      const s = cur[i]!;
      const lat = Math.max(s.latEff ?? this.meanLat, 1);
      const t = w[i]!;
      const r = lat / t;
      const x = s.preGap * Math.pow(r, e) * Math.pow(tMin / t, Math.max(0, b - e)) * Math.pow(s.gap, ge === 'ratio' ? r : ge);
      w[i] = x;
      sum += x;
    }
    for (let i = 0; i < n; i++) {
      const s = cur[i]!;
      w[i] = s.floor + (1 - this.floorSum) * (sum > 0 ? w[i]! / sum : 1 / n);
    }
  }

  /** exp(-k x ln(price / (margin x cheapest))^2) beyond the margin, else 1 (see priceGap). */
  private gapFactor(price: number, minPrice: number): number {
    const { k, margin } = this.p.priceGap;
    const over = price / (margin * minPrice);
    if (over <= 1) return 1;
    const l = Math.log(over);
    return Math.exp(-k * l * l);
  }

  /** share_i = f_i + (1 - Σ f) * score_i / Σ score  (equal split when every score is 0). */
  private baseShare(s: EndpointState): number {
    const score = s.score ?? this.meanScore;
    const frac = this.totalScore > 0 ? score / this.totalScore : 1 / this.count;
    return s.floor + (1 - this.floorSum) * frac;
  }

  /**
   * Explorers get max(base share, explore). The others share what is left the same way:
   *   share_i = f_i + max(0, rest - Σ_others f) * score_i / Σ_others score
   * (with no explorers, rest = 1 and the others are all: exactly baseShare).
   */
  private share(s: EndpointState): number {
    if (s.explore) return Math.max(this.baseShare(s), this.p.explore * s.priceRatio);
    const free = Math.max(0, this.rest - this.restFloor);
    const score = s.score ?? this.meanScore;
    const frac = this.restScore > 0 ? score / this.restScore : 1 / this.restCount;
    return s.floor + free * frac;
  }

  /** Re-derive this endpoint's score when its interval has passed (or it is new / was ejected). */
  private refresh(c: Candidate, now: number): EndpointState {
    const id = c.endpoint.id;
    let s = this.states.get(id);
    const h = c.health;
    const ejectedSince = s !== undefined && h.ejections > s.ejections;
    if (s !== undefined && !ejectedSince && now - s.derivedAt < this.p.intervalMs) {
      // Between re-derivations only the hang check reads the stats, and only when due.
      if (now >= s.hangCheckAt && this.p.hang.factor < 1) this.checkHang(s, c.stats, now);
      return s;
    }
    this.refreshed = true;
    if (s === undefined || ejectedSince) {
      s = {
        derivedAt: now,
        sr: null,
        lat: null,
        latEff: null,
        base: 1,
        price: 1,
        floor: 0,
        priceRatio: 1,
        score: null,
        raw: null,
        explore: false,
        ejections: h.ejections,
        picks: 0,
        rate: null,
        hung: false,
        hangCheckAt: now,
        decode: null,
        out: null,
        gap: 1,
        preGap: 1,
      };
      this.states.set(id, s);
    }
    const st = c.stats;
    const k = this.p.smoothing;
    if (st.successRate !== null) s.sr = s.sr === null ? st.successRate : k * s.sr + (1 - k) * st.successRate;
    const obs = this.p.latencySignal === 'recent' ? recentLatency(st) : st.latencyMs;
    if (obs !== null) s.lat = s.lat === null ? obs : k * s.lat + (1 - k) * obs;
    const e = this.p.exponents;
    let lat = s.lat;
    if (this.p.stallSignal) {
      const dt = now - s.derivedAt;
      if (dt > 0) {
        const r = s.picks / dt;
        s.rate = s.rate === null ? r : k * s.rate + (1 - k) * r;
      }
      s.picks = 0;
      // Little's law: inFlight = rate x latency, so more in flight than the rate explains is a stall.
      if (st.inFlight >= this.p.stallMinInFlight && s.rate !== null && s.rate > 0) {
        const implied = st.inFlight / s.rate;
        if (lat === null || implied > lat) lat = implied;
      }
    }
    s.price = Math.max(currentPrice(c), this.p.priceFloor);
    s.decode = st.decodeMsPerToken ?? null;
    s.out = st.recentOutputTokens ?? null;
    s.base = Math.pow(s.sr ?? 1, e.successRate) / Math.pow(s.price, e.cost);
    if (this.p.useWeight) s.base *= c.endpoint.weight;
    s.latEff = lat;
    s.raw = lat === null ? null : s.base / Math.pow(Math.max(lat, 1), e.latency);
    s.score = s.raw;
    // Explore what was never observed (not what merely got no traffic lately: its window emptying
    // is not news), what was ejected since the last look, and what health is probing or ramping.
    s.explore = s.sr === null || ejectedSince || h.state === 'half-open' || h.slowStart < 1;
    s.derivedAt = now;
    s.ejections = h.ejections;
    if (this.p.hang.factor < 1) this.checkHang(s, st, now);
    return s;
  }

  /**
   * Hung: the 4th attempt started after the latest-started answered one (unansweredSinceAt) has
   * waited more than max(lagFactor x answer lag, minMs), and neither it nor any later one has
   * answered. Not hung: look again when that limit would pass (or in recheckMs while fewer than 4
   * wait); hung: every recheckMs (an answer to a newer start ends it).
   */
  private checkHang(s: EndpointState, st: StatsSnapshot, now: number): void {
    const hp = this.p.hang;
    const since = st.unansweredSinceAt;
    const lag = st.answerLagMs;
    let hung = false;
    let next = now + hp.recheckMs;
    if (since != null && lag != null) {
      const limit = since + Math.max(hp.lagFactor * lag, hp.minMs);
      hung = now > limit;
      if (!hung) next = limit;
    }
    s.hangCheckAt = next;
    if (hung !== s.hung) {
      s.hung = hung;
      this.refreshed = true;
    }
  }
}

export const adaptiveStrategy: StrategyDefinition<typeof params> = {
  name: 'adaptive',
  optimises: 'success rate, latency and cost together, re-weighted every interval with a floor and exploration',
  needs: 'windowed success rate, latency samples, prices',
  params,
  create: (p, deps) => new Adaptive(p, deps),
};

registerStrategy(adaptiveStrategy);
