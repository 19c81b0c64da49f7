import type { FailureKind } from '../profile.js';

/**
 * What every input format is read into: one observation per upstream attempt (router
 * log) or per measured request (LLMPerf, CSV), grouped by endpoint or file, plus the
 * client requests as a workload. Times in ms.
 */

export interface Observation {
  /** 1-based line (or array index + 1) in its file, for messages. */
  readonly line: number;
  /** Wall-clock start, epoch ms; null when the format has no timestamps. */
  readonly startMs: number | null;
  readonly ok: boolean;
  /** The failure kind (simulator profile vocabulary); null on success. */
  readonly kind: FailureKind | null;
  readonly ttftMs: number | null;
  /** End-to-end latency of this request/attempt. */
  readonly e2eMs: number | null;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  /** Retry-After the upstream sent (ms), when it did. */
  readonly retryAfterMs: number | null;
  /** Others of the same group in flight when it started (fit-load.ts), where known. */
  readonly load?: number | null;
}

/** One client request of the workload. */
export interface WorkloadRow {
  /** Arrival, epoch ms; null without timestamps. */
  readonly arrivalMs: number | null;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly stream: boolean | null;
}

/** Lines that could not be used: counted, with the first few line numbers and why. */
export interface Skipped {
  count: number;
  readonly first: Array<{ line: number; why: string }>;
}

export const SKIP_EXAMPLES = 5;

export function skip(s: Skipped, line: number, why: string): void {
  s.count++;
  if (s.first.length < SKIP_EXAMPLES) s.first.push({ line, why });
}

export interface ReadResult {
  readonly file: string;
  /** Observations by group (endpoint id, or the file's name). */
  readonly groups: Map<string, Observation[]>;
  readonly workload: WorkloadRow[];
  readonly skipped: Skipped;
  /** Attempts left out on purpose (a client abort, a hedge loser, the request's own 4xx). */
  ignored: number;
}

export function emptyResult(file: string): ReadResult {
  return { file, groups: new Map(), workload: [], skipped: { count: 0, first: [] }, ignored: 0 };
}

export function addObservation(r: ReadResult, group: string, o: Observation): void {
  let list = r.groups.get(group);
  if (list === undefined) r.groups.set(group, (list = []));
  list.push(o);
}

/** An error that makes the CLI exit 2 (bad input: the message names the file and why). */
export class CalibrateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalibrateError';
  }
}

/** A finite non-negative number, or null. */
export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/** HTTP status → failure kind (null for a status that is not a provider failure). */
export function kindOfStatus(status: number): FailureKind | null {
  if (status === 429) return 'rate_limited_429';
  if (status === 502) return 'http_502';
  if (status === 503) return 'http_503';
  if (status === 529) return 'http_529';
  if (status >= 500 && status <= 599) return 'http_500';
  return null;
}

/**
 * The router's attempt outcome (router/core/errors.ts codes) → failure kind; null for
 * outcomes that say nothing about the provider (aborted, local admission, a bad request).
 */
export function kindOfRouterOutcome(outcome: string, status: number | null): FailureKind | 'ignore' {
  switch (outcome) {
    case 'upstream_rate_limited':
      return 'rate_limited_429';
    case 'upstream_error':
      return kindOfStatus(status ?? 500) ?? 'http_500';
    case 'connect_failed':
      return 'refused';
    case 'connection_reset':
      return 'reset';
    case 'timeout':
    case 'ttft_timeout':
      return 'hang';
    case 'stream_cut':
      return 'stream_cut';
    case 'malformed_response':
      return 'malformed';
    default:
      return 'ignore';
  }
}
