import { randomBytes } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { wallClock } from '../core/clock.js';
import type { RouterEvent } from '../core/events.js';
import { openLogSink, type LogSink } from './log-sink.js';

/**
 * The proxy's access log: one JSON line per client chat request, written when the
 * response is over (for a stream: when it ended). No prompt or answer text, no keys,
 * no upstream URLs. The calibrator (simulator/calibrate/) reads it back.
 *
 * Fields (times in ms, rounded to 0.1 ms; null when not known):
 *   time        ISO 8601 UTC wall-clock time the request arrived
 *   id          request id, also sent as `x-request-id` (the client's, when well formed)
 *   model       model group asked for ("" when the body was not valid)
 *   stream      stream: true requested
 *   status      HTTP status sent to the client (499: the client went away first)
 *   error       error code sent to the client (OpenAI `code`), null on success; for a
 *               stream that broke after the first byte, the SSE error event's code
 *   endpoint    endpoint that answered (or failed last), null when none was tried
 *   latency_ms  request arrived → response ended (client-visible)
 *   ttft_ms     request arrived → first response byte sent to the client (null on error)
 *   tokens_in / tokens_out / cost_usd   summed over the attempts
 *   in_flight   client requests in flight at this proxy when it arrived (itself included)
 *   attempts    per upstream attempt, in the order they ended:
 *     endpoint, reason (first | retry | failover | fallback-model | hedge | probe),
 *     outcome ("ok" or the router's error code: http_5xx, rate_limited, connect_failed,
 *     connection_reset, timeout, stream_error, malformed_response, ...),
 *     status (upstream HTTP status, null when none), start_ms (from the request's arrival),
 *     ttft_ms (upstream first byte), duration_ms, tokens_in, tokens_out, cost_usd,
 *     retry_after_ms (the upstream's Retry-After, when it sent one)
 *
 * Attempts are gathered from the router's `attempt-end` events by request id; an attempt
 * that ends after the response (never, in the core router: a hedge loser is aborted first)
 * is not listed. Lines are handed to a LogSink (log-sink.ts): buffered, never blocking,
 * dropped and counted (`llm_router_access_log_dropped_total`) when the queue is full.
 */

export interface AccessLogOptions {
  /** A file path, or `stdout`. */
  dest: string;
  /** Queue bound, characters (default 4 MiB). */
  maxBufferBytes?: number;
  /** Wall-clock epoch ms for the `time` field (default: the system's). */
  wallNow?: () => number;
  registry: Registry;
  log?: (line: string) => void;
  /** Test seam: write lines here instead of opening `dest`. */
  sink?: LogSink;
}

interface AttemptLine {
  endpoint: string;
  reason: string;
  outcome: string;
  status: number | null;
  start_ms: number;
  ttft_ms: number | null;
  duration_ms: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
  retry_after_ms?: number;
}

/** One request being served. */
export class AccessRecord {
  readonly attempts: AttemptLine[] = [];
  model = '';
  stream = false;
  ttftMs: number | null = null;
  constructor(
    /** The id logged and returned to the client. */
    readonly id: string,
    /** The id the router sees (differs from `id` only when a client reuses an id in flight). */
    readonly key: string,
    readonly t0: number,
    readonly wallMs: number,
    readonly inFlight: number,
  ) {}
}

/** A client's request id is kept when it is 1-128 visible ASCII characters (safe to echo in a header). */
const WELL_FORMED_ID = /^[\x21-\x7e]{1,128}$/;

export function wellFormedRequestId(v: string | string[] | undefined): v is string {
  return typeof v === 'string' && WELL_FORMED_ID.test(v);
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

export class AccessLog {
  private readonly pending = new Map<string, AccessRecord>();
  private readonly sink: LogSink;
  private readonly dropped: Counter;
  private readonly written: Counter;
  private readonly wallNow: () => number;
  /** Generated ids: a random per-process prefix and a counter (unique across restarts, cheap). */
  private readonly prefix = randomBytes(6).toString('hex');
  private seq = 0;
  private lastError = '';

  constructor(opts: AccessLogOptions) {
    this.wallNow = opts.wallNow ?? wallClock.nowMs;
    this.dropped = new Counter({
      name: 'llm_router_access_log_dropped_total',
      help: 'Access-log lines dropped because the write queue was full (a stalled disk or unread pipe).',
      registers: [opts.registry],
    });
    this.written = new Counter({
      name: 'llm_router_access_log_lines_total',
      help: 'Access-log lines handed to the writer.',
      registers: [opts.registry],
    });
    const log = opts.log ?? (() => {});
    this.sink =
      opts.sink ??
      openLogSink(opts.dest, {
        maxBufferBytes: opts.maxBufferBytes ?? 4 * 1024 * 1024,
        onDrop: () => this.dropped.inc(),
        onError: (e) => {
          // Said once per distinct error, not once per line.
          if (e.message !== this.lastError) log(`access log ${opts.dest}: ${e.message}`);
          this.lastError = e.message;
        },
      });
  }

  /** A request arrived: its id (the client's well-formed `x-request-id`, else a new one). */
  begin(clientId: string | string[] | undefined, t0: number, inFlight: number): AccessRecord {
    const gen = `${this.prefix}-${(++this.seq).toString(36)}`;
    const id = wellFormedRequestId(clientId) ? clientId : gen;
    const key = this.pending.has(id) ? `${id}#${gen}` : id;
    const rec = new AccessRecord(id, key, t0, this.wallNow(), inFlight);
    this.pending.set(key, rec);
    return rec;
  }

  /** Feed router events here (router.on). */
  readonly onRouterEvent = (e: RouterEvent): void => {
    if (e.type !== 'attempt-end' || e.requestId === undefined) return;
    const rec = this.pending.get(e.requestId);
    if (rec === undefined) return;
    const a: AttemptLine = {
      endpoint: e.endpointId,
      reason: e.reason,
      outcome: e.ok ? 'ok' : (e.errorCode ?? 'error'),
      status: e.status ?? null,
      start_ms: round(e.at - e.latencyMs - rec.t0),
      ttft_ms: e.ttftMs === undefined ? null : round(e.ttftMs),
      duration_ms: round(e.latencyMs),
      tokens_in: e.usage?.inputTokens ?? 0,
      tokens_out: e.usage?.outputTokens ?? 0,
      cost_usd: e.costUsd,
    };
    if (e.retryAfterMs !== undefined) a.retry_after_ms = e.retryAfterMs;
    rec.attempts.push(a);
  };

  /** The response is over: write the line. */
  end(rec: AccessRecord, now: number, status: number, error: string | null, endpoint: string | null): void {
    if (!this.pending.delete(rec.key)) return; // written already
    let tin = 0;
    let tout = 0;
    let cost = 0;
    for (const a of rec.attempts) {
      tin += a.tokens_in;
      tout += a.tokens_out;
      cost += a.cost_usd;
    }
    const last = rec.attempts[rec.attempts.length - 1];
    const line = {
      time: wallClock.iso(rec.wallMs),
      id: rec.id,
      model: rec.model,
      stream: rec.stream,
      status,
      error,
      endpoint: endpoint || last?.endpoint || null,
      latency_ms: round(now - rec.t0),
      ttft_ms: rec.ttftMs === null ? null : round(rec.ttftMs),
      tokens_in: tin,
      tokens_out: tout,
      cost_usd: Math.round(cost * 1e9) / 1e9,
      in_flight: rec.inFlight,
      attempts: rec.attempts,
    };
    this.written.inc();
    this.sink.write(`${JSON.stringify(line)}\n`);
  }

  /** Reopen the file (SIGUSR2 after a rotation); resolves once the new file is open. */
  reopen(): Promise<void> {
    return this.sink.reopen();
  }

  /** Requests begun and not yet written (bounded by the requests in flight). */
  pendingCount(): number {
    return this.pending.size;
  }

  /** Resolves once every line so far is written (tests, shutdown). */
  flush(): Promise<void> {
    return this.sink.flush();
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}
