import type { ROUTE_DIRECT, RouteSink } from './direct.js';
import type { RouterEvent } from './events.js';
import type { Strategy } from './strategy.js';
import type { AttemptRecord, Candidate, DecisionTrace, Endpoint, RouteRequest, TransportResponse } from './types.js';

/**
 * The router's contract, as library users and the proxy see it. The implementation
 * (createRouter) lives in router/request/router.ts; the entry point (router/index.ts)
 * wires the built-in strategies and the default transport into it.
 */

export interface RouteResult {
  endpoint: Endpoint;
  model: string;
  response: TransportResponse;
  attempts: AttemptRecord[];
  trace: DecisionTrace;
  /**
   * Streams: first chunk already received (failover only happens before it); iterate to
   * the end; the outcome (ttft, latency, usage, cost) is recorded when it ends, errors, or
   * is abandoned via return(). A mid-stream upstream failure surfaces as a thrown
   * RouterError('stream_cut', {committed:true}). `opts.signal` governs routing only: once
   * route() has resolved, stop a stream by leaving the loop (`break` calls return()),
   * which also closes the upstream.
   */
  stream?: AsyncIterable<Uint8Array | string>;
}

export interface Router {
  /** Route one request. Rejects with a RouterError only. */
  route(req: RouteRequest, opts?: { signal?: AbortSignal }): Promise<RouteResult>;
  /** Current snapshots (all endpoints, or one model's), for /health and tests. */
  candidates(model?: string): Candidate[];
  readonly endpoints: readonly Endpoint[];
  /** Model groups served, sorted. */
  models(): string[];
  readonly strategy: Strategy;
  /** Observe routing (metrics hooks). Returns an unsubscribe function. */
  on(listener: (e: RouterEvent) => void): () => void;
  /** Stop background work (active health-check timers). */
  close(): void;
  /** `route` without a promise (core/direct.ts): for in-process callers such as the simulator. */
  [ROUTE_DIRECT](req: RouteRequest, sink: RouteSink<RouteResult>, opts?: { signal?: AbortSignal }): void;
}
