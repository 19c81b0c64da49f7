import { addObservation, emptyResult, kindOfRouterOutcome, num, skip, type ReadResult } from './observations.js';

/**
 * The proxy's access log (router/http/access-log.ts documents the fields): one JSON line
 * per client request with its upstream attempts. Each attempt becomes an observation of
 * its endpoint; each line a workload row.
 *
 * TTFT is taken from streamed attempts only: a non-streamed answer's first byte comes
 * with the whole body, so its "TTFT" is its total latency. A malformed or partial line
 * is skipped and counted (the first few with their line numbers), never fatal.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function readRouterLog(text: string, file: string): ReadResult {
  const r = emptyResult(file);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const line = i + 1;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch {
      skip(r.skipped, line, 'not JSON (a partial line?)');
      continue;
    }
    if (!isObj(v)) {
      skip(r.skipped, line, 'not a JSON object');
      continue;
    }
    const t = typeof v.time === 'string' ? Date.parse(v.time) : NaN;
    if (!Number.isFinite(t)) {
      skip(r.skipped, line, '"time" is not an ISO date');
      continue;
    }
    if (!Array.isArray(v.attempts)) {
      skip(r.skipped, line, '"attempts" is not an array');
      continue;
    }
    const bad = v.attempts.findIndex((a) => !isObj(a) || typeof a.endpoint !== 'string' || typeof a.outcome !== 'string' || num(a.duration_ms) === null);
    if (bad !== -1) {
      skip(r.skipped, line, `attempts[${bad}] lacks endpoint, outcome or duration_ms`);
      continue;
    }
    const stream = typeof v.stream === 'boolean' ? v.stream : null;
    const okLine = v.status === 200 && v.error === null;
    r.workload.push({
      arrivalMs: t,
      inputTokens: okLine ? num(v.tokens_in) : null,
      outputTokens: okLine ? num(v.tokens_out) : null,
      stream,
    });
    for (const a of v.attempts as Obj[]) {
      const outcome = a.outcome as string;
      const status = num(a.status);
      const ok = outcome === 'ok';
      const kind = ok ? null : kindOfRouterOutcome(outcome, status);
      if (kind === 'ignore') {
        r.ignored++;
        continue;
      }
      addObservation(r, a.endpoint as string, {
        line,
        startMs: t + (num(a.start_ms) ?? 0),
        ok,
        kind,
        ttftMs: stream === true ? num(a.ttft_ms) : null,
        e2eMs: num(a.duration_ms),
        inputTokens: num(a.tokens_in),
        outputTokens: num(a.tokens_out),
        retryAfterMs: num(a.retry_after_ms),
      });
    }
  }
  return r;
}
