import { routerConfigSchema, type RouterConfigInput } from '../../router/core/config.js';
import { DEFAULT_LIMIT_WINDOW_MS } from '../../router/core/rate-limit.js';
import { routerStrategy } from '../spec/replicas.js';
import type { ResolvedProvider } from './resolve.js';
import type { Scenario, StrategyRef } from '../spec/schema.js';

/**
 * The router config a scenario implies for one strategy: one endpoint per provider
 * (all serving the scenario's model group; price, quality and limits from the profile;
 * weight/tier/classes from the scenario), plus the scenario's router settings. Both
 * modes build it here, so sim and http route with the same config.
 *
 * http mode compresses time by `speed` (providers answer k times faster and the
 * timeline runs k times faster), so every duration in the config is divided by k and
 * every per-time rate multiplied by k: a 5 s ejection in scenario time is 1 s of wall
 * time at speed 5. Endpoint limits: the rate (rpm/tpm) is multiplied by k and the window
 * the bucket holds (limits.windowMs, one minute) divided by k, so the burst stays the
 * scenario's one minute's worth of requests: multiplying the rate alone doubled the burst
 * at speed 2 (a 300 RPM limit let 600 requests through at once instead of 300).
 */

/** Classes an endpoint is fit for when the scenario does not say: quality >= this. */
export const FIT_QUALITY = 0.8;

export interface RouterConfigOptions {
  /** Upstream base URL per provider id (http mode). */
  baseUrls?: Readonly<Record<string, string>>;
  /** Time compression (http mode); 1 = scenario time. */
  speed?: number;
}

export function scenarioRouterConfig(
  s: Scenario,
  providers: readonly ResolvedProvider[],
  strategy: StrategyRef,
  opts: RouterConfigOptions = {},
): RouterConfigInput {
  const k = opts.speed ?? 1;
  const endpoints = providers.map((p) => {
    const prof = p.profile;
    const quality = { default: prof.quality.general, ...prof.quality };
    const classes = p.endpoint.classes ?? Object.keys(prof.quality).filter((c) => (prof.quality[c] ?? 0) >= FIT_QUALITY);
    const limits: { rpm?: number; tpm?: number; windowMs?: number } = {};
    const own = p.endpoint.limits ?? prof.limits;
    if (own.rpm !== undefined) limits.rpm = Math.round(own.rpm * k);
    if (own.tpm !== undefined) limits.tpm = Math.round(own.tpm * k);
    if (k !== 1 && (own.rpm !== undefined || own.tpm !== undefined)) limits.windowMs = DEFAULT_LIMIT_WINDOW_MS / k;
    return {
      id: p.id,
      provider: prof.provider ?? p.id,
      model: p.endpoint.model ?? s.model,
      upstreamModel: prof.model,
      ...(opts.baseUrls ? { baseUrl: opts.baseUrls[p.id] } : {}),
      weight: p.endpoint.weight ?? 1,
      price: { ...prof.price },
      tier: p.endpoint.tier ?? 1,
      quality,
      classes,
      priority: p.endpoint.priority ?? 0,
      region: p.endpoint.region ?? prof.region,
      tags: p.endpoint.tags ?? [],
      ...(prof.contextWindow !== undefined ? { contextWindow: prof.contextWindow } : {}),
      limits,
    };
  });
  const cfg = { endpoints, strategy: routerStrategy(strategy), ...structuredClone(s.router) } as RouterConfigInput;
  return k === 1 ? cfg : compressTime(cfg, k);
}

/**
 * http mode's warm-up (JIT, keep-alive pools) asks for this model: its own copy of every
 * endpoint (same upstream, ids and model prefixed), so the measured model group starts with
 * the state sim mode starts with. Warm-up traffic through the measured endpoints advanced
 * round-robin's cursor (by however many warm-up requests fit in the warm-up time) and
 * seeded latency and health stats, so the same request met another endpoint than in sim.
 */
export const WARMUP_PREFIX = 'warmup~';

export function withWarmupEndpoints(cfg: RouterConfigInput): RouterConfigInput {
  const copies = cfg.endpoints.map((e) => ({ ...e, id: `${WARMUP_PREFIX}${e.id ?? e.model}`, model: `${WARMUP_PREFIX}${e.model}` }));
  return { ...cfg, endpoints: [...cfg.endpoints, ...copies] };
}

/** Keys (at any depth of the router settings) holding durations in ms. */
const MS_KEY = /Ms$/;
/** Keys holding per-second rates. */
const PER_SECOND_KEY = /PerSecond$/;

/** Divide durations by k and multiply per-second rates by k, leaving endpoints/strategy alone. */
export function compressTime(cfg: RouterConfigInput, k: number): RouterConfigInput {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [key, val] of Object.entries(v)) {
      if (typeof val === 'number' && MS_KEY.test(key)) out[key] = val / k;
      else if (typeof val === 'number' && PER_SECOND_KEY.test(key)) out[key] = val * k;
      else out[key] = walk(val);
    }
    return out;
  };
  const { endpoints, strategy, ...rest } = cfg;
  // Defaults the scenario did not set still need compressing: fill them first.
  const withDefaults = fillDefaults(rest);
  return { endpoints, strategy, ...(walk(withDefaults) as object) } as RouterConfigInput;
}


/** The router settings with every default filled in (so compression sees every duration). */
function fillDefaults(rest: Omit<RouterConfigInput, 'endpoints' | 'strategy'>): Record<string, unknown> {
  const full = routerConfigSchema.parse({ ...rest, endpoints: [{ provider: 'x', model: 'x' }] });
  const { endpoints: _e, strategy: _s, ...settings } = full;
  return settings;
}
