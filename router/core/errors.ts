import type { AttemptRecord } from './types.js';
/**
 * Errors with stable codes. Every failure the router can report is a RouterError
 * with a `code` (stable, for programs), a human message, the HTTP status it maps to
 * at the edge, and whether trying again (elsewhere) may succeed.
 */
export type ErrorCode =
  | 'invalid_config' // config failed validation; message names the field path
  | 'unknown_strategy' // strategy name not registered; message lists valid names
  | 'invalid_request' // request failed validation
  | 'unknown_model' // no endpoint serves the requested model
  | 'no_candidates' // a strategy was given an empty candidate set
  | 'no_healthy_endpoint' // every candidate is ejected/cooling and none recovers within the deadline
  | 'rate_limited' // local admission (RPM/TPM bucket) refused
  | 'upstream_rate_limited' // upstream answered 429
  | 'upstream_error' // upstream answered 5xx (500/502/503/529...)
  | 'upstream_client_error' // upstream answered 4xx other than 429: the request itself is bad
  | 'upstream_auth_error' // upstream answered 401/403: the router's provider key is bad (an endpoint fault)
  | 'upstream_not_found' // upstream answered 404: the model (or path) does not exist there (an endpoint fault)
  | 'connect_failed' // connection refused / DNS / unreachable
  | 'connection_reset' // socket closed mid-request
  | 'timeout' // total deadline passed
  | 'ttft_timeout' // no first byte within the TTFT deadline
  | 'stream_cut' // stream ended without completion
  | 'stream_stalled' // no chunk within the stall timeout once the stream started
  | 'malformed_response' // upstream body could not be parsed
  | 'aborted' // the caller aborted
  | 'retry_budget_exhausted' // a retry was needed but the budget said no
  | 'all_attempts_failed'; // every attempt failed; `cause` holds the last error

const RETRYABLE: Record<ErrorCode, boolean> = {
  invalid_config: false,
  unknown_strategy: false,
  invalid_request: false,
  unknown_model: false,
  no_candidates: false,
  no_healthy_endpoint: false,
  rate_limited: true,
  upstream_rate_limited: true,
  upstream_error: true,
  upstream_client_error: false,
  upstream_auth_error: true,
  upstream_not_found: true,
  connect_failed: true,
  connection_reset: true,
  timeout: false,
  ttft_timeout: true,
  stream_cut: true,
  stream_stalled: true,
  malformed_response: true,
  aborted: false,
  retry_budget_exhausted: false,
  all_attempts_failed: false,
};

const STATUS: Record<ErrorCode, number> = {
  invalid_config: 500,
  unknown_strategy: 500,
  invalid_request: 400,
  unknown_model: 404,
  no_candidates: 503,
  no_healthy_endpoint: 503,
  rate_limited: 429,
  upstream_rate_limited: 429,
  upstream_error: 502,
  upstream_client_error: 400,
  upstream_auth_error: 502,
  upstream_not_found: 502,
  connect_failed: 502,
  connection_reset: 502,
  timeout: 504,
  ttft_timeout: 504,
  stream_cut: 502,
  stream_stalled: 504,
  malformed_response: 502,
  aborted: 499,
  retry_budget_exhausted: 503,
  all_attempts_failed: 502,
};

export interface RouterErrorOptions {
  /** Override the default retryable flag for this code. */
  retryable?: boolean;
  /** Override the HTTP status (e.g. pass an upstream 4xx through). */
  status?: number;
  /** Upstream asked us to wait this long (Retry-After), in ms. */
  retryAfterMs?: number;
  /** Endpoint the error came from, when there was one. */
  endpointId?: string;
  /** Bytes already reached the client: never retry or fail over. */
  committed?: boolean;
  /** Upstream response body, for upstream_client_error pass-through. */
  upstreamBody?: unknown;
  cause?: unknown;
}

export class RouterError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  readonly endpointId: string | undefined;
  readonly committed: boolean;
  readonly upstreamBody: unknown;
  /** Set when a routed request fails: every attempt it made, in order (empty if none was sent). */
  attempts?: readonly AttemptRecord[];
  /**
   * Set on the primary a hang rescue replaced (request/try.ts): a failure for its endpoint's
   * stats (success rate, latency), not for the breaker (a rescue ejects nothing).
   */
  rescued?: true;

  constructor(code: ErrorCode, message: string, opts: RouterErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RouterError';
    this.code = code;
    this.committed = opts.committed ?? false;
    this.retryable = !this.committed && (opts.retryable ?? RETRYABLE[code]);
    this.status = opts.status ?? STATUS[code];
    this.retryAfterMs = opts.retryAfterMs;
    this.endpointId = opts.endpointId;
    this.upstreamBody = opts.upstreamBody;
  }
}

export function isRouterError(e: unknown): e is RouterError {
  return e instanceof RouterError;
}

/** Wrap anything thrown into a RouterError (unknown errors count as connection failures). */
export function toRouterError(e: unknown, endpointId?: string): RouterError {
  if (e instanceof RouterError) return e;
  const err = e as { name?: string; code?: string; message?: string } | undefined;
  if (err?.name === 'AbortError') return new RouterError('aborted', 'request aborted', { endpointId, cause: e });
  const code = err?.code ?? '';
  const msg = err?.message ?? String(e);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return new RouterError('connect_failed', `connect failed: ${msg}`, { endpointId, cause: e });
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED')
    return new RouterError('connection_reset', `connection reset: ${msg}`, { endpointId, cause: e });
  return new RouterError('connect_failed', `transport error: ${msg}`, { endpointId, cause: e });
}

/** Map an upstream HTTP status to a RouterError. */
export function errorFromStatus(status: number, endpointId: string, retryAfterMs?: number, body?: unknown): RouterError {
  if (status === 429)
    return new RouterError('upstream_rate_limited', `upstream ${endpointId} answered 429`, { endpointId, retryAfterMs, status: 429 });
  if (status >= 500)
    return new RouterError('upstream_error', `upstream ${endpointId} answered ${status}`, { endpointId, retryAfterMs });
  if (status === 408)
    return new RouterError('timeout', `upstream ${endpointId} answered 408`, { endpointId, retryable: true });
  // The provider refusing the router's own key, or not knowing the endpoint's model, is the
  // endpoint's fault, not the client's: fail over, and keep the provider's body (it may quote the key).
  if (status === 401 || status === 403)
    return new RouterError('upstream_auth_error', `upstream ${endpointId} rejected the router's credentials (${status})`, { endpointId });
  if (status === 404)
    return new RouterError('upstream_not_found', `upstream ${endpointId} does not serve the configured model (404)`, { endpointId });
  return new RouterError('upstream_client_error', `upstream ${endpointId} answered ${status}`, {
    endpointId,
    status,
    upstreamBody: body,
  });
}

/**
 * Parse a Retry-After header value (delta-seconds or HTTP date) into ms.
 * `nowWallMs` is needed only for the date form; returns undefined when absent or invalid.
 */
export function parseRetryAfter(value: string | null | undefined, nowWallMs?: number): number | undefined {
  if (value == null || value === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (nowWallMs === undefined) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowWallMs);
}

/**
 * Errors the router makes on its busy paths (deadline timers, upstream error statuses,
 * hedge losers) carry no stack trace: it would only show a timer or a transport callback,
 * and capturing one (~2-4 µs) costs more than the rest of the attempt. Under an outage or
 * a rate-limit storm that is paid per attempt. Message, code and cause are unchanged.
 */
export function stackless<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
