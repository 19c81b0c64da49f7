import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RouterEvent } from '../core/events.js';
import type { Candidate, HealthState } from '../core/types.js';
import { FastCounter, FastHistogram, type CounterSeries, type HistogramSeries } from './fast-metrics.js';

/**
 * Prometheus metrics for the proxy (prom-client, its own Registry so several proxies
 * can live in one process, e.g. tests).
 *
 * Two sources: the edge records what the client saw (status, latency, TTFT, stream
 * errors, in-flight); the router's events give per-attempt detail (tokens, cost,
 * retries, hedges, health transitions). Breaker state is read from the router's
 * candidates at scrape time, so the hot path pays nothing for it.
 *
 * Hot path: per-request metrics are fast-metrics.ts series (a Map lookup and an
 * add per update), exposed through the same prom-client registry.
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

/**
 * prom-client's default process metrics (CPU, RSS, heap, event-loop lag, GC, handles),
 * collected once per process in a registry of their own and appended to every proxy's
 * exposition: several proxies in one process (tests) share one event-loop monitor.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Gauge encoding of breaker state: 0 healthy (closed), 1 half-open, 2 cooldown, 3 ejected (open). */
export const BREAKER_VALUE: Record<HealthState, number> = { healthy: 0, 'half-open': 1, cooldown: 2, ejected: 3 };

export function createMetrics(candidates: () => readonly Candidate[], prefix = 'llm_router_'): ProxyMetrics {
  const registry = new Registry();
  const requests = new FastCounter(
    `${prefix}requests_total`,
    'Client requests by chosen endpoint ("none" when no endpoint was chosen) and HTTP status sent.',
    ['endpoint', 'status'],
    registry,
  );
  const latency = new FastHistogram(
    `${prefix}request_duration_seconds`,
    'Client request latency, from request received to response end.',
    ['endpoint'],
    LATENCY_BUCKETS,
    registry,
  );
  const ttftH = new FastHistogram(`${prefix}ttft_seconds`, 'Time to first byte sent to the client.', ['endpoint'], LATENCY_BUCKETS, registry);
  const streamErrors = new Counter({
    name: `${prefix}stream_errors_total`,
    help: 'Streams cut after the first byte (the client received an SSE error event).',
    labelNames: ['endpoint', 'code'] as const,
    registers: [registry],
  });
  let inFlightN = 0;
  new Gauge({
    name: `${prefix}in_flight_requests`,
    help: 'Client requests in flight.',
    registers: [registry],
    collect() {
      this.set(inFlightN);
    },
  });
  const attempts = new FastCounter(`${prefix}upstream_attempts_total`, 'Upstream attempts by endpoint and outcome (ok or the error code).', ['endpoint', 'outcome'], registry);
  const tokens = new FastCounter(`${prefix}tokens_total`, 'Tokens by endpoint and direction (input/output).', ['endpoint', 'direction'], registry);
  const cost = new FastCounter(`${prefix}cost_usd_total`, 'Spend in USD by endpoint (price per 1M tokens x usage).', ['endpoint'], registry);
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
    name: `${prefix}endpoint_fault`,
    help: '1 while an endpoint is ejected for a provider-side configuration fault (provider_auth: key refused; provider_model_not_found).',
    labelNames: ['endpoint', 'fault'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of candidates()) if (c.health.fault !== undefined) this.set({ endpoint: c.endpoint.id, fault: c.health.fault }, 1);
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

  const fallbacks = new Counter({
    name: `${prefix}fallback_attempts_total`,
    help: 'Attempts that moved down the request\'s model list: to a fallback model, or out of the preferred region to the rest of the group (by the group moved to).',
    labelNames: ['model'] as const,
    registers: [registry],
  });

  const ep = (e: string): string => (e === '' ? 'none' : e);
  // Per endpoint id: its series, looked up once (the hot path is then a Map get and adds).
  const perEndpoint = new Map<string, { lat: HistogramSeries; ttft: HistogramSeries; byStatus: Map<number, CounterSeries> }>();
  function forEndpoint(id: string) {
    let e = perEndpoint.get(id);
    if (e === undefined) perEndpoint.set(id, (e = { lat: latency.child(ep(id)), ttft: ttftH.child(ep(id)), byStatus: new Map() }));
    return e;
  }

  return {
    registry,
    contentType: registry.contentType,
    request(endpoint, status, latencyS) {
      const e = forEndpoint(endpoint);
      let c = e.byStatus.get(status);
      if (c === undefined) e.byStatus.set(status, (c = requests.child(ep(endpoint), String(status))));
      c.value++;
      latency.observe(e.lat, latencyS);
    },
    ttft(endpoint, seconds) {
      ttftH.observe(forEndpoint(endpoint).ttft, seconds);
    },
    streamError(endpoint, code) {
      streamErrors.labels(ep(endpoint), code).inc();
    },
    inFlight(delta) {
      inFlightN += delta;
    },
    onRouterEvent(e) {
      switch (e.type) {
        case 'attempt-end':
          {
            const id = e.endpointId;
            attempts.pair(id, e.ok ? 'ok' : (e.errorCode ?? 'error')).value++;
            if (e.usage) {
              if (e.usage.inputTokens) tokens.pair(id, 'input').value += e.usage.inputTokens;
              if (e.usage.outputTokens) tokens.pair(id, 'output').value += e.usage.outputTokens;
            }
            if (e.costUsd > 0) cost.child(id).value += e.costUsd;
          }
          break;
        case 'attempt-start':
          if (e.reason === 'fallback-model') fallbacks.labels(e.model).inc();
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
    // prom-client 15 writes NaN as "Nan" (lib/util.js getValueAsString); the text format spells it NaN.
    render: async () => `${await registry.metrics()}\n${(await processMetrics().metrics()).replace(/ Nan$/gm, ' NaN')}`,
  };
}
