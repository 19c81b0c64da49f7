import type { StrategySummary } from './contract.js';

/**
 * A latency percentile at the router's total deadline is not a measurement: those requests
 * were cut off there (timeouts), so it reads "≥ 20,000 ms (N timeouts)", never as a plain
 * number. HDR histograms (3 significant digits) and timer slack put a cut-off request a
 * little below or above the deadline: within DEADLINE_SLACK of it counts as at it.
 */

export const DEADLINE_SLACK = 0.005;

export function atDeadline(ms: number, deadlineMs: number | undefined): boolean {
  return deadlineMs !== undefined && deadlineMs > 0 && ms >= deadlineMs * (1 - DEADLINE_SLACK);
}

/** Requests that ended at the total deadline (errorsByKind.timeout), rounded (a multi-seed mean may be fractional). */
export function timeouts(s: StrategySummary): number {
  return Math.round(s.errorsByKind?.timeout ?? 0);
}

/**
 * "≥ 20,000 ms (3 timeouts)" (`unit` false: "≥ 20,000 (3 timeouts)"), or undefined when ms is
 * below the deadline or no request timed out there (then it is a measured latency after all).
 */
export function deadlineText(ms: number, s: StrategySummary, deadlineMs: number | undefined, unit = true): string | undefined {
  if (!atDeadline(ms, deadlineMs)) return undefined;
  const n = timeouts(s);
  if (n === 0) return undefined;
  return `≥ ${deadlineMs!.toLocaleString('en-US')}${unit ? ' ms' : ''} (${n} timeout${n === 1 ? '' : 's'})`;
}
