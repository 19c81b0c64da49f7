import { parseRouterConfig, type RouterConfig } from '../../router/core/config.js';
import type { Endpoint } from '../../router/core/types.js';
import { parseProxyConfig } from '../../router/http/config.js';
import { NO_HEALTH } from './common.js';

/** A router config with every default filled in: what the exporters read. */
export interface ParsedRouter {
  config: RouterConfig;
  endpoints: Endpoint[];
}

/** Validate a proxy config object (snake_case or camelCase) and fill its defaults. */
export function parseForExport(raw: unknown, where = 'config'): ParsedRouter {
  const proxy = parseProxyConfig(raw, where);
  return parseRouterConfig(proxy.router);
}

/** The strategy's name and params (a bare name has none). */
export function strategyOf(config: RouterConfig): { name: string; params: Record<string, unknown> } {
  const s = config.strategy;
  return typeof s === 'string' ? { name: s, params: {} } : { name: s.name, params: s.params };
}

/** The endpoint weight a weighted strategy uses: params.weights overrides endpoint.weight. */
export function weightOf(e: Endpoint, params: Record<string, unknown>): number {
  const w = (params.weights as Record<string, number> | undefined)?.[e.id];
  return w ?? e.weight;
}

/** Differences from the defaults that neither gateway can express (hedging, retry budget, ...). */
export function routerOnlyFeatures(p: ParsedRouter, defaults: RouterConfig): string[] {
  const c = p.config;
  const out: string[] = [];
  if (c.hedging.enabled) out.push(`hedging (delay_ms ${c.hedging.delayMs})`);
  if (c.retry.budgetRatio < 10) out.push(`retry budget (budget_ratio ${c.retry.budgetRatio})`);
  if (c.health.slowStartMs > 0) out.push(`slow start (slow_start_ms ${c.health.slowStartMs})`);
  const ejects = c.health.consecutiveFailures < NO_HEALTH.consecutive_failures;
  if (ejects && c.health.maxEjectionMs > c.health.baseEjectionMs) out.push(`growing ejection time (max_ejection_ms ${c.health.maxEjectionMs})`);
  if (c.health.activeCheck.intervalMs > 0) out.push('active health checks');
  if (c.timeouts.ttftMs !== defaults.timeouts.ttftMs) out.push(`time-to-first-token timeout (ttft_ms ${c.timeouts.ttftMs})`);
  if (p.endpoints.some((e) => e.http2)) out.push('http2 upstreams');
  return out;
}
