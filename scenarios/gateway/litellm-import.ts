import { envRef, gatewayError, issueLines, NO_RETRY_BUDGET, perMillion, profileFor, PROVIDER_BASE_URLS, uniqueId, unknownKeys, type GatewayImport } from './common.js';
import { KNOWN, LITELLM_DEFAULTS, litellmConfigSchema, type LiteLlmConfig, type LiteLlmDeployment, type LiteLlmStrategy } from './litellm-schema.js';

/**
 * LiteLLM proxy config.yaml -> our proxy config (snake_case), simulating LiteLLM's own
 * algorithm: routing_strategy maps to the baseline that implements it, and the router's
 * settings are set to LiteLLM's behaviour:
 *   attempts     = (num_retries + 1) x (1 + longest fallback list)
 *   ejection     after allowed_fails + 1 failures, for cooldown_time (fixed, no growth)
 *   no slow start, no retry budget, no hedging (LiteLLM has none of them)
 * Deployment fields: model_name -> model, litellm_params.model `provider/name` ->
 * provider + upstream_model, api_base -> base_url, api_key `os.environ/VAR` -> api_key_env,
 * rpm/tpm -> limits, weight, order -> priority, costs per token -> price per 1M tokens,
 * model_info.max_input_tokens -> context_window, region_name -> region.
 */

type Obj = Record<string, unknown>;

/** routing_strategy -> our strategy reference. */
function strategyFor(name: LiteLlmStrategy, cfg: LiteLlmConfig): string | { name: string; params: Obj } {
  switch (name) {
    case 'simple-shuffle': {
      // LiteLLM looks at the first deployment: weight, else rpm, else tpm, else uniform.
      const p = cfg.model_list[0]!.litellm_params;
      const by = p.weight !== undefined ? 'weight' : p.rpm !== undefined ? 'rpm' : p.tpm !== undefined ? 'tpm' : 'uniform';
      return { name: 'baseline-litellm-shuffle', params: { by } };
    }
    case 'least-busy':
      return 'baseline-litellm-least-busy';
    case 'usage-based-routing':
    case 'usage-based-routing-v2':
      return 'baseline-litellm-usage';
    case 'latency-based-routing': {
      const buffer = cfg.router_settings?.routing_strategy_args?.lowest_latency_buffer;
      return buffer === undefined ? 'baseline-litellm-latency' : { name: 'baseline-litellm-latency', params: { buffer } };
    }
    case 'cost-based-routing':
      return 'baseline-litellm-cost';
  }
}

function endpointFor(d: LiteLlmDeployment, i: number, ids: Set<string>, warnings: string[]): Obj {
  const p = d.litellm_params;
  const slash = p.model.indexOf('/');
  const provider = slash > 0 ? p.model.slice(0, slash) : 'openai';
  const upstream = slash > 0 ? p.model.slice(slash + 1) : p.model;
  const at = `model_list[${i}]`;
  const e: Obj = { id: uniqueId(d.model_info?.id ?? `${provider}/${upstream}`, ids), provider, model: d.model_name, upstream_model: upstream };
  const base = p.api_base ?? PROVIDER_BASE_URLS[provider];
  if (base !== undefined) e.base_url = base;
  else warnings.push(`${at}.litellm_params.api_base: none, and no known OpenAI-compatible URL for provider "${provider}": set base_url before serving`);
  if (p.api_key !== undefined) {
    const env = envRef(p.api_key);
    if (env !== undefined) e.api_key_env = env;
    else warnings.push(`${at}.litellm_params.api_key: a literal key is never written out; put it in an environment variable and set api_key_env`);
  }
  if (p.weight !== undefined) e.weight = p.weight;
  if (p.order !== undefined) e.priority = p.order;
  const inCost = p.input_cost_per_token ?? d.model_info?.input_cost_per_token;
  const outCost = p.output_cost_per_token ?? d.model_info?.output_cost_per_token;
  const { profile, exact } = profileFor(provider, upstream);
  if (inCost !== undefined || outCost !== undefined) e.price = { input: perMillion(inCost ?? 0), output: perMillion(outCost ?? 0) };
  else if (exact) e.price = { ...profile.price };
  else warnings.push(`${at}: no input_cost_per_token/output_cost_per_token and no known price for "${p.model}": price 0`);
  if (p.region_name !== undefined) e.region = p.region_name;
  const ctx = d.model_info?.max_input_tokens ?? (exact ? profile.contextWindow : undefined);
  if (ctx !== undefined) e.context_window = ctx;
  if (p.rpm !== undefined || p.tpm !== undefined) e.limits = { ...(p.rpm !== undefined ? { rpm: p.rpm } : {}), ...(p.tpm !== undefined ? { tpm: p.tpm } : {}) };
  if (p.timeout !== undefined) warnings.push(`${at}.litellm_params.timeout: a per-deployment timeout is not carried (timeouts are router-wide here)`);
  return e;
}

function notCarried(raw: Obj, cfg: LiteLlmConfig): string[] {
  const out = unknownKeys(raw, KNOWN.top, '');
  for (const k of ['general_settings', 'environment_variables']) if (raw[k] !== undefined) out.push(k);
  cfg.model_list.forEach((d, i) => {
    out.push(...unknownKeys(d, KNOWN.deployment, `model_list[${i}]`));
    out.push(...unknownKeys(d.litellm_params, KNOWN.params, `model_list[${i}].litellm_params`));
    out.push(...unknownKeys(d.model_info, KNOWN.info, `model_list[${i}].model_info`));
  });
  out.push(...unknownKeys(cfg.router_settings, KNOWN.router, 'router_settings'));
  out.push(...unknownKeys(cfg.litellm_settings, KNOWN.litellm, 'litellm_settings'));
  return out;
}

/** Validate a parsed LiteLLM config and convert it; throws a ScenarioError (exit 2) naming the key path. */
export function importLiteLlm(raw: unknown, where = 'LiteLLM config'): GatewayImport {
  const r = litellmConfigSchema.safeParse(raw);
  if (!r.success) throw gatewayError(where, issueLines(r.error));
  const cfg = r.data;
  const warnings: string[] = [];
  const rs = cfg.router_settings ?? {};
  const ls = cfg.litellm_settings ?? {};
  const ids = new Set<string>();
  const endpoints = cfg.model_list.map((d, i) => endpointFor(d, i, ids, warnings));
  const models = new Set(endpoints.map((e) => e.model as string));
  const fallbacks: Record<string, string[]> = {};
  for (const [i, entry] of (rs.fallbacks ?? ls.fallbacks ?? []).entries())
    for (const [model, list] of Object.entries(entry)) {
      const bad = [model, ...list].filter((m) => !models.has(m));
      if (bad.length) throw gatewayError(where, [`${rs.fallbacks ? 'router_settings' : 'litellm_settings'}.fallbacks[${i}].${model}: no model_name ${bad.map((b) => `"${b}"`).join(', ')} in model_list; model names: ${[...models].join(', ')}`]);
      fallbacks[model] = list;
    }
  const longest = Math.max(0, ...Object.values(fallbacks).map((l) => l.length));
  const numRetries = rs.num_retries ?? ls.num_retries ?? LITELLM_DEFAULTS.num_retries;
  const allowedFails = rs.allowed_fails ?? LITELLM_DEFAULTS.allowed_fails;
  const cooldownMs = (rs.cooldown_time ?? LITELLM_DEFAULTS.cooldown_time) * 1000;
  const timeoutS = rs.timeout ?? ls.request_timeout;
  const config: Obj = {
    endpoints,
    strategy: strategyFor(rs.routing_strategy ?? 'simple-shuffle', cfg),
    fallbacks,
    health: { consecutive_failures: allowedFails + 1, base_ejection_ms: cooldownMs, max_ejection_ms: cooldownMs, slow_start_ms: 0 },
    retry: { max_attempts: (numRetries + 1) * (1 + longest), ...NO_RETRY_BUDGET },
    ...(timeoutS !== undefined ? { timeouts: { total_ms: timeoutS * 1000 } } : {}),
    hedging: { enabled: false },
  };
  if (cfg.model_list.some((d) => d.litellm_params.order !== undefined))
    warnings.push('litellm_params.order: carried as priority (the priority strategy reads it); the LiteLLM baselines do not filter by it as LiteLLM does');
  if (allowedFails > 0) warnings.push('router_settings.allowed_fails: LiteLLM counts failures per minute; carried as consecutive failures before ejection');
  const skipped = notCarried(raw as Obj, cfg);
  if (skipped.length) warnings.unshift(`not carried (no equivalent here): ${skipped.join(', ')}`);
  return { from: 'litellm', config, primaryModel: cfg.model_list[0]!.model_name, warnings };
}
