import { FAILURE_KINDS, type FailureKind, type ProviderProfileInput } from '../profile.js';
import { fitBursty, type BurstyFit } from './fit-bursty.js';
import { fitLoad, type LoadFit } from './fit-load.js';
import { CalibrateError, type Observation } from './observations.js';
import { jointIfBetter, margin, type JointModel } from './joint.js';
import { modelCdf, modelQuantile, selectLognormal, type LognormalModel } from './mixture.js';
import { fitLognormal, fitShiftedLognormal, ksCritical, ksOneSample, lognormalCdf, median, wilson, type Interval } from './stats.js';

/**
 * Fits one provider profile (simulator/profile.ts) to the observations of one endpoint:
 *
 *   ttft        lognormal, maximum likelihood, on successful streamed observations; or,
 *               when BIC prefers it (mixture.ts selectLognormal), a shifted lognormal (a
 *               floor, ttft.shiftMs) or a mixture of up to `maxComponents` lognormals
 *               fitted by EM (ttft.mixture)
 *   throughput  per-request ms per output token, (e2e − ttft) / outputTokens, lognormal:
 *               tokensPerSecond = 1000 / its median, jitter = its σ (the model draws
 *               perToken = 1000/tps · e^(jitter·z)); a mixture (throughput.mixture) when
 *               BIC prefers it, as decode speed often comes in a few discrete speeds
 *   answerTokens lognormal of the output tokens of successes
 *   failures    error rate (Wilson 95% interval), weights by kind, a Gilbert–Elliott
 *               fit where timestamps allow (fit-bursty.ts), Retry-After = median of the
 *               ones seen on 429s
 *   capacity    load dependence where concurrency is known (fit-load.ts); else none
 *
 * Each fitted distribution reports its sample size and in-sample KS distance with the
 * 5% critical value 1.36/√n. Below MIN_SAMPLES a distribution is refused (an error for
 * TTFT, which a profile cannot do without; a fallback with a warning otherwise); below
 * WARN_SAMPLES it is fitted with a warning.
 */

export const MIN_SAMPLES = 5;
export const WARN_SAMPLES = 30;

export interface DistFit {
  readonly name: 'ttft_ms' | 'ms_per_token' | 'output_tokens';
  readonly n: number;
  readonly median: number;
  readonly sigma: number;
  /** The floor of a shifted lognormal (0: plain). */
  readonly shift: number;
  /** The model chosen by BIC (one lognormal, shifted, or a mixture); absent for plain fits. */
  readonly model?: LognormalModel;
  readonly ks: number;
  readonly critical: number;
  /** The data, for QQ/ECDF plots. */
  readonly sample: readonly number[];
}

export interface ErrorFit {
  readonly n: number;
  readonly failures: number;
  readonly rate: number;
  readonly interval: Interval;
  readonly byKind: Partial<Record<FailureKind, number>>;
}

export interface ProfileFit {
  readonly group: string;
  readonly profile: ProviderProfileInput;
  readonly dists: DistFit[];
  readonly errors: ErrorFit;
  readonly bursty: BurstyFit | null;
  readonly load: LoadFit | null;
  /** TTFT and decode speed fitted jointly (null: independently). */
  readonly joint: JointModel | null;
  readonly retryAfterMs: number | null;
  readonly warnings: string[];
}

const sig = (x: number, d = 4): number => (Number.isFinite(x) ? Number(x.toPrecision(d)) : x);

/** Default largest mixture size tried for TTFT and decode speed (--max-components). */
export const MAX_COMPONENTS = 3;

/** A fit chosen by BIC among lognormal, shifted lognormal and mixtures (mixture.ts). */
function selected(name: DistFit['name'], xs: number[], opts: { shift?: boolean; maxComponents?: number }): DistFit {
  const m = selectLognormal(xs, { shift: opts.shift !== false, maxComponents: opts.maxComponents ?? MAX_COMPONENTS });
  if (m.kind !== 'mixture') return dist(name, xs, m.kind === 'shifted');
  return mixtureDist(name, xs, m);
}

function mixtureDist(name: DistFit['name'], xs: number[], m: LognormalModel): DistFit {
  return {
    name,
    n: m.n,
    median: modelQuantile(m, 0.5),
    sigma: fitLognormal(xs).sigma,
    shift: 0,
    model: m,
    ks: ksOneSample(xs, (x) => modelCdf(m, x)),
    critical: ksCritical(m.n),
    sample: xs,
  };
}

function dist(name: DistFit['name'], xs: number[], shifted = false): DistFit {
  const f = shifted ? fitShiftedLognormal(xs) : { ...fitLognormal(xs), shift: 0 };
  return {
    name,
    n: f.n,
    median: f.median,
    sigma: f.sigma,
    shift: f.shift,
    ks: ksOneSample(xs, (x) => lognormalCdf(x - f.shift, f.mu, f.sigma)),
    critical: ksCritical(f.n),
    sample: xs,
  };
}

/** `openai/gpt 4o` → `openai/gpt-4o` (a valid profile id). */
export function profileId(group: string): string {
  return group.replace(/[^A-Za-z0-9._:/-]+/g, '-').replace(/^-+|-+$/g, '') || 'calibrated';
}

/** `shift: false` fits a plain lognormal TTFT (no floor), e.g. when the truth is known to have none. */
export function fitProfile(group: string, obs: readonly Observation[], where: string, opts: { shift?: boolean; maxComponents?: number } = {}): ProfileFit {
  const warnings: string[] = [];
  const oks = obs.filter((o) => o.ok);
  if (oks.length === 0) throw new CalibrateError(`${where}: ${group}: no successful request (${obs.length} failures): nothing to fit latencies to`);
  const ttfts = oks.map((o) => o.ttftMs).filter((t): t is number => t !== null && t > 0);
  if (ttfts.length < MIN_SAMPLES)
    throw new CalibrateError(
      `${where}: ${group}: ${ttfts.length} successful requests with a TTFT, need at least ${MIN_SAMPLES}` +
        (ttfts.length < oks.length ? ' (only streamed requests show a TTFT: send some stream: true traffic)' : ''),
    );
  const warnSmall = (what: string, n: number): void => {
    if (n < WARN_SAMPLES) warnings.push(`${group}: ${what} fitted on ${n} samples (< ${WARN_SAMPLES}): wide uncertainty`);
  };

  // Load dependence first: with it, the TTFT median and sigma are the zero-load ones.
  const withLoad: Array<[number, number]> = [];
  for (const o of obs) if (o.ok && o.ttftMs !== null && o.ttftMs > 0 && o.load != null) withLoad.push([o.ttftMs, o.load]);
  const load = withLoad.length >= MIN_SAMPLES ? fitLoad(withLoad.map((x) => x[0]), withLoad.map((x) => x[1])) : null;

  // TTFT and decode speed of the same requests: jointly (joint.ts) when BIC says they are
  // not independent. With load dependence the TTFT stays one lognormal (its zero-load median and σ).
  const paired = oks.filter((o) => o.ttftMs !== null && o.ttftMs > 0 && o.e2eMs !== null && o.outputTokens !== null && o.outputTokens >= 1 && o.e2eMs > o.ttftMs);
  const perToken = paired.map((o) => (o.e2eMs! - o.ttftMs!) / o.outputTokens!);
  const maxComponents = opts.maxComponents ?? MAX_COMPONENTS;
  const joint: JointModel | null =
    !load?.significant && maxComponents > 1 && paired.length >= MIN_SAMPLES
      ? jointIfBetter(paired.map((o) => o.ttftMs!), perToken, { shift: opts.shift !== false, maxComponents })
      : null;
  const ttft = load?.significant
    ? dist('ttft_ms', ttfts, opts.shift !== false)
    : joint !== null
      ? mixtureDist('ttft_ms', ttfts, margin(joint, 'ttft'))
      : selected('ttft_ms', ttfts, opts);
  warnSmall('TTFT', ttft.n);
  const ttftMedian = load?.significant ? load.medianMs! : ttft.median;
  const ttftSigma = load?.significant ? load.sigma! : ttft.sigma;

  let throughput: { tokensPerSecond: number; jitter: number; mixture?: Array<{ weight: number; tokensPerSecond: number; jitter: number }> };
  const dists: DistFit[] = [ttft];
  if (perToken.length >= MIN_SAMPLES) {
    const d = joint !== null ? mixtureDist('ms_per_token', perToken, margin(joint, 'perToken')) : selected('ms_per_token', perToken, { shift: false, maxComponents: opts.maxComponents });
    dists.push(d);
    warnSmall('ms per token', d.n);
    throughput = { tokensPerSecond: sig(1000 / d.median), jitter: sig(d.sigma) };
    if (d.model !== undefined && joint === null)
      throughput = { ...throughput, mixture: d.model.components.map((c) => ({ weight: sig(c.weight), tokensPerSecond: sig(1000 / Math.exp(c.mu)), jitter: sig(c.sigma) })) };
  } else {
    warnings.push(`${group}: ${perToken.length} requests with TTFT, end-to-end latency and output tokens (< ${MIN_SAMPLES}): decode speed not fitted, set to 1000 tokens/s`);
    throughput = { tokensPerSecond: 1000, jitter: 0 };
  }

  const outs = oks.map((o) => o.outputTokens).filter((t): t is number => t !== null && t >= 1);
  let answerTokens = { median: 200, sigma: 0.6, max: 4096 };
  if (outs.length >= MIN_SAMPLES) {
    const d = dist('output_tokens', outs);
    dists.push(d);
    answerTokens = { median: sig(d.median), sigma: sig(d.sigma), max: Math.max(...outs) };
  } else warnings.push(`${group}: ${outs.length} output token counts (< ${MIN_SAMPLES}): answerTokens left at the default`);

  const byKind: Partial<Record<FailureKind, number>> = {};
  for (const o of obs) if (!o.ok && o.kind !== null) byKind[o.kind] = (byKind[o.kind] ?? 0) + 1;
  const failures = obs.length - oks.length;
  const errors: ErrorFit = { n: obs.length, failures, rate: failures / obs.length, interval: wilson(failures, obs.length), byKind };

  const bursty = fitBursty(obs);
  const retryAfters = obs.filter((o) => o.kind === 'rate_limited_429' && o.retryAfterMs !== null).map((o) => o.retryAfterMs!);
  const retryAfterMs = retryAfters.length > 0 ? median(retryAfters) : null;

  const kinds = Object.fromEntries(FAILURE_KINDS.filter((k) => byKind[k]).map((k) => [k, byKind[k]!]));
  const profile: ProviderProfileInput = {
    id: profileId(group),
    model: 'chat',
    provider: profileId(group).split(/[/_]/)[0],
    description: `calibrated from ${where}`,
    ttft:
      joint !== null
        ? {
            medianMs: sig(ttftMedian),
            sigma: sig(ttftSigma),
            mixture: joint.components.map((c) => ({
              weight: sig(c.weight),
              medianMs: sig(Math.exp(c.mu1)),
              sigma: sig(c.s1),
              tokensPerSecond: sig(1000 / Math.exp(c.mu2)),
              jitter: sig(c.s2),
              rho: sig(c.rho, 3),
            })),
          }
        : ttft.model !== undefined
        ? { medianMs: sig(ttftMedian), sigma: sig(ttftSigma), mixture: ttft.model.components.map((c) => ({ weight: sig(c.weight), medianMs: sig(Math.exp(c.mu)), sigma: sig(c.sigma) })) }
        : load?.significant || ttft.shift === 0
          ? { medianMs: sig(ttftMedian), sigma: sig(ttftSigma) }
          : { medianMs: sig(ttftMedian), sigma: sig(ttftSigma), shiftMs: sig(ttft.shift) },
    throughput,
    answerTokens,
    capacity: load?.significant
      ? { maxConcurrent: load.maxConcurrent, queue: load.maxConcurrent * 4, fullStatus: 429, slowdown: sig(load.slowdown) }
      : { maxConcurrent: 100_000, queue: 0, fullStatus: 429, slowdown: 0 },
    failures: {
      baseErrorRate: sig(bursty ? bursty.baseErrorRate : errors.rate),
      ...(bursty ? { bursty: { meanGoodS: sig(bursty.meanGoodS), meanBadS: sig(bursty.meanBadS), badErrorRate: sig(bursty.badErrorRate), stepMs: bursty.stepMs } } : {}),
      kinds,
      retryAfterMs: retryAfterMs ?? 1000,
    },
    // Not measured by a latency log: set them before comparing costs or quality.
    price: { input: 0, output: 0 },
    quality: { coding: 1, math: 1, reasoning: 1, writing: 1, general: 1 },
  };
  return { group, profile, dists, errors, bursty, load, joint, retryAfterMs, warnings };
}
