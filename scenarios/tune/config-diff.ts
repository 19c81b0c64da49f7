import { endpointSchema, routerConfigSchema } from '../../router/core/config.js';
import { serverSchema, snake } from '../../router/http/config.js';

/**
 * A proxy config as the diff a person reads: snake_case like router/http/example.yaml,
 * and only what differs from the defaults (router/core/config.ts, router/http/config.ts).
 * Endpoints keep what identifies them (id, provider, model, base_url); everything else
 * only when it is not the default. Keys inside user-named maps (fallbacks, strategy
 * params, quality, limits) are left as they are, as normaliseKeys leaves them on load.
 * The result loads unchanged with `npm run router -- --config`.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Fields of `v` that differ from `d`, snake_cased; nested objects (errorRate, activeCheck) recursively. */
function diffSection(v: Obj, d: Obj): Obj {
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (same(x, d[k])) continue;
    out[snake(k)] = isObj(x) && isObj(d[k]) ? diffSection(x, d[k] as Obj) : x;
  }
  return out;
}

const KEEP = new Set(['id', 'provider', 'model', 'baseUrl']);

function endpointDiff(e: Obj): Obj {
  const d = endpointSchema.parse({ provider: 'x', model: 'x' }) as Obj;
  const out: Obj = {};
  for (const [k, x] of Object.entries(e)) {
    if (x === undefined || (!KEEP.has(k) && same(x, d[k]))) continue;
    out[snake(k)] = x; // values as they are: quality, limits and price keys are user names
  }
  return out;
}

/** The diff of a (camelCase, fully or partly filled) proxy config against the defaults. */
export function configDiff(cfg: Obj): Obj {
  const { server, ...router } = cfg;
  const full = routerConfigSchema.parse(router) as Obj;
  const defaults = routerConfigSchema.parse({ endpoints: cfg.endpoints }) as Obj;
  const out: Obj = {};
  if (isObj(server)) {
    const s = diffSection(serverSchema.parse(server) as Obj, serverSchema.parse({}) as Obj);
    if (Object.keys(s).length) out.server = s;
  }
  out.endpoints = (full.endpoints as Obj[]).map(endpointDiff);
  out.strategy = full.strategy;
  if (Object.keys(full.fallbacks as Obj).length) out.fallbacks = full.fallbacks;
  for (const sec of ['health', 'retry', 'timeouts', 'hedging', 'stats'] as const) {
    const s = diffSection(full[sec] as Obj, defaults[sec] as Obj);
    if (Object.keys(s).length) out[sec] = s;
  }
  return out;
}
