import { appendFileSync } from 'node:fs';
import { wallClock } from '../core/clock.js';
import type { RouterEvent } from '../core/events.js';

/**
 * A debugging aid, off unless the environment variable LLM_ROUTER_HEALTH_TRACE names a file:
 * one JSON line per health transition and per failed or probe attempt, appended to that
 * file, from every proxy process (and, in scenario sim mode, from every simulated replica),
 * so the health timelines of several replicas can be laid side by side (which replica
 * ejected an endpoint, when its ejection ended, which probe brought it back).
 * Each line: the event's fields plus `wallMs` (epoch ms) and the caller's `extra` (pid,
 * replica, label). A line is one append (O_APPEND): lines from several processes do not mix.
 */
export const HEALTH_TRACE_ENV = 'LLM_ROUTER_HEALTH_TRACE';

export function healthTraceFile(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const f = env[HEALTH_TRACE_ENV];
  return f ? f : undefined;
}

/**
 * The listener that writes the trace (null: tracing is off). A file it cannot write (a missing
 * directory, no permission) is said once on `warn` (stderr by default), naming the file, and
 * the trace stops: routing never notices.
 */
export function healthTracer(
  file: string | undefined,
  extra: Record<string, unknown>,
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ((e: RouterEvent) => void) | null {
  if (file === undefined) return null;
  let broken = false;
  return (e) => {
    if (broken || !traced(e)) return;
    try {
      appendFileSync(file, `${JSON.stringify({ ...extra, wallMs: wallClock.nowMs(), ...e, ...(e.type === 'attempt-end' ? { usage: undefined } : {}) })}\n`);
    } catch (err) {
      broken = true;
      warn(`${HEALTH_TRACE_ENV}: cannot write ${file} (${(err as Error).message}); health trace off`);
    }
  };
}

/** Health transitions, probes (start and end) and failed attempts: what a health timeline needs. */
function traced(e: RouterEvent): boolean {
  if (e.type === 'health') return true;
  if (e.type === 'attempt-start') return e.reason === 'probe';
  return e.type === 'attempt-end' && (e.reason === 'probe' || !e.ok);
}
