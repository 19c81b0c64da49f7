import { routerConfigSchema } from '../../router/core/config.js';
import type { Endpoint } from '../../router/core/types.js';
import { NO_HEALTH, type GatewayExport } from './common.js';
import { routerOnlyFeatures, strategyOf, weightOf, type ParsedRouter } from './parsed.js';

/**
 * Our router config -> a Portkey gateway config (JSON), the inverse of portkey-import.ts on
 * what both can express. The primary model group (the first endpoint's) and its fallback
 * groups become a `fallback` chain; a group of several endpoints a `loadbalance` of them
 * by weight; one group alone is the top-level loadbalance.
 *   retry.attempts = min(5, floor(max_attempts / groups) - 1)
 * JSON has no comments: what Portkey cannot express is returned in `notCarried` (the CLI
 * writes it beside the file and prints it).
 */

type Obj = Record<string, unknown>;
const PORTKEY_WEIGHTED = new Set(['baseline-portkey-loadbalance', 'weighted-random', 'weighted']);

function leaf(e: Endpoint, weight: number | undefined): Obj {
  const t: Obj = { name: e.id, provider: e.provider };
  if (e.baseUrl !== undefined) t.custom_host = e.baseUrl;
  t.override_params = { model: e.upstreamModel };
  if (weight !== undefined && weight !== 1) t.weight = weight;
  return t;
}

export function exportPortkey(p: ParsedRouter): GatewayExport {
  const c = p.config;
  const defaults = routerConfigSchema.parse({ endpoints: [{ provider: 'x', model: 'x' }] });
  const strategy = strategyOf(c);
  const notCarried = routerOnlyFeatures(p, defaults);
  if (!PORTKEY_WEIGHTED.has(strategy.name)) notCarried.unshift(`strategy ${strategy.name} (simulated by Portkey's weighted loadbalance)`);
  if (c.health.consecutiveFailures < NO_HEALTH.consecutive_failures) notCarried.push('outlier ejection and cooldowns (Portkey loadbalance has no health checks)');
  const primary = p.endpoints[0]!.model;
  const models = [primary, ...(c.fallbacks[primary] ?? [])];
  const groups = models.map((m) => p.endpoints.filter((e) => e.model === m));
  const left = p.endpoints.filter((e) => !models.includes(e.model));
  if (left.length) notCarried.push(`model groups outside ${primary}'s fallback chain: ${[...new Set(left.map((e) => e.model))].join(', ')}`);
  for (const e of p.endpoints) {
    if (e.apiKeyEnv !== undefined) notCarried.push(`${e.id}: api_key_env ${e.apiKeyEnv} (give Portkey the key as a virtual key or provider slug)`);
    if (e.limits.rpm !== undefined || e.limits.tpm !== undefined) notCarried.push(`${e.id}: rpm/tpm limits`);
  }
  const node = (g: Endpoint[]): Obj =>
    g.length === 1 ? leaf(g[0]!, undefined) : { strategy: { mode: 'loadbalance' }, targets: g.map((e) => leaf(e, weightOf(e, strategy.params))) };
  const top: Obj = groups.length === 1 ? node(groups[0]!) : { strategy: { mode: 'fallback' }, targets: groups.map(node) };
  if (groups.length === 1 && groups[0]!.length === 1) top.strategy = { mode: 'single' };
  const attempts = Math.min(5, Math.max(0, Math.floor(c.retry.maxAttempts / groups.length) - 1));
  if (attempts > 0) top.retry = { attempts };
  if (c.timeouts.ttftMs !== defaults.timeouts.ttftMs) top.request_timeout = Math.round(c.timeouts.ttftMs);
  return { text: `${JSON.stringify(top, null, 2)}\n`, notCarried: notCarried.filter((n) => !n.startsWith('time-to-first-token')) };
}
