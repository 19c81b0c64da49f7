import type { CurvePoint } from '../simulator/apgr.js';
import { HEIGHT, top, WIDTH, type ChartSpec } from './specs-common.js';

/**
 * Quality vs the share of prompts sent to the strong model, one line per router (the
 * RouteLLM plot): random is the straight line from all-weak to all-strong; the area
 * between a router's curve and the all-weak level, over the strong–weak gap, is its APGR.
 */
export function qualityCurveChart(
  curves: ReadonlyArray<{ router: string; apgr: number; curve: readonly CurvePoint[] }>,
  subtitle: string,
): ChartSpec {
  const rows = curves.flatMap((c) => {
    const label = `${c.router} (APGR ${c.apgr.toFixed(3)})`;
    // At most ~200 points per line: the shape, not every prompt.
    const step = Math.max(1, Math.floor(c.curve.length / 200));
    return c.curve.filter((_, i) => i % step === 0 || i === c.curve.length - 1).map((p) => ({ router: label, share: p.share, quality: p.quality }));
  });
  return {
    id: 'quality-vs-strong-share',
    title: 'Quality vs strong-model share',
    spec: top({
      title: { text: 'Quality vs share of prompts sent to the strong model', subtitle },
      width: WIDTH,
      height: HEIGHT + 80,
      data: { values: rows },
      mark: { type: 'line' },
      encoding: {
        x: { field: 'share', type: 'quantitative', title: 'share of prompts sent to the strong model', axis: { format: '%' } },
        y: { field: 'quality', type: 'quantitative', title: 'share of correct answers', scale: { zero: false }, axis: { format: '%' } },
        color: { field: 'router', type: 'nominal', title: 'router' },
      },
    }),
  };
}
