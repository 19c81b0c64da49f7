import YAML from 'yaml';
import { routerConfigSchema, type RouterConfig } from '../../router/core/config.js';
import type { Endpoint } from '../../router/core/types.js';
import { perToken, type GatewayExport } from './common.js';
import { routerOnlyFeatures, strategyOf, weightOf, type ParsedRouter } from './parsed.js';
import type { LiteLlmStrategy } from './litellm-schema.js';

/**
 * Our router config -> a LiteLLM proxy config.yaml, the inverse of litellm-import.ts on
 * what both can express (so import -> export -> import gives the same config):
 *   num_retries   = floor(max_attempts / (1 + longest fallback list)) - 1
 *   allowed_fails = consecutive_failures - 1 ;  cooldown_time = base_ejection_ms / 1000
 * A header comment lists what LiteLLM cannot express (hedging, retry budget, slow start...).
 */

type Obj = Record<string, unknown>;

/** Our strategy -> LiteLLM's routing_strategy, and whether that is exact. */
function routingStrategy(name: string): { to: LiteLlmStrategy; exact: boolean } {
  switch (name) {
    case 'baseline-litellm-shuffle':
      return { to: 'simple-shuffle', exact: true };
    case 'weighted-random':
      return { to: 'simple-shuffle', exact: true };
    case 'baseline-litellm-least-busy':
      return { to: 'least-busy', exact: true };
    case 'least-connections':
      return { to: 'least-busy', exact: false };
    case 'baseline-litellm-usage':
      return { to: 'usage-based-routing-v2', exact: true };
    case 'baseline-litellm-latency':
      return { to: 'latency-based-routing', exact: true };
    case 'latency':
      return { to: 'latency-based-routing', exact: false };
    case 'baseline-litellm-cost':
      return { to: 'cost-based-routing', exact: true };
    case 'cost':
      return { to: 'cost-based-routing', exact: false };
    default:
      return { to: 'simple-shuffle', exact: false };
  }
}

function deployment(e: Endpoint, withWeight: boolean, params: Obj, notCarried: string[]): Obj {
  const lp: Obj = { model: `${e.provider}/${e.upstreamModel}` };
  if (e.baseUrl !== undefined) lp.api_base = e.baseUrl;
  if (e.apiKeyEnv !== undefined) lp.api_key = `os.environ/${e.apiKeyEnv}`;
  if (e.limits.rpm !== undefined) lp.rpm = e.limits.rpm;
  if (e.limits.tpm !== undefined) lp.tpm = e.limits.tpm;
  if (withWeight) lp.weight = weightOf(e, params);
  if (e.priority !== 0) lp.order = e.priority;
  if (e.region !== undefined) lp.region_name = e.region;
  lp.input_cost_per_token = perToken(e.price.input);
  lp.output_cost_per_token = perToken(e.price.output);
  const info: Obj = { id: e.id };
  if (e.contextWindow !== undefined) info.max_input_tokens = e.contextWindow;
  if (e.tier !== 1 || e.classes.length || e.tags.length) notCarried.push(`${e.id}: tier/classes/tags`);
  return { model_name: e.model, litellm_params: lp, model_info: info };
}

export function exportLiteLlm(p: ParsedRouter): GatewayExport {
  const c: RouterConfig = p.config;
  const defaults = routerConfigSchema.parse({ endpoints: [{ provider: 'x', model: 'x' }] });
  const strategy = strategyOf(c);
  const { to, exact } = routingStrategy(strategy.name);
  const notCarried = routerOnlyFeatures(p, defaults);
  if (!exact) notCarried.unshift(`strategy ${strategy.name} (simulated by LiteLLM's ${to})`);
  const by = strategy.name === 'baseline-litellm-shuffle' ? ((strategy.params.by as string | undefined) ?? 'weight') : 'weight';
  const withWeight = to === 'simple-shuffle' && by === 'weight';
  const longest = Math.max(0, ...Object.values(c.fallbacks).map((l) => l.length));
  const rs: Obj = {
    routing_strategy: to,
    num_retries: Math.max(0, Math.floor(c.retry.maxAttempts / (1 + longest)) - 1),
    allowed_fails: c.health.consecutiveFailures - 1,
    cooldown_time: c.health.baseEjectionMs / 1000,
    timeout: c.timeouts.totalMs / 1000,
  };
  if (strategy.name === 'baseline-litellm-latency' && strategy.params.buffer !== undefined)
    rs.routing_strategy_args = { lowest_latency_buffer: strategy.params.buffer };
  if (Object.keys(c.fallbacks).length) rs.fallbacks = Object.entries(c.fallbacks).map(([m, l]) => ({ [m]: l }));
  const doc = { model_list: p.endpoints.map((e) => deployment(e, withWeight, strategy.params, notCarried)), router_settings: rs };
  const header = [
    'LiteLLM proxy config written by `npm run convert` (llm-router).',
    notCarried.length ? 'Not carried (LiteLLM cannot express):' : 'Everything was carried.',
    ...notCarried.map((n) => `  - ${n}`),
  ];
  return { text: `${header.map((l) => `# ${l}`).join('\n')}\n${YAML.stringify(doc)}`, notCarried };
}
