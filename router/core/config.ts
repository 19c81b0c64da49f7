import { z } from 'zod';
import { RouterError } from './errors.js';
import type { Endpoint } from './types.js';

/**
 * The router's configuration, validated with zod. Every field has a safe default
 * except the endpoints. Invalid config throws RouterError('invalid_config') whose
 * message names each bad field path and the expected shape.
 */

const nonNeg = z.number().finite().nonnegative();
const posInt = z.number().int().positive();
/** The longest delay a Node timer supports (2^31 - 1 ms, ~24.8 days); a longer one would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;
/** A delay in ms a Node timer can hold: >= 0 and at most MAX_TIMER_MS. */
export const msSchema = z.number().finite().nonnegative().max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (~24.8 days, the longest timer Node supports)`);
const ms = msSchema;

export const priceSchema = z.strictObject({ input: nonNeg, output: nonNeg });

/** A prompt class a caller can declare (the proxy's x-prompt-class header): letters, digits, '_', '.', '-', 1 to 64 of them. */
export const PROMPT_CLASS_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export const endpointSchema = z.strictObject({
  id: z.string().min(1).optional(),
  provider: z.string().min(1),
  model: z.string().min(1),
  upstreamModel: z.string().min(1).optional(),
  baseUrl: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .optional(),
  weight: z.number().finite().positive().default(1),
  price: priceSchema.default({ input: 0, output: 0 }),
  tier: z.number().int().min(0).default(1),
  quality: z.union([z.number().min(0).max(1), z.record(z.string(), z.number().min(0).max(1))]).optional(),
  classes: z.array(z.string().min(1)).default([]),
  priority: z.number().int().default(0),
  region: z.string().optional(),
  tags: z.array(z.string()).default([]),
  contextWindow: posInt.optional(),
  /**
   * rpm/tpm: the rate per minute. windowMs: how much of it may come at once, as the span of
   * refill the bucket holds (default 60000: a burst of one minute's worth). A test that runs
   * k times faster than real time keeps the burst by scaling the rate by k and this by 1/k.
   */
  limits: z.strictObject({ rpm: posInt.optional(), tpm: posInt.optional(), windowMs: z.number().finite().positive().optional() }).default({}),
  /** Speak HTTP/2 upstream: ALPN-negotiated for https, prior knowledge (h2c) for http. */
  http2: z.boolean().default(false),
});

export const strategyRefSchema = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), params: z.record(z.string(), z.unknown()).default({}) }),
]);

export const healthSchema = z.strictObject({
  /** Eject after this many consecutive failures. */
  consecutiveFailures: posInt.default(5),
  /** Eject when the windowed error rate exceeds `threshold` over at least `minRequests`. */
  errorRate: z
    .strictObject({ threshold: z.number().gt(0).max(1).default(0.5), minRequests: posInt.default(20) })
    .default(() => ({ threshold: 0.5, minRequests: 20 })),
  /** Ejection time = base * 2^(ejections-1), capped at max. */
  baseEjectionMs: ms.default(5_000),
  maxEjectionMs: ms.default(120_000),
  /** Probes allowed at once while half-open. */
  halfOpenProbes: posInt.default(1),
  /** If more than this fraction of candidates is unavailable, ignore health (panic mode). */
  panicThreshold: z.number().min(0).max(1).default(0.5),
  /** Recovered endpoints ramp their weight from 10% to 100% over this time. */
  slowStartMs: ms.default(10_000),
  /** Cooldown for a 429/503 without Retry-After. */
  defaultCooldownMs: ms.default(1_000),
  /** A Retry-After longer than this is capped. */
  maxCooldownMs: ms.default(60_000),
  /** When every candidate is cooling down, wait for the earliest recovery (within the deadline). */
  waitForRecovery: z.boolean().default(true),
  /**
   * ... but never longer than this in all (per request): a recovery further away fails
   * fast with no_healthy_endpoint (503 + Retry-After) instead of holding the caller (e.g.
   * every endpoint ejected for 30 s). Short 429 cooldowns are still waited out.
   */
  maxRecoveryWaitMs: ms.default(10_000),
  /**
   * The provider refused the endpoint's key (401/403) or does not know its model (404):
   * eject it this long (a config fault does not heal in seconds; a half-open probe then
   * checks whether someone fixed it). Shown in /health as the endpoint's `fault`.
   */
  providerFaultEjectionMs: ms.default(300_000),
  /** Active checks via transport.check every intervalMs (0 = off). */
  activeCheck: z
    .strictObject({ intervalMs: ms.default(0), timeoutMs: ms.default(2_000) })
    .default(() => ({ intervalMs: 0, timeoutMs: 2_000 })),
});

export const retrySchema = z.strictObject({
  /** Total attempts per request, across retries, failovers and fallback models. */
  maxAttempts: posInt.default(4),
  backoffBaseMs: ms.default(25),
  backoffMaxMs: ms.default(1_000),
  /** Retries may be at most this share of requests (plus `budgetMinPerSecond`), over `budgetWindowMs`. */
  budgetRatio: z.number().min(0).max(10).default(0.2),
  budgetMinPerSecond: nonNeg.default(5),
  budgetWindowMs: ms.default(10_000),
});

export const timeoutSchema = z.strictObject({
  /** Max wait for the first byte of one attempt. */
  ttftMs: ms.default(30_000),
  /** Max total time for the whole request, all attempts included. */
  totalMs: ms.default(120_000),
  /**
   * Max gap between two chunks of a stream once it started (0 = off). Absent: per endpoint,
   * max(stallMinMs, stallTokens x its observed ms per output token), stallMinMs until it has
   * answered. A stream that stalls ends with an SSE error event (stream_stalled) instead of
   * holding the client until totalMs. The wait for the first chunk is ttftMs's (fails over).
   */
  stallMs: ms.optional(),
  stallMinMs: ms.default(5_000),
  stallTokens: z.number().finite().positive().default(100),
});

export const hedgingSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /**
   * quantile: hedge a try whose first attempt has no first byte (a stream's first chunk, a
   * JSON reply's response) after the `quantile` of that endpoint's recent times to first byte,
   * clamped to [minDelayMs, maxDelayMs] (router/request/hedge-delay.ts); fixed: after delayMs.
   */
  // fixed by default: a config that set delayMs before quantile mode existed keeps its meaning.
  mode: z.enum(['quantile', 'fixed']).default('fixed'),
  /** The delay in fixed mode, and in quantile mode until the endpoint has minSamples answers of the kind. */
  delayMs: ms.default(1_000),
  quantile: z.number().gt(0).lt(1).default(0.95),
  minDelayMs: ms.default(250),
  maxDelayMs: ms.default(2_000),
  minSamples: posInt.default(20),
  /**
   * Hang rescue (router/request/try.ts). It runs only while `enabled` above is false: a timed
   * hedge, when on, replaces it. A try whose first attempt has no first byte while its endpoint looks
   * hung (the 4th attempt started after its latest-answered one has waited more than
   * max(lagFactor x the endpoint's answer lag, minMs), none answered: adaptive's hang rule), while
   * some other endpoint of the group at most maxPriceRatio x its price is not hung and has been
   * silent less than 1/staleRatio as long (not when the whole fleet queues), starts one hedge on another
   * endpoint: the strategy's pick among the untried endpoints that pass that gate (at most
   * maxPriceRatio x the primary's price, silent under 1/staleRatio as long), whatever the
   * strategy; when none of them can take it now, it looks again later. Checked from max(lagFactor x lag, minMs) after the start, then when the limit would
   * pass or every half of that. Like any hedge it counts toward maxAttempts and spends the retry
   * budget; the primary it replaces ends as a ttft_timeout for its endpoint's stats (not the
   * breaker). enabled 'auto' (the default): on with the adaptive strategy, off with the others.
   */
  onHang: z
    .strictObject({
      enabled: z.union([z.boolean(), z.literal('auto')], { error: "true, false or 'auto'" }).default('auto'),
      lagFactor: z.number().finite().min(1).max(100).default(2.5),
      minMs: ms.default(250),
      staleRatio: z.number().finite().min(0).max(100).default(2),
      soleHung: z.boolean().default(true),
      maxPriceRatio: z.number().finite().min(1).default(1.5),
    })
    .default(() => ({ enabled: 'auto' as const, lagFactor: 2.5, minMs: 250, staleRatio: 2, soleHung: true, maxPriceRatio: 1.5 })),
  /**
   * Long answers sent twice (router/request/try.ts): a JSON (not streamed) request whose answer is
   * predicted to take more than overMs on its picked endpoint gets a second attempt at once on
   * another endpoint of its model group serving the same upstream model (the strategy's pick among
   * the untried ones at most maxPriceRatio x the primary's price and failing at most
   * maxFailureRate; never a fallback model); the first whole reply wins and the other is aborted.
   * When none can take it now, the request goes on as without onLong (timed hedge, hang rescue). The prediction is the endpoint's mean recent latency plus
   * (maxTokens - its mean recent answer length) x its decode ms per output token, so it needs the
   * request's max_tokens and an endpoint that has streamed an answer with usage. Off by default: it
   * buys tail latency with money (the loser is billed for what it generated; brownout, adaptive,
   * overMs 2000: p99 4.09 -> 3.82 s, attempt spend +13%, README). Like any hedge it counts toward
   * maxAttempts and spends the retry budget, and it stops while the budget is half spent or the
   * group fails over maxFailureRate. It comes before the timed hedge and the hang rescue: a request
   * it sends twice gets neither. Streams are never sent twice: their race is won by the first chunk.
   */
  onLong: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Predicted answer time (ms) above which a request is sent twice; required when enabled. */
      overMs: z.number().finite().positive().optional(),
      /** Only while the retry budget has spent under this share of its window's allowance (the rest stays for retries). */
      maxBudgetShare: z.number().min(0).max(1).default(0.5),
      /** The second attempt goes only to endpoints at most this many times the primary's price (list price x observed billing factor). */
      maxPriceRatio: z.number().finite().min(1).default(1.5),
      /** Only while the model group failed at most this share of its requests in the stats window (no extra load on an overloaded fleet). */
      maxFailureRate: z.number().min(0).max(1).default(0.05),
    })
    .refine((o) => !o.enabled || o.overMs !== undefined, { message: 'required when enabled', path: ['overMs'] })
    .default(() => ({ enabled: false, maxBudgetShare: 0.5, maxPriceRatio: 1.5, maxFailureRate: 0.05 })),
}).refine((h) => h.minDelayMs <= h.maxDelayMs, { message: 'minDelayMs must be at most maxDelayMs', path: ['minDelayMs'] });

export const statsSchema = z.strictObject({
  /** Peak-EWMA time constant. */
  ewmaTauMs: z.number().positive().default(10_000),
  /** Sliding window for success rate. */
  windowMs: z.number().positive().default(30_000),
  windowBuckets: posInt.max(10_000).default(10),
  /** An observed price change (billed vs list price) fades back to the list price over this time, so the endpoint is tried again. */
  priceMemoryMs: z.number().positive().default(300_000),
  /**
   * A failure after the first byte (a stream cut or stall: the client sees it, no retry or
   * failover can hide it) weighs this many failures in the windowed success rate. 10: in
   * stream-faults adaptive then moves off the host that cuts streams fast enough to stop being
   * dominated on errors by LiteLLM's latency routing (npm run standings). Latency is unaffected.
   */
  cutWeight: z.number().finite().min(1).max(100).default(10),
});

/**
 * Object defaults here (and in the schemas above) are functions that build the object: zod
 * shallow-copies a default object value per parse, and V8 gives the first copy in a process a
 * different map (hidden class) from the later ones, so the second router built in a process
 * (the simulator's second run) threw away the optimised code the first one's requests had made.
 */
export const routerConfigSchema = z.strictObject({
  endpoints: z.array(endpointSchema).min(1, 'at least one endpoint'),
  strategy: strategyRefSchema.default('round-robin'),
  /** Model group -> fallback groups tried in order after it. */
  fallbacks: z.record(z.string(), z.array(z.string().min(1))).default({}),
  health: healthSchema.default(() => healthSchema.parse({})),
  retry: retrySchema.default(() => retrySchema.parse({})),
  timeouts: timeoutSchema.default(() => timeoutSchema.parse({})),
  hedging: hedgingSchema.default(() => hedgingSchema.parse({})),
  stats: statsSchema.default(() => statsSchema.parse({})),
});

export type RouterConfigInput = z.input<typeof routerConfigSchema>;
export type RouterConfig = z.output<typeof routerConfigSchema>;
export type EndpointConfig = z.input<typeof endpointSchema>;
export type HealthConfig = z.output<typeof healthSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
export type TimeoutConfig = z.output<typeof timeoutSchema>;
export type HedgingConfig = z.output<typeof hedgingSchema>;
export type StatsConfig = z.output<typeof statsSchema>;

/** `endpoints[2].price.input` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(root)';
}

/** One line per issue: "<where>.<path>: <message>". */
export function formatZodError(err: z.ZodError, where = 'config'): string {
  return err.issues
    .map((i) => {
      const path = formatPath(i.path);
      return `${where}${path === '(root)' ? '' : '.' + path}: ${i.message}`;
    })
    .join('\n');
}

/** Validate anything against a schema or throw RouterError('invalid_config') naming the field paths. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, where = 'config'): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new RouterError('invalid_config', `invalid ${where}:\n${formatZodError(r.error, where)}`);
  return r.data;
}

/** Turn one validated endpoint config into an Endpoint. */
export function normalizeEndpoint(c: z.output<typeof endpointSchema>): Endpoint {
  const quality: Record<string, number> =
    typeof c.quality === 'number' ? { default: c.quality } : { default: 1, ...(c.quality ?? {}) };
  return Object.freeze({
    id: c.id ?? `${c.provider}/${c.model}`,
    provider: c.provider,
    model: c.model,
    upstreamModel: c.upstreamModel ?? c.model,
    baseUrl: c.baseUrl,
    apiKeyEnv: c.apiKeyEnv,
    weight: c.weight,
    price: Object.freeze({ ...c.price }),
    tier: c.tier,
    quality: Object.freeze(quality),
    classes: Object.freeze([...c.classes]),
    priority: c.priority,
    region: c.region,
    tags: Object.freeze([...c.tags]),
    contextWindow: c.contextWindow,
    limits: Object.freeze({ ...c.limits }),
    http2: c.http2,
  });
}

/** Validate a router config: schema, unique endpoint ids, fallbacks naming known models. */
export function parseRouterConfig(input: unknown): { config: RouterConfig; endpoints: Endpoint[] } {
  const config = parseOrThrow(routerConfigSchema, input);
  const endpoints = config.endpoints.map(normalizeEndpoint);
  const seen = new Map<string, number>();
  const problems: string[] = [];
  endpoints.forEach((e, i) => {
    const prev = seen.get(e.id);
    if (prev !== undefined)
      problems.push(`config.endpoints[${i}].id: duplicate endpoint id "${e.id}" (also endpoints[${prev}]); set a unique id`);
    seen.set(e.id, i);
  });
  const models = new Set(endpoints.map((e) => e.model));
  for (const [model, list] of Object.entries(config.fallbacks)) {
    if (!models.has(model)) problems.push(`config.fallbacks.${model}: no endpoint serves model "${model}"`);
    list.forEach((m, i) => {
      if (!models.has(m)) problems.push(`config.fallbacks.${model}[${i}]: no endpoint serves model "${m}"`);
    });
  }
  if (config.health.maxEjectionMs < config.health.baseEjectionMs)
    problems.push('config.health.maxEjectionMs: expected >= health.baseEjectionMs');
  if (problems.length) throw new RouterError('invalid_config', `invalid config:\n${problems.join('\n')}`);
  return { config, endpoints };
}
