import { RouterError, type ErrorCode } from '../core/errors.js';
import { scrubCredentials } from './scrub.js';

/**
 * The proxy's one error shape on the wire, OpenAI's:
 *   {"error": {"message": "...", "type": "...", "code": "...", "param": null}}
 * RouterError codes are mapped here, at the edge, and nowhere else (hono's
 * HTTPException.getResponse idea): the core never knows about HTTP bodies.
 */

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    /** Seconds, for 429/503. */
    readonly retryAfterS?: number,
    /** A body to send verbatim instead (an upstream 4xx that is already OpenAI-shaped). */
    readonly rawBody?: OpenAIErrorBody,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  body(): OpenAIErrorBody {
    return this.rawBody ?? { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

/** OpenAI's `type` for a status class. */
function typeFor(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Edge codes that differ from the RouterError code (OpenAI's own names where one exists). */
export const CODE_NAMES: Readonly<Partial<Record<ErrorCode, string>>> = {
  unknown_model: 'model_not_found',
  upstream_rate_limited: 'rate_limit_exceeded',
  rate_limited: 'rate_limit_exceeded',
};

/** ceil(ms / 1000), at least 1 s: Retry-After is whole seconds. */
export function retryAfterSeconds(ms: number | undefined, fallbackS = 1): number {
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return fallbackS;
  return Math.max(1, Math.ceil(ms / 1000));
}

/** A provider's error code/param, kept only when it is a plain identifier (e.g. `context_length_exceeded`). */
function identifier(v: unknown): string | null {
  return typeof v === 'string' && /^[A-Za-z0-9_.\-\[\]]{1,64}$/.test(v) ? v : null;
}

/** What the client is told when the error wraps a system/library error (whose text may name upstream hosts and ports). */
const WRAPPED_MESSAGES: Partial<Record<ErrorCode, string>> = {
  connect_failed: 'could not connect to the upstream',
  connection_reset: 'the upstream connection was reset',
  stream_cut: 'the upstream stream broke',
  malformed_response: 'the upstream response was malformed',
};

/**
 * The message a client sees. An upstream-failure RouterError whose cause chain ends in a
 * raw error (a socket's `connect ECONNREFUSED 10.0.0.5:443`, possibly wrapped again, as a
 * stream error wraps a connect error) is described by its code and endpoint id only:
 * upstream addresses stay in the router's own logs and traces.
 */
export function clientMessage(e: RouterError): string {
  const what = WRAPPED_MESSAGES[e.code];
  if (what === undefined) return e.message;
  let c: unknown = e.cause;
  while (c instanceof RouterError) c = c.cause;
  if (c === undefined) return e.message;
  return e.endpointId === undefined ? what : `${what} (endpoint ${e.endpointId})`;
}

export function fromRouterError(e: RouterError): HttpError {
  // An upstream 4xx (other than 429, and other than the endpoint faults 401/403/404) means
  // the request itself is bad: its status passes through, with a message the proxy writes;
  // the provider's own message is quoted only after scrubbing credentials (scrub.ts).
  if (e.code === 'upstream_client_error') {
    const status = e.status >= 400 && e.status < 500 ? e.status : 400;
    const up = (e.upstreamBody as { error?: { message?: unknown; code?: unknown; param?: unknown } } | null | undefined)?.error;
    const said = typeof up?.message === 'string' ? up.message : typeof e.upstreamBody === 'string' ? e.upstreamBody : '';
    const text = scrubCredentials(said);
    const where = e.endpointId === undefined ? 'the upstream' : `upstream ${e.endpointId}`;
    const message = `${where} rejected the request (${status})${text === '' ? '' : `: ${text}`}`;
    const code = identifier(up?.code) ?? 'upstream_client_error';
    return new HttpError(status, typeFor(status), code, message, identifier(up?.param));
  }
  // all_attempts_failed: the most useful status is the last attempt's (e.g. 429 everywhere -> 429).
  if (e.code === 'all_attempts_failed' && e.cause instanceof RouterError && e.cause.code !== 'all_attempts_failed') {
    const inner = fromRouterError(e.cause);
    return new HttpError(inner.status, inner.type, inner.code, e.message, null, inner.retryAfterS);
  }
  const status = e.status;
  const wantsRetryAfter = status === 429 || status === 503;
  return new HttpError(
    status,
    typeFor(status),
    CODE_NAMES[e.code] ?? e.code,
    clientMessage(e),
    null,
    wantsRetryAfter ? retryAfterSeconds(e.retryAfterMs) : undefined,
  );
}

/** Anything thrown -> an HttpError (unknown errors are 500s with a generic message: no internals leak). */
export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof RouterError) return fromRouterError(e);
  return new HttpError(500, 'server_error', 'internal_error', 'internal error');
}

// Pre-built errors the edge raises itself.
export const badJson = (detail: string): HttpError =>
  new HttpError(400, 'invalid_request_error', 'invalid_json', `request body is not valid JSON: ${detail}`);
export const invalidField = (param: string, message: string): HttpError =>
  new HttpError(400, 'invalid_request_error', 'invalid_request', `${param}: ${message}`, param);
export const bodyTooLarge = (limit: number): HttpError =>
  new HttpError(413, 'invalid_request_error', 'request_too_large', `request body exceeds ${limit} bytes`);
export const notFound = (what: string): HttpError => new HttpError(404, 'invalid_request_error', 'not_found', `${what} not found`);
export const methodNotAllowed = (method: string, path: string): HttpError =>
  new HttpError(405, 'invalid_request_error', 'method_not_allowed', `${method} is not allowed on ${path}`);
export const unknownModel = (model: string): HttpError =>
  new HttpError(404, 'invalid_request_error', 'model_not_found', `model "${model}" is not served by this router`, 'model');
export const unauthorized = (why: string): HttpError => new HttpError(401, 'authentication_error', 'invalid_api_key', why);
export const tooManyRequests = (retryAfterS: number): HttpError =>
  new HttpError(429, 'rate_limit_error', 'rate_limit_exceeded', 'client key rate limit exceeded', null, retryAfterS);
export const originNotAllowed = (origin: string): HttpError =>
  new HttpError(
    403,
    'permission_error',
    'origin_not_allowed',
    `requests from the browser origin ${JSON.stringify(origin.slice(0, 200))} are not allowed (server.allowedOrigins)`,
  );
export const shuttingDown = (): HttpError =>
  new HttpError(503, 'server_error', 'shutting_down', 'the router is shutting down', null, 1);
