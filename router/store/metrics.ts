import { Counter, Gauge, type Registry } from 'prom-client';
import type { RedisLink } from './redis-client.js';

/** llm_router_store_up (1 = Redis answering) and llm_router_store_errors_total{op}, read at scrape time. */
export function registerStoreMetrics(registry: Registry, link: RedisLink, prefix = 'llm_router_'): void {
  new Gauge({
    name: `${prefix}store_up`,
    help: 'Shared state store reachable: 1 up, 0 down (routing continues on local state).',
    registers: [registry],
    collect() {
      this.set(link.up ? 1 : 0);
    },
  });
  const seen = new Map<string, number>();
  new Counter({
    name: `${prefix}store_errors_total`,
    help: 'Failed shared-store commands by operation (rate_limit, health_put, health_read, client_limit, cache_get, cache_put).',
    labelNames: ['op'] as const,
    registers: [registry],
    collect() {
      for (const [op, n] of link.errors) {
        const d = n - (seen.get(op) ?? 0);
        if (d > 0) this.inc({ op }, d);
        seen.set(op, n);
      }
    },
  });
}
