import { basename, extname } from 'node:path';
import { addObservation, CalibrateError, emptyResult, kindOfStatus, num, skip, type ReadResult } from './observations.js';

/**
 * LLMPerf's per-request output (ray-project/llmperf, `*_individual_responses.json`): a
 * JSON array (or JSON lines) of objects with `error_code`, `error_msg`, `ttft_s`,
 * `inter_token_latency_s`, `end_to_end_latency_s`, `number_input_tokens`,
 * `number_output_tokens`. No timestamps: no arrivals and no bursty fit. One group per
 * file, named after it.
 *
 * Errors: an HTTP status code maps to its kind (429 → rate_limited_429, 5xx → http_5xx);
 * LLMPerf's own -100 "Output too few tokens" (the answer came back, shorter than asked)
 * counts as `malformed` (a 200 the client cannot use); any other code as http_500.
 */

type Obj = Record<string, unknown>;

function rowsOf(text: string, file: string): unknown[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown[];
    } catch (e) {
      throw new CalibrateError(`${file}: not valid JSON (${(e as Error).message})`);
    }
  }
  // JSON lines: a bad line is left for the caller to skip (undefined).
  return t.split('\n').map((l) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      return undefined;
    }
  });
}

export function readLlmperf(text: string, file: string): ReadResult {
  const r = emptyResult(file);
  const group = basename(file, extname(file));
  const rows = rowsOf(text, file);
  rows.forEach((v, i) => {
    const line = i + 1;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return skip(r.skipped, line, 'not a JSON object');
    const o = v as Obj;
    if (!('error_code' in o) && !('ttft_s' in o)) return skip(r.skipped, line, 'no error_code or ttft_s: not an LLMPerf record');
    const code = o.error_code;
    const inTok = num(o.number_input_tokens);
    const outTok = num(o.number_output_tokens);
    if (code !== null && code !== undefined && code !== '') {
      const status = typeof code === 'number' ? code : Number(code);
      const kind = status === -100 ? 'malformed' : (kindOfStatus(status) ?? 'http_500');
      addObservation(r, group, { line, startMs: null, ok: false, kind, ttftMs: null, e2eMs: null, inputTokens: inTok, outputTokens: null, retryAfterMs: null });
      r.workload.push({ arrivalMs: null, inputTokens: inTok, outputTokens: null, stream: true });
      return;
    }
    const ttft = num(o.ttft_s);
    const e2e = num(o.end_to_end_latency_s);
    if (ttft === null || e2e === null) return skip(r.skipped, line, 'a success without ttft_s and end_to_end_latency_s');
    addObservation(r, group, {
      line,
      startMs: null,
      ok: true,
      kind: null,
      ttftMs: ttft * 1000,
      e2eMs: e2e * 1000,
      inputTokens: inTok,
      outputTokens: outTok,
      retryAfterMs: null,
    });
    // LLMPerf streams every request.
    r.workload.push({ arrivalMs: null, inputTokens: inTok, outputTokens: outTok, stream: true });
  });
  return r;
}
