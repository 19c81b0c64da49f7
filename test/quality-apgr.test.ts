import { describe, expect, it } from 'vitest';
import { oracleScores, qualityCurve, routingMetrics, shareToReach } from '../simulator/apgr.js';

// 4 prompts: the strong model gains on #0 and #1, loses on #2, ties on #3.
const PAIRS = [
  { weak: 0, strong: 1 },
  { weak: 0, strong: 1 },
  { weak: 1, strong: 0 },
  { weak: 1, strong: 1 },
];

describe('APGR (RouteLLM)', () => {
  it('random routing (all scores equal) is the straight line: APGR exactly 0.5', () => {
    const m = routingMetrics(PAIRS, [0, 0, 0, 0]);
    expect(m.curve).toEqual([
      { share: 0, quality: 0.5 },
      { share: 1, quality: 0.75 },
    ]);
    expect(m.apgr).toBe(0.5);
  });

  it('the oracle sends the gainers first; its curve rises above all-strong, so APGR > 1', () => {
    const m = routingMetrics(PAIRS, oracleScores(PAIRS));
    // shares 0, .5 (both gainers), .75 (the tie), 1 (the loser)
    expect(m.curve.map((p) => p.quality)).toEqual([0.5, 1, 1, 0.75]);
    // area over q_weak: .5·(0.25) + .25·(.5) + .25·(.375) = .34375; gap .25
    expect(m.apgr).toBeCloseTo(0.34375 / 0.25, 12);
    expect(m.qualityWeak).toBe(0.5);
    expect(m.qualityStrong).toBe(0.75);
  });

  it('the reverse of the oracle is below random', () => {
    expect(routingMetrics(PAIRS, oracleScores(PAIRS).map((s) => -s)).apgr).toBeLessThan(0.5);
  });

  it('strong share to reach a quality interpolates along the curve', () => {
    const curve = qualityCurve(PAIRS, [0, 0, 0, 0]);
    expect(shareToReach(curve, 0.5)).toBe(0);
    expect(shareToReach(curve, 0.625)).toBeCloseTo(0.5, 12);
    expect(shareToReach(curve, 0.9)).toBe(1);
    const m = routingMetrics(PAIRS, oracleScores(PAIRS));
    expect(m.shareAt95).toBeCloseTo(0.2125, 12); // 0.95 · 0.75 = 0.7125 on the segment (0, .5) → (.5, 1)
    expect(m.shareAt80).toBeCloseTo(0.1, 12); // 0.6
    expect(m.shareAtGap50).toBeCloseTo(0.125, 12); // q_weak + gap/2 = 0.625 on the same segment
  });

  it('rejects mismatched lengths, NaN scores and empty input', () => {
    expect(() => routingMetrics(PAIRS, [0, 0])).toThrow(/4 outcomes but 2 scores/);
    expect(() => routingMetrics(PAIRS, [0, NaN, 0, 0])).toThrow(/score\[1\] is NaN/);
    expect(() => routingMetrics([], [])).toThrow(/no outcomes/);
  });

  it('no gap between the models: APGR is NaN, not a division by zero', () => {
    expect(routingMetrics([{ weak: 1, strong: 1 }], [0]).apgr).toBeNaN();
  });
});
