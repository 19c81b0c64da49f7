/**
 * Pareto front for "lower is better" on both axes (p99 latency and cost per 1k ok requests).
 * A point p is dominated when some q has q.x <= p.x and q.y <= p.y, strictly better in one:
 * no one should pick p, because q is at least as fast and as cheap. O(n^2): n = strategies.
 */
export interface XY {
  x: number;
  y: number;
}

/** Indices of the non-dominated points, ordered by x (then y) so they can be joined by a line. */
export function paretoFront(points: readonly XY[]): number[] {
  const front: number[] = [];
  points.forEach((p, i) => {
    const dominated = points.some((q, j) => j !== i && q.x <= p.x && q.y <= p.y && (q.x < p.x || q.y < p.y));
    if (!dominated) front.push(i);
  });
  return front.sort((a, b) => points[a]!.x - points[b]!.x || points[a]!.y - points[b]!.y);
}
