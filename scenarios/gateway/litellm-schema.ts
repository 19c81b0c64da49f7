import { z } from 'zod';

/**
 * The parts of a LiteLLM proxy `config.yaml` the importer reads, checked against
 * https://docs.litellm.ai/docs/proxy/configs and .../proxy/config_settings (router_settings)
 * and https://docs.litellm.ai/docs/routing. Objects are loose: LiteLLM accepts many more
 * keys; the importer lists the ones it cannot carry as a warning, not an error.
 */

/** router_settings.routing_strategy values (LiteLLM Router's routing_strategy). */
export const LITELLM_STRATEGIES = [
  'simple-shuffle',
  'least-busy',
  'usage-based-routing',
  'usage-based-routing-v2',
  'latency-based-routing',
  'cost-based-routing',
] as const;
export type LiteLlmStrategy = (typeof LITELLM_STRATEGIES)[number];

const count = z.number().int().nonnegative();
const seconds = z.number().finite().positive();
const perToken = z.number().finite().nonnegative();

export const litellmParamsSchema = z.looseObject({
  /** `provider/model` as litellm.completion() takes it (`openai/gpt-4o-mini`). */
  model: z.string().min(1),
  api_base: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
  /** `os.environ/VAR` (carried as api_key_env) or a literal key (never carried). */
  api_key: z.string().optional(),
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
  weight: z.number().finite().positive().optional(),
  /** Lower is tried first (LiteLLM deployment ordering). */
  order: z.number().int().optional(),
  input_cost_per_token: perToken.optional(),
  output_cost_per_token: perToken.optional(),
  region_name: z.string().optional(),
  timeout: seconds.optional(),
});

export const modelInfoSchema = z.looseObject({
  id: z.string().min(1).optional(),
  input_cost_per_token: perToken.optional(),
  output_cost_per_token: perToken.optional(),
  max_input_tokens: z.number().int().positive().optional(),
});

export const deploymentSchema = z.looseObject({
  model_name: z.string().min(1),
  litellm_params: litellmParamsSchema,
  model_info: modelInfoSchema.optional(),
});

/** fallbacks: [{ "gpt-4": ["gpt-3.5-turbo"] }] */
const fallbacksSchema = z.array(z.record(z.string(), z.array(z.string().min(1))));

export const routerSettingsSchema = z.looseObject({
  routing_strategy: z.enum(LITELLM_STRATEGIES).optional(),
  routing_strategy_args: z.looseObject({ lowest_latency_buffer: z.number().min(0).max(10).optional() }).optional(),
  num_retries: count.optional(),
  allowed_fails: count.optional(),
  cooldown_time: z.number().finite().nonnegative().optional(),
  fallbacks: fallbacksSchema.optional(),
  timeout: seconds.optional(),
});

export const litellmSettingsSchema = z.looseObject({
  num_retries: count.optional(),
  request_timeout: seconds.optional(),
  fallbacks: fallbacksSchema.optional(),
});

export const litellmConfigSchema = z.looseObject({
  model_list: z.array(deploymentSchema).min(1, 'at least one deployment'),
  router_settings: routerSettingsSchema.optional(),
  litellm_settings: litellmSettingsSchema.optional(),
});

export type LiteLlmConfig = z.output<typeof litellmConfigSchema>;
export type LiteLlmDeployment = z.output<typeof deploymentSchema>;

/** LiteLLM's defaults (Router.__init__): no retries, 3 allowed fails, 5 s cooldown. */
export const LITELLM_DEFAULTS = { num_retries: 0, allowed_fails: 3, cooldown_time: 5 } as const;

/** Keys the importer reads (or knowingly maps), per level; anything else is "not carried". */
export const KNOWN = {
  top: ['model_list', 'router_settings', 'litellm_settings', 'general_settings', 'environment_variables'],
  deployment: ['model_name', 'litellm_params', 'model_info'],
  params: ['model', 'api_base', 'api_key', 'rpm', 'tpm', 'weight', 'order', 'input_cost_per_token', 'output_cost_per_token', 'region_name', 'timeout'],
  info: ['id', 'input_cost_per_token', 'output_cost_per_token', 'max_input_tokens'],
  router: ['routing_strategy', 'routing_strategy_args', 'num_retries', 'allowed_fails', 'cooldown_time', 'fallbacks', 'timeout'],
  litellm: ['num_retries', 'request_timeout', 'fallbacks'],
} as const;
