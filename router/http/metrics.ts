import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RouterEvent } from '../core/events.js';
import type { Candidate, HealthState } from '../core/types.js';

/**
 * Prometheus metrics for the proxy (prom-client, its own Registry so several proxies
 * can live in one process, e.g. tests).
 *
 * Two sources: the edge records what the client saw (status, latency, TTFT, stream
 * errors, in-flight); the router's events give per-attempt detail (tokens, cost,
 * retries, hedges, health transitions). Breaker state is read from the router's
 * candidates at scrape time, so the hot path pays nothing for it.
 *
 * Hot path: labelled children are cached in Maps, so a request costs a Map lookup
 * and an add, not prom-client's label hashing.
 */

export interface ProxyMetrics {
  readonly registry: Registry;
  /** One finished client request. `endpoint` is '' when none was chosen. */
  request(endpoint: string, status: number, latencyS: number): void;
  /** Time from receiving the request to the first byte sent to the client. */
  ttft(endpoint: string, seconds: number): void;
  /** A stream that broke after the first byte (the client got an SSE error event). */
  streamError(endpoint: string, code: string): void;
  inFlight(delta: number): void;
  /** Feed router events here (router.on). */
  onRouterEvent(e: RouterEvent): void;
  /** Text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Gauge encoding of breaker state: 0 healthy (closed), 1 half-open, 2 cooldown, 3 ejected (open). */
export const BREAKER_VALUE: Record<HealthState, number> = { healthy: 0, 'half-open': 1, cooldown: 2, ejected: 3 };

export function createMetrics(candidates: () => readonly Candidate[], prefix = 'llm_router_'): ProxyMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: `${prefix}requests_total`,
    help: 'Client requests by chosen endpoint ("none" when no endpoint was chosen) and HTTP status sent.',
    labelNames: ['endpoint', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: `${prefix}request_duration_seconds`,
    help: 'Client request latency, from request received to response end.',
    labelNames: ['endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const ttftH = new Histogram({
    name: `${prefix}ttft_seconds`,
    help: 'Time to first byte sent to the client.',
    labelNames: ['endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const streamErrors = new Counter({
    name: `${prefix}stream_errors_total`,
    help: 'Streams cut after the first byte (the client received an SSE error event).',
    labelNames: ['endpoint', 'code'] as const,
    registers: [registry],
  });
  const inFlightG = new Gauge({ name: `${prefix}in_flight_requests`, help: 'Client requests in flight.', registers: [registry] });
  const attempts = new Counter({
    name: `${prefix}upstream_attempts_total`,
    help: 'Upstream attempts by endpoint and outcome (ok or the error code).',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const tokens = new Counter({
    name: `${prefix}tokens_total`,
    help: 'Tokens by endpoint and direction (input/output).',
    labelNames: ['endpoint', 'direction'] as const,
    registers: [registry],
  });
  const cost = new Counter({
    name: `${prefix}cost_usd_total`,
    help: 'Spend in USD by endpoint (price per 1M tokens x usage).',
    labelNames: ['endpoint'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: `${prefix}retries_total`,
    help: 'Extra attempts by kind (retry, failover, fallback-model).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const hedges = new Counter({ name: `${prefix}hedges_total`, help: 'Hedged (duplicate) attempts started.', registers: [registry] });
  const transitions = new Counter({
    name: `${prefix}health_transitions_total`,
    help: 'Endpoint health state changes, by endpoint and new state.',
    labelNames: ['endpoint', 'to'] as const,
    registers: [registry],
  });
  new Gauge({
    name: `${prefix}breaker_state`,
    help: 'Endpoint breaker state: 0 healthy, 1 half-open, 2 cooldown, 3 ejected.',
    labelNames: ['endpoint'] as const,
    registers: [registry],
    collect() {
      for (const c of candidates()) this.set({ endpoint: c.endpoint.id }, BREAKER_VALUE[c.health.state]);
    },
  });
  new Gauge({
    name: `${prefix}endpoint_in_flight`,
    help: 'Upstream requests in flight per endpoint (router stats).',
    labelNames: ['endpoint'] as const,
    registers: [registry],
    collect() {
      for (const c of candidates()) this.set({ endpoint: c.endpoint.id }, c.stats.inFlight);
    },
  });

  // Cached labelled children (prom-client hashes label objects on every call otherwise).
  const reqChildren = new Map<string, ReturnType<typeof requests.labels>>();
  const latChildren = new Map<string, ReturnType<typeof latency.labels>>();
  const ttftChildren = new Map<string, ReturnType<typeof ttftH.labels>>();
  const ep = (e: string): string => (e === '' ? 'none' : e);
  /** A labelled child, created once per label pair. */
  function cached<C>(m: Map<string, C>, a: string, b: string, make: () => C): C {
    const key = `${a}\u0000${b}`;
    let c = m.get(key);
    if (c === undefined) m.set(key, (c = make()));
    return c;
  }
  const attemptChildren = new Map<string, ReturnType<typeof attempts.labels>>();
  const tokenChildren = new Map<string, ReturnType<typeof tokens.labels>>();
  const costChildren = new Map<string, ReturnType<typeof cost.labels>>();

  return {
    registry,
    contentType: registry.contentType,
    request(endpoint, status, latencyS) {
      const key = `${endpoint}\u0000${status}`;
      let c = reqChildren.get(key);
      if (!c) reqChildren.set(key, (c = requests.labels(ep(endpoint), String(status))));
      c.inc();
      let h = latChildren.get(endpoint);
      if (!h) latChildren.set(endpoint, (h = latency.labels(ep(endpoint))));
      h.observe(latencyS);
    },
    ttft(endpoint, seconds) {
      let h = ttftChildren.get(endpoint);
      if (!h) ttftChildren.set(endpoint, (h = ttftH.labels(ep(endpoint))));
      h.observe(seconds);
    },
    streamError(endpoint, code) {
      streamErrors.labels(ep(endpoint), code).inc();
    },
    inFlight(delta) {
      inFlightG.inc(delta);
    },
    onRouterEvent(e) {
      switch (e.type) {
        case 'attempt-end':
          {
            const id = e.endpointId;
            const outcome = e.ok ? 'ok' : (e.errorCode ?? 'error');
            cached(attemptChildren, id, outcome, () => attempts.labels(id, outcome)).inc();
            if (e.usage) {
              if (e.usage.inputTokens) cached(tokenChildren, id, 'input', () => tokens.labels(id, 'input')).inc(e.usage.inputTokens);
              if (e.usage.outputTokens) cached(tokenChildren, id, 'output', () => tokens.labels(id, 'output')).inc(e.usage.outputTokens);
            }
            if (e.costUsd > 0) cached(costChildren, id, '', () => cost.labels(id)).inc(e.costUsd);
          }
          break;
        case 'retry':
          retries.labels(e.kind).inc();
          break;
        case 'hedge':
          hedges.inc();
          break;
        case 'health':
          transitions.labels(e.endpointId, e.to).inc();
          break;
        default:
          break;
      }
    },
    render: () => registry.metrics(),
  };
}
