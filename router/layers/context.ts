import type { Clock } from '../core/clock.js';
import type { RouterConfig } from '../core/config.js';
import type { EventBus } from '../core/events.js';
import type { Random } from '../core/random.js';
import type { EndpointSlot, ModelGroup, PickRecord, SelectEnv } from '../core/select.js';
import type { AttemptRecord, RouteRequest, Transport, TransportResponse } from '../core/types.js';
import type { AbortPool } from './abort-pool.js';
import type { Attempt } from './attempt.js';
import type { RetryBudget } from './retry-budget.js';

/**
 * The shapes layers share. A layer is `(next) => handler` (tower's Layer, undici's
 * interceptors): request-level layers wrap "one try" into timeouts, retries and metrics;
 * attempt-level layers wrap sending one attempt to one endpoint. Layers are composed once
 * per router; per request only the context and attempt objects are allocated.
 */

/** Everything router-wide a layer may use. */
export interface Runtime {
  readonly config: RouterConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly transport: Transport;
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

export type Handler = (ctx: RequestCtx) => Promise<Win>;
export type Layer = (next: Handler) => Handler;
export type AttemptHandler = (ctx: RequestCtx, a: Attempt) => Promise<Win>;
export type AttemptLayer = (next: AttemptHandler) => AttemptHandler;
