import type { ErrorCode } from '../router/core/errors.js';

/**
 * The simulator's fault kinds, defined once. Every world reads these tables:
 * - the profile schema (profile.ts) takes its failure-kind weights and outage modes from them;
 * - the pure model (model.ts) maps a drawn failure kind to an outcome with FAULT_KINDS;
 * - the wire plan (openai-wire.ts), the real server and msw handlers (server.ts, msw.ts) and
 *   the virtual-time transport (sim-transport.ts) switch on outcome kinds and plan types
 *   exhaustively (`assertNever` in the default branch).
 * So a new fault kind is one row here plus a compile error wherever it must be handled.
 *
 * The `semantics` texts say, once for all three worlds, what happens to a JSON request and
 * to a streaming request that meet the fault, and to requests already in flight at that
 * provider. README's "Fault semantics" table is rendered from them
 * (`npx tsx scripts/fault-table.ts`; test/fault-kinds.test.ts checks the README is current).
 */

/** Fails at compile time when a switch misses a member of a closed set, at run time if one slips through. */
export function assertNever(x: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}

/** What one fault does, in words every world implements. */
export interface FaultSemantics {
  /** A JSON (non-streaming) request that meets the fault. */
  readonly json: string;
  /** A streaming request that meets the fault. */
  readonly stream: string;
  /** Requests already in flight at the provider when the fault happens. */
  readonly inFlight: string;
  /** What the router records (its error code), the same in sim and over sockets unless said. */
  readonly router: string;
}

/**
 * What the pure model returns (ProviderOutcome.kind) and what it means on the wire.
 * `routerCode`: the router error a caller sees when this outcome is the last attempt (null: ok).
 */
export const OUTCOME_KINDS = {
  ok: { routerCode: null },
  http_error: { routerCode: 'upstream_error' }, // 5xx; 401/403 → upstream_auth_error, 404 → upstream_not_found
  rate_limited: { routerCode: 'upstream_rate_limited' },
  refused: { routerCode: 'connect_failed' },
  reset: { routerCode: 'connection_reset' },
  hang: { routerCode: 'ttft_timeout' },
  stream_cut: { routerCode: 'stream_cut' },
  malformed: { routerCode: 'malformed_response' },
  malformed_event: { routerCode: 'malformed_response' },
  stall: { routerCode: 'stream_stalled' },
} as const satisfies Record<string, { readonly routerCode: ErrorCode | null }>;

/** What one provider does with one request (ProviderOutcome.kind). */
export type OutcomeKind = keyof typeof OUTCOME_KINDS;

/** A profile's failure kind: the outcome the model gives, its HTTP status (0: no response) and its semantics. */
export interface FaultRow {
  readonly outcome: Exclude<OutcomeKind, 'ok'>;
  readonly status: number;
  readonly semantics: FaultSemantics;
}

const OTHERS_UNAFFECTED = 'unaffected (the fault is drawn per request)';

function status5xx(status: number): FaultRow {
  return {
    outcome: 'http_error',
    status,
    semantics: {
      json: `answers ${status} (OpenAI error JSON) after half the would-be TTFT`,
      stream: `answers ${status} before any event, after half the would-be TTFT`,
      inFlight: OTHERS_UNAFFECTED,
      router: `upstream_error: retried on another endpoint, counts toward ejection${status === 503 || status === 529 ? '; also cools the endpoint down' : ''}`,
    },
  };
}

function auth(status: 401 | 403 | 404): FaultRow {
  const what = status === 404 ? 'the model is not found there' : "the endpoint's key is refused";
  return {
    outcome: 'http_error',
    status,
    semantics: {
      json: `answers ${status} at once (5 ms), whatever the load: ${what}`,
      stream: `answers ${status} at once, before any event`,
      inFlight: OTHERS_UNAFFECTED,
      router: `${status === 404 ? 'upstream_not_found' : 'upstream_auth_error'}: an endpoint fault (long ejection, /health alert); retried elsewhere`,
    },
  };
}

/**
 * The failure kinds a profile can weight (`failures.kinds`, `error_burst.kinds`), in the
 * order the weighted draw walks them (faults.ts): appending a row keeps every earlier draw.
 */
export const FAULT_KINDS = {
  http_500: status5xx(500),
  http_502: status5xx(502),
  http_503: status5xx(503),
  http_529: status5xx(529),
  rate_limited_429: {
    outcome: 'rate_limited',
    status: 429,
    semantics: {
      json: 'answers 429 after 5 ms with Retry-After (seconds) and retry-after-ms (failures.retryAfterMs ÷ speed); an RPM/TPM limit or a full queue (fullStatus: 429) answers the same, Retry-After = when there is room',
      stream: 'answers 429 before any event, as for JSON',
      inFlight: OTHERS_UNAFFECTED,
      router: 'upstream_rate_limited: the endpoint cools down for Retry-After; retried elsewhere',
    },
  },
  refused: {
    outcome: 'refused',
    status: 0,
    semantics: {
      json: 'the connection is dropped at once (1 ms), no response',
      stream: 'the connection is dropped at once, no response',
      inFlight: OTHERS_UNAFFECTED,
      router: 'connect_failed in sim; over a kept-alive HTTP/1 connection a dropped socket reads as connection_reset',
    },
  },
  reset: {
    outcome: 'reset',
    status: 0,
    semantics: {
      json: 'the connection is destroyed after half the would-be TTFT, no response',
      stream: 'the connection is destroyed after half the would-be TTFT, before the head',
      inFlight: OTHERS_UNAFFECTED,
      router: 'connection_reset: retried elsewhere',
    },
  },
  hang: {
    outcome: 'hang',
    status: 0,
    semantics: {
      json: 'accepted, never answered; the socket is held until the client gives up',
      stream: 'accepted, no head and no event ever',
      inFlight: OTHERS_UNAFFECTED,
      router: 'ttft_timeout (or timeout) at the router deadline; retried while the deadline allows',
    },
  },
  stream_cut: {
    outcome: 'stream_cut',
    status: 200,
    semantics: {
      json: 'the body is cut mid-way: a connection reset at the cut time',
      stream: 'k tokens (k drawn in [0, n); 0 with streamFaultAt: start), then the stream ends without finish_reason or [DONE]; k = 0 fails before the first byte',
      inFlight: OTHERS_UNAFFECTED,
      router: 'stream_cut: after the first byte the client gets an SSE error event; before it, retried elsewhere',
    },
  },
  malformed: {
    outcome: 'malformed',
    status: 200,
    semantics: {
      json: 'a 200 whose body stops mid-object (not JSON), at the full answer time',
      stream: 'one broken event (then [DONE]) at the full answer time, before any good event',
      inFlight: OTHERS_UNAFFECTED,
      router: 'malformed_response: retried elsewhere',
    },
  },
  auth_401: auth(401),
  auth_403: auth(403),
  malformed_event: {
    outcome: 'malformed_event',
    status: 200,
    semantics: {
      json: 'as malformed (a 200 with a broken body)',
      stream: 'k good tokens, then an event that is not complete JSON (and a careless [DONE]); k = 0 fails before the first byte',
      inFlight: OTHERS_UNAFFECTED,
      router: 'malformed_response: checked before forwarding, so the client never gets the broken event',
    },
  },
  stall: {
    outcome: 'stall',
    status: 200,
    semantics: {
      json: 'as hang',
      stream: 'the head at the TTFT, k tokens, then silence with the stream held open',
      inFlight: OTHERS_UNAFFECTED,
      router: 'stream_stalled after the stall timeout (from tokens/s); before the first token, ttft_timeout',
    },
  },
  not_found_404: auth(404),
} as const satisfies Record<string, FaultRow>;

export type FailureKind = keyof typeof FAULT_KINDS;
export const FAILURE_KINDS = Object.keys(FAULT_KINDS) as readonly FailureKind[] as readonly [FailureKind, ...FailureKind[]];

/**
 * Outage modes of a timeline `outage` phase: what new requests see while it lasts and what
 * happens at its start to requests already in flight. `dropsConnections`: the model ends
 * every in-flight request at the phase start (model.ts cutByOutage) as the server does.
 */
export interface OutageRow {
  readonly dropsConnections: boolean;
  readonly semantics: FaultSemantics;
}

export const OUTAGE_MODES = {
  refuse: {
    dropsConnections: true,
    semantics: {
      json: 'refused (the listening socket is closed for the phase): ECONNREFUSED in 1 ms',
      stream: 'refused, as JSON',
      inFlight:
        'every connection is destroyed at the phase start: a JSON request, or a stream before its first token, is reset; a stream past its first token is cut with the tokens sent so far (billed)',
      router: 'connect_failed for new requests; connection_reset / stream_cut for the ones in flight',
    },
  },
  reset: {
    dropsConnections: true,
    semantics: {
      json: 'accepted, then the connection is destroyed at once (1 ms)',
      stream: 'accepted, then destroyed at once, as JSON',
      inFlight: 'as refuse: reset, or cut after the first token',
      router: 'connection_reset (stream_cut for streams past their first token)',
    },
  },
  http_503: {
    dropsConnections: false,
    semantics: {
      json: 'answers 503 after 5 ms',
      stream: 'answers 503 after 5 ms, before any event',
      inFlight: 'unaffected: they finish as drawn',
      router: 'upstream_error',
    },
  },
} as const satisfies Record<string, OutageRow>;

export type OutageMode = keyof typeof OUTAGE_MODES;
export const OUTAGE_MODE_NAMES = Object.keys(OUTAGE_MODES) as readonly OutageMode[] as readonly [OutageMode, ...OutageMode[]];

/** Not a fault: the router gives up on an attempt (its timeout, a lost hedge, the client left). */
export const ABANDONED: FaultSemantics = {
  json: 'the provider keeps working until the answer would have been sent (the slot stays taken)',
  stream: 'before the first token: the slot stays taken until it would have come; after it: freed at once',
  inFlight: 'unaffected',
  router: 'timeout / ttft_timeout / aborted',
};

/** The README's fault-semantics table (markdown), rendered from the rows above. */
export function faultSemanticsTable(): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [
    '| fault | status | JSON request | streaming request | requests already in flight | router records |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const [kind, row] of Object.entries(FAULT_KINDS) as Array<[FailureKind, FaultRow]>) {
    const s = row.semantics;
    lines.push(`| \`${kind}\` | ${row.status === 0 ? 'none' : row.status} | ${esc(s.json)} | ${esc(s.stream)} | ${esc(s.inFlight)} | ${esc(s.router)} |`);
  }
  for (const [mode, row] of Object.entries(OUTAGE_MODES) as Array<[OutageMode, OutageRow]>) {
    const s = row.semantics;
    lines.push(`| outage \`${mode}\` | ${mode === 'http_503' ? 503 : 'none'} | ${esc(s.json)} | ${esc(s.stream)} | ${esc(s.inFlight)} | ${esc(s.router)} |`);
  }
  const a = ABANDONED;
  lines.push(`| the router gives up early | - | ${esc(a.json)} | ${esc(a.stream)} | ${esc(a.inFlight)} | ${esc(a.router)} |`);
  return lines.join('\n');
}
