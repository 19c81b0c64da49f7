/**
 * Routing quality metrics of a two-model router (weak = cheap, strong = expensive) on
 * per-prompt outcomes, after RouteLLM (Ong et al., 2024, "RouteLLM: Learning to Route
 * LLMs with Preference Data", §5.1):
 *
 *   q(s)    quality when the share s of prompts with the highest router score go to the
 *           strong model and the rest to the weak one: (Σ_strong s_i + Σ_weak w_i) / N
 *   PGR(s)  = (q(s) − q_weak) / (q_strong − q_weak)     performance gap recovered
 *   APGR    = ∫₀¹ PGR(s) ds                              area under the PGR curve
 *
 * Random routing gives q(s) = q_weak + s·(q_strong − q_weak), a straight line: APGR 0.5.
 * Prompts with equal router scores form one group that is routed in random order: the
 * curve is straight across the group (the expected value), so the area is exact, not a
 * sample of thresholds. The oracle scores each prompt by s_i − w_i.
 */

export interface OutcomePair {
  /** Score (1/0 for correct/incorrect) of the weak and the strong model. */
  readonly weak: number;
  readonly strong: number;
}

/** A point of the quality-vs-strong-share curve. */
export interface CurvePoint {
  /** Share of prompts sent to the strong model. */
  readonly share: number;
  /** Mean score at that share. */
  readonly quality: number;
}

export interface RoutingMetrics {
  readonly n: number;
  readonly qualityWeak: number;
  readonly qualityStrong: number;
  /** Area under the PGR curve (0.5 = random; NaN when q_strong = q_weak). */
  readonly apgr: number;
  /** Strong share needed for 80% / 95% of the strong model's quality (0 if the weak one reaches it). */
  readonly shareAt80: number;
  readonly shareAt95: number;
  /** Strong share needed to recover 50% / 80% of the gap (RouteLLM's CPT(50%), CPT(80%)). */
  readonly shareAtGap50: number;
  readonly shareAtGap80: number;
  readonly curve: readonly CurvePoint[];
}

/**
 * The curve for routing by `score` (higher = more deserving of the strong model):
 * one point per group of equal scores, from share 0 (all weak) to 1 (all strong).
 */
export function qualityCurve(pairs: readonly OutcomePair[], score: readonly number[]): CurvePoint[] {
  const n = pairs.length;
  if (n === 0) throw new Error('qualityCurve: no outcomes');
  if (score.length !== n) throw new Error(`qualityCurve: ${n} outcomes but ${score.length} scores`);
  for (let i = 0; i < n; i++) if (Number.isNaN(score[i]!)) throw new Error(`qualityCurve: score[${i}] is NaN`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
  let sum = 0;
  for (const p of pairs) sum += p.weak;
  const points: CurvePoint[] = [{ share: 0, quality: sum / n }];
  let k = 0;
  while (k < n) {
    const s = score[order[k]!]!;
    while (k < n && score[order[k]!]! === s) {
      const p = pairs[order[k]!]!;
      sum += p.strong - p.weak;
      k++;
    }
    points.push({ share: k / n, quality: sum / n });
  }
  return points;
}

/** Oracle scores: the strong model's gain on each prompt. */
export function oracleScores(pairs: readonly OutcomePair[]): number[] {
  return pairs.map((p) => p.strong - p.weak);
}

/** Smallest share at which the (piecewise linear) curve reaches `target` quality; 1 if never. */
export function shareToReach(curve: readonly CurvePoint[], target: number): number {
  if (curve[0]!.quality >= target) return 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    if (b.quality >= target) return a.share + ((target - a.quality) / (b.quality - a.quality)) * (b.share - a.share);
  }
  return 1;
}

/** APGR and the strong-share thresholds of routing `pairs` by `score`. */
export function routingMetrics(pairs: readonly OutcomePair[], score: readonly number[]): RoutingMetrics {
  const curve = qualityCurve(pairs, score);
  const qualityWeak = curve[0]!.quality;
  const qualityStrong = curve[curve.length - 1]!.quality;
  const gap = qualityStrong - qualityWeak;
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    area += ((a.quality + b.quality) / 2 - qualityWeak) * (b.share - a.share);
  }
  return {
    n: pairs.length,
    qualityWeak,
    qualityStrong,
    apgr: gap === 0 ? NaN : area / gap,
    shareAt80: shareToReach(curve, 0.8 * qualityStrong),
    shareAt95: shareToReach(curve, 0.95 * qualityStrong),
    shareAtGap50: shareToReach(curve, qualityWeak + 0.5 * gap),
    shareAtGap80: shareToReach(curve, qualityWeak + 0.8 * gap),
    curve,
  };
}

/**
 * Where a router with a fixed strong share `share` stands against the baselines on the
 * same prompts: random at that share is the straight line between all-weak and all-strong.
 */
export function pgrAt(quality: number, qualityWeak: number, qualityStrong: number): number {
  return (quality - qualityWeak) / (qualityStrong - qualityWeak);
}
