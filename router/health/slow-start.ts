/**
 * Slow start (Envoy's slow_start_config, linear ramp): an endpoint that just recovered
 * gets a weight multiplier that grows from 10% to 100% over `slowStartMs`, so a cold or
 * barely-recovered upstream is not flooded with its full share at once.
 *
 *   factor(t) = 0.1 + 0.9 * min(1, (t - recoveredAt) / slowStartMs)
 */
export const SLOW_START_FLOOR = 0.1;

export function slowStartFactor(now: number, recoveredAt: number, slowStartMs: number): number {
  if (slowStartMs <= 0) return 1;
  const elapsed = now - recoveredAt;
  if (elapsed >= slowStartMs) return 1;
  if (elapsed <= 0) return SLOW_START_FLOOR;
  return SLOW_START_FLOOR + (1 - SLOW_START_FLOOR) * (elapsed / slowStartMs);
}
