import type { Clock } from '../core/clock.js';
import type { RouterConfig } from '../core/config.js';
import type { RouterError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Random } from '../core/random.js';
import type { EndpointSlot, ModelGroup, PickRecord, SelectEnv } from '../core/select.js';
import type { AttemptRecord, RouteRequest, Transport, TransportResponse } from '../core/types.js';
import type { AbortPool } from './abort-pool.js';
import type { Attempt } from './attempt.js';
import type { DirectTransport } from './direct.js';
import type { RetryBudget } from './retry-budget.js';

/**
 * The shapes the layers share. Each layer keeps its own job in its own file (deadlines in
 * timeout.ts, retries in retry.ts, hedging in hedge.ts, events in metrics.ts), but they
 * are driven by one per-request object (request.ts) through plain method calls instead of
 * a stack of promise-returning handlers: per request that saves a promise and its
 * reactions per layer, which dominated the simulator's garbage. Layer order is unchanged:
 *
 *   metrics( totalTimeout( retry( hedge( ttftTimeout( attempt ) ) ) ) )
 */

/** Everything router-wide a layer may use. */
export interface Runtime {
  readonly config: RouterConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
  /** The transport's promise-free send (direct.ts), when it has one. */
  readonly direct: DirectTransport | null;
  readonly bus: EventBus;
  readonly env: SelectEnv;
  readonly groups: ReadonlyMap<string, ModelGroup>;
  readonly budget: RetryBudget;
  readonly aborts: AbortPool;
}

/** A successful attempt: the response arrived (or, for a stream, its first chunk). */
export interface Win {
  readonly attempt: Attempt;
  readonly response: TransportResponse;
  /** Set for streaming responses: the recorded stream, first chunk included. */
  readonly stream: RecordedStreamLike | undefined;
}

/** What the metrics layer needs of a stream: a hook called once when it ends. */
export interface RecordedStreamLike extends AsyncIterable<Uint8Array | string> {
  onDone: ((ok: boolean, errorCode: string | undefined) => void) | null;
}

/** Per-request mutable state. */
export class RequestCtx {
  /** Absolute clock deadline for the whole request (Infinity = none); set by the timeout layer. */
  deadline = Infinity;
  /** Index into `models` of the group being tried. */
  modelIdx = 0;
  /** Endpoints this request has sent an attempt to (failover prefers the others). */
  tried: EndpointSlot[] | null = null;
  readonly attempts: AttemptRecord[] = [];
  readonly picks: PickRecord[] = [];
  /** Attempts started so far (hedges included); bounded by retry.maxAttempts. */
  attemptCount = 0;
  /** Why the next attempt happens: first, retry, failover, fallback-model. */
  reason = 'first';
  /** Someone listened to the router's events when the request started (metrics.ts). */
  observed = false;
  /** Backoff retries so far (re-tries of an endpoint already tried; drives the backoff). */
  retries = 0;

  constructor(
    readonly req: RouteRequest,
    readonly id: string | undefined,
    readonly models: readonly string[],
    readonly startedAt: number,
    readonly signal: AbortSignal | undefined,
    /** Estimated tokens, for TPM admission. */
    readonly tokens: number,
  ) {}
}

/** Who hears how an attempt went: the request itself, or a hedge race. Called once per attempt. */
export interface AttemptOwner {
  attemptWon(a: Attempt, win: Win): void;
  attemptFailed(a: Attempt, err: RouterError): void;
}
