import type { WorkloadRow } from './observations.js';
import { fitLognormal, ksCritical, ksOneSample, lognormalCdf } from './stats.js';

/**
 * The workload of the recorded client requests:
 *   - arrivals as a replayable trace (JSON lines in the mooncake trace format the
 *     scenario runner already reads: `{"timestamp": ms, "input_length", "output_length"}`),
 *     where the format has timestamps; a request whose token counts are unknown (it
 *     failed) gets the fitted medians;
 *   - arrivals as a fitted process: the mean rate, and the squared coefficient of
 *     variation of the gaps (≈ 1 for Poisson; > 1 bursty: Gamma with shape k = 1/CV²),
 *     with the KS distance of the gaps to the fitted exponential;
 *   - input/output token lognormals (median, σ, KS) and the stream share.
 */

export interface TokenFit {
  readonly n: number;
  readonly median: number;
  readonly sigma: number;
  readonly ks: number;
  readonly critical: number;
}

export interface WorkloadFit {
  readonly requests: number;
  readonly durationS: number | null;
  readonly arrivals: { kind: 'poisson' | 'gamma'; rate: number; shape?: number; cv2: number; ksExp: number; critical: number } | null;
  readonly inputTokens: TokenFit | null;
  readonly outputTokens: TokenFit | null;
  readonly streamShare: number | null;
  /** Trace lines (JSONL text), or null without timestamps. */
  readonly trace: string | null;
}

function tokens(xs: number[]): TokenFit | null {
  const f = fitLognormal(xs);
  if (f.n < 2) return null;
  return { n: f.n, median: f.median, sigma: f.sigma, ks: ksOneSample(xs, (x) => lognormalCdf(x, f.mu, f.sigma)), critical: ksCritical(f.n) };
}

export function fitWorkload(rows: readonly WorkloadRow[]): WorkloadFit {
  const ins = rows.map((r) => r.inputTokens).filter((t): t is number => t !== null && t > 0);
  const outs = rows.map((r) => r.outputTokens).filter((t): t is number => t !== null && t > 0);
  const inputTokens = tokens(ins);
  const outputTokens = tokens(outs);
  const streams = rows.filter((r) => r.stream !== null);
  const streamShare = streams.length ? streams.filter((r) => r.stream).length / streams.length : null;

  const timed = rows.filter((r) => r.arrivalMs !== null).sort((a, b) => a.arrivalMs! - b.arrivalMs!);
  let arrivals: WorkloadFit['arrivals'] = null;
  let trace: string | null = null;
  let durationS: number | null = null;
  if (timed.length >= 2) {
    const t0 = timed[0]!.arrivalMs!;
    durationS = (timed[timed.length - 1]!.arrivalMs! - t0) / 1000;
    const gaps = timed.slice(1).map((r, i) => r.arrivalMs! - timed[i]!.arrivalMs!);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    const v = gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length;
    const cv2 = mean > 0 ? v / mean ** 2 : 0;
    const rate = mean > 0 ? 1000 / mean : 0;
    const ksExp = ksOneSample(gaps, (x) => 1 - Math.exp(-x / mean));
    arrivals = cv2 > 1.2 ? { kind: 'gamma', rate, shape: 1 / cv2, cv2, ksExp, critical: ksCritical(gaps.length) } : { kind: 'poisson', rate, cv2, ksExp, critical: ksCritical(gaps.length) };
    const inMed = Math.round(inputTokens?.median ?? 1);
    const outMed = Math.round(outputTokens?.median ?? 1);
    trace = timed
      .map((r) =>
        JSON.stringify({
          timestamp: Math.round((r.arrivalMs! - t0) * 1000) / 1000,
          input_length: Math.round(r.inputTokens ?? inMed),
          output_length: Math.round(r.outputTokens ?? outMed),
        }),
      )
      .join('\n');
    trace += '\n';
  }
  return { requests: rows.length, durationS, arrivals, inputTokens, outputTokens, streamShare, trace };
}
