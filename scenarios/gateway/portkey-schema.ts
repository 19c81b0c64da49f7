import { z } from 'zod';

/**
 * The parts of a Portkey gateway config the importer reads, checked against
 * https://portkey.ai/docs/product/ai-gateway/configs, .../load-balancing, .../fallbacks and
 * .../automatic-retries: `strategy.mode` (single | loadbalance | fallback | conditional),
 * `strategy.on_status_codes`, nested `targets` with `weight`, `retry.attempts` (at most 5)
 * and `retry.on_status_codes`, `request_timeout` in ms. Objects are loose: other keys
 * (cache, hooks, metadata...) are listed as not carried.
 */

export const PORTKEY_MODES = ['single', 'loadbalance', 'fallback', 'conditional'] as const;
/** Portkey retries on these statuses when retry.on_status_codes is absent. */
export const PORTKEY_RETRY_STATUSES = [429, 500, 502, 503, 504] as const;

const statusCodes = z.array(z.number().int().min(100).max(599));

export const retrySchema = z.looseObject({
  attempts: z.number().int().min(0).max(5, 'Portkey retries at most 5 times'),
  on_status_codes: statusCodes.optional(),
});

export interface PortkeyTarget {
  name?: string;
  provider?: string;
  virtual_key?: string;
  api_key?: string;
  custom_host?: string;
  weight?: number;
  override_params?: { model?: string; [k: string]: unknown };
  strategy?: { mode: (typeof PORTKEY_MODES)[number]; on_status_codes?: number[]; [k: string]: unknown };
  targets?: PortkeyTarget[];
  retry?: z.output<typeof retrySchema>;
  request_timeout?: number;
  [k: string]: unknown;
}

export const targetSchema: z.ZodType<PortkeyTarget> = z.lazy(() =>
  z.looseObject({
    name: z.string().min(1).optional(),
    provider: z.string().min(1).optional(),
    virtual_key: z.string().min(1).optional(),
    api_key: z.string().optional(),
    custom_host: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
    /** Relative share in a loadbalance; 0 = never chosen. */
    weight: z.number().finite().nonnegative().optional(),
    override_params: z.looseObject({ model: z.string().min(1).optional() }).optional(),
    strategy: z.looseObject({ mode: z.enum(PORTKEY_MODES), on_status_codes: statusCodes.optional() }).optional(),
    targets: z.array(targetSchema).min(1, 'at least one target').optional(),
    retry: retrySchema.optional(),
    request_timeout: z.number().int().positive().optional(),
  }),
);

/** Keys the importer reads; anything else is "not carried". */
export const KNOWN_TARGET_KEYS = [
  'name', 'provider', 'virtual_key', 'api_key', 'custom_host', 'weight', 'override_params', 'strategy', 'targets', 'retry', 'request_timeout',
] as const;
