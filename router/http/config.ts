import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { formatPath, msSchema, parseRouterConfig, routerConfigSchema, type RouterConfigInput } from '../core/config.js';
import { RouterError } from '../core/errors.js';
import type { Endpoint } from '../core/types.js';
import { storeSchema, type StoreConfig } from '../store/config.js';
import { responseCacheSchema, type ResponseCacheConfig } from '../cache/response-cache.js';

/**
 * The proxy's config file: the router config (router/core/config.ts, unchanged) plus a
 * `server` section. Validated once at start; every problem is reported with its field
 * path (`config.endpoints[1].baseUrl: ...`) and the process refuses to start.
 *
 * Files may spell endpoint/server fields in snake_case (`api_key_env`, `base_url`);
 * keys are normalised to camelCase before validation, never inside user-named maps
 * (fallbacks, quality, strategy params).
 */

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

export const clientKeySchema = z
  .strictObject({
    /** A label for logs and metrics (never the key itself). */
    name: z.string().min(1).optional(),
    /** Environment variable holding the key. */
    keyEnv: envName.optional(),
    /** sha256 hex of the key, so the file holds no secret. */
    keySha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, '64 hex characters (sha256 of the key)')
      .optional(),
    /** Requests per minute allowed for this key (token bucket); unlimited when absent. */
    rpm: z.number().int().positive().optional(),
    /** Requests with this key prefer endpoints in this region (an `x-router-region` header overrides it). */
    region: z.string().min(1).optional(),
  })
  .refine((k) => (k.keyEnv === undefined) !== (k.keySha256 === undefined), {
    message: 'set exactly one of keyEnv (key_env) or keySha256 (key_sha256)',
  });

export const serverSchema = z.strictObject({
  port: z.number().int().min(0).max(65_535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  /** Larger request bodies get 413. */
  bodyLimitBytes: z.number().int().positive().default(1_048_576),
  /** When non-empty, every request needs `Authorization: Bearer <one of these keys>`. */
  clientKeys: z.array(clientKeySchema).default([]),
  /**
   * Who may read GET /health and GET /metrics when clientKeys is set: `key` (default)
   * needs a client key like /v1/*, as they show endpoint names, states and traffic;
   * `none` leaves them open (a load balancer's health probe that cannot send a key). With
   * no clientKeys everything is open anyway.
   */
  healthAuth: z.enum(['key', 'none']).default('key'),
  metricsAuth: z.enum(['key', 'none']).default('key'),
  /** On SIGTERM, wait this long for in-flight requests before closing them. */
  drainTimeoutMs: msSchema.int().default(10_000),
  /**
   * A client must send its request headers within this time of connecting (or of the
   * first byte of its next request on a kept-alive connection), else a plain-text 408 and
   * the connection closes: a silent or slowloris client does not hold a socket for ever.
   */
  headersTimeoutMs: msSchema.int().positive().default(10_000),
  /**
   * ... and the whole request, headers and body, within this time. Never limits the
   * response (a long stream). Raise it with bodyLimitBytes for large uploads on slow links.
   */
  requestTimeoutMs: msSchema.int().positive().default(30_000),
  /** An idle kept-alive connection is closed after this long (above a load balancer's idle timeout). */
  keepAliveTimeoutMs: msSchema.int().positive().default(65_000),
  /**
   * Browser origins allowed to call /v1/* (`scheme://host[:port]`, compared after URL
   * normalisation). A request with any other `Origin` header gets 403: a web page the
   * user visits cannot spend the provider keys through a proxy on localhost (cross-site
   * requests, DNS rebinding). SDKs and servers send no Origin and are unaffected. The
   * proxy sends no CORS headers: an allowed browser app calls it through a same-origin
   * reverse proxy.
   */
  allowedOrigins: z
    .array(
      z.string().refine((o) => normaliseOrigin(o) !== null, 'an origin: scheme://host[:port], no path (e.g. https://app.example)'),
    )
    .default([])
    .transform((list) => list.map((o) => normaliseOrigin(o)!)),
  /**
   * Access log (router/http/access-log.ts documents every field): a file path (appended;
   * reopened on SIGUSR2 for log rotation) or `stdout`. Off when absent. One JSON line per
   * chat request; no prompt text, no keys.
   */
  accessLog: z.string().min(1).optional(),
  /** Unwritten access-log lines kept at most (characters); past it lines are dropped and counted. */
  accessLogBufferBytes: z.number().int().min(4096).default(4 * 1024 * 1024),
}).refine((s) => s.headersTimeoutMs <= s.requestTimeoutMs, {
  message: 'headersTimeoutMs must be <= requestTimeoutMs',
  path: ['headersTimeoutMs'],
});

export type ServerConfig = z.output<typeof serverSchema>;
export type ServerConfigInput = z.input<typeof serverSchema>;
export type ClientKeyConfig = z.output<typeof clientKeySchema>;

/** `https://App.example:443/` -> `https://app.example`; null when it is not a bare http(s) origin. */
export function normaliseOrigin(o: string): string | null {
  let u: URL;
  try {
    u = new URL(o);
  } catch {
    return null;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username)
    return null;
  return u.origin;
}

export interface ProxyConfig {
  /** Validated and normalised router config input, ready for createRouter. */
  router: RouterConfigInput;
  server: ServerConfig;
  endpoints: Endpoint[];
  /** Shared state for several replicas (`store:`); absent = in memory. */
  store?: StoreConfig;
  /** Exact-match response cache (`cache:`, router/cache); absent = off. */
  cache?: ResponseCacheConfig;
}

/** `api_key_env` -> `apiKeyEnv`. */
export const camel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** camelCased object -> its keys as the file spelled them (camel -> written), for error messages. */
const spellings = new WeakMap<object, Map<string, string>>();

/** Convert an object's own keys to camelCase; a key given both ways is an error naming the field. */
function camelKeys(v: unknown, where: string, problems: string[]): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  const written = new Map<string, string>();
  for (const [k, val] of Object.entries(v)) {
    const c = camel(k);
    if (c in out) problems.push(`${where}.${c}: given twice (as "${k}" and "${c}"); keep one`);
    out[c] = val;
    written.set(c, k);
  }
  spellings.set(out, written);
  return out;
}

/** `overMs` -> `over_ms` (the inverse of camel). */
export const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A field path in the normalised config, spelled as the file wrote it (`retry.max_attempts`
 * when the file said max_attempts): walk the normalised object along the path, looking each
 * key up in the spellings camelKeys recorded. A field the file did not write (a required one
 * missing) is spelled the way the file spelled that object's other keys: snake_case when any
 * of them was (`hedging.on_long.over_ms`), else camelCase.
 */
export function spelledPath(root: unknown, path: ReadonlyArray<PropertyKey>): PropertyKey[] {
  let at: unknown = root;
  return path.map((seg) => {
    const obj = typeof at === 'object' && at !== null ? at : undefined;
    const written = obj ? spellings.get(obj) : undefined;
    const out = typeof seg !== 'string' || written === undefined ? seg : (written.get(seg) ?? (wroteSnake(written) ? snake(seg) : seg));
    at = obj ? (obj as Record<PropertyKey, unknown>)[seg] : undefined;
    return out;
  });
}

/** Did the file spell any key of this object in snake_case? */
function wroteSnake(written: ReadonlyMap<string, string>): boolean {
  for (const [c, w] of written) if (c !== w) return true;
  return false;
}

/** `health.maxEjectionMs` / `endpoints[1].id` -> path segments. */
const pathSegments = (p: string): PropertyKey[] => p.split(/\.|(?=\[)/).map((s) => (/^\[\d+\]$/.test(s) ? Number(s.slice(1, -1)) : s));

/** zod issues as lines `path: message`, the path spelled as written (no file-name prefix). */
function spelledLines(err: z.ZodError, root: unknown, prefix = ''): string[] {
  return err.issues.map((i) => `${prefix}${formatPath(spelledPath(root, i.path))}: ${i.message}`);
}

const mapArray = (v: unknown, f: (x: unknown, i: number) => unknown): unknown => (Array.isArray(v) ? v.map(f) : v);

/** Normalise snake_case spellings at the known places; leave user-named maps alone. */
export function normaliseKeys(raw: unknown, where = 'config'): unknown {
  const problems: string[] = [];
  const top = camelKeys(raw, where, problems);
  if (typeof top !== 'object' || top === null || Array.isArray(top)) return raw;
  const o = top as Record<string, unknown>;
  o.endpoints = mapArray(o.endpoints, (e, i) => {
    const ep = camelKeys(e, `${where}.endpoints[${i}]`, problems) as Record<string, unknown>;
    if (ep && typeof ep === 'object' && ep.limits !== undefined) ep.limits = camelKeys(ep.limits, `${where}.endpoints[${i}].limits`, problems); // window_ms
    return ep;
  });
  for (const sec of ['health', 'retry', 'timeouts', 'hedging', 'stats'] as const) {
    if (o[sec] !== undefined) o[sec] = camelKeys(o[sec], `${where}.${sec}`, problems);
  }
  const hd = o.hedging as Record<string, unknown> | undefined;
  if (hd && typeof hd === 'object') {
    if (hd.onHang !== undefined) hd.onHang = camelKeys(hd.onHang, `${where}.hedging.onHang`, problems); // lag_factor, max_price_ratio
    if (hd.onLong !== undefined) hd.onLong = camelKeys(hd.onLong, `${where}.hedging.onLong`, problems); // over_ms
  }
  const h = o.health as Record<string, unknown> | undefined;
  if (h && typeof h === 'object') {
    if (h.errorRate !== undefined) h.errorRate = camelKeys(h.errorRate, `${where}.health.errorRate`, problems);
    if (h.activeCheck !== undefined) h.activeCheck = camelKeys(h.activeCheck, `${where}.health.activeCheck`, problems);
  }
  if (o.store !== undefined) o.store = camelKeys(o.store, `${where}.store`, problems);
  if (o.cache !== undefined) o.cache = camelKeys(o.cache, `${where}.cache`, problems);
  if (o.server !== undefined) {
    const s = camelKeys(o.server, `${where}.server`, problems) as Record<string, unknown>;
    if (s && typeof s === 'object')
      s.clientKeys = mapArray(s.clientKeys, (k, i) => camelKeys(k, `${where}.server.clientKeys[${i}]`, problems));
    o.server = s;
  }
  if (problems.length) throw new RouterError('invalid_config', `invalid ${where}:\n${problems.join('\n')}`);
  return o;
}

/** Validate a parsed config object (YAML or JSON). Throws RouterError('invalid_config') naming every bad field. */
export function parseProxyConfig(raw: unknown, where = 'config'): ProxyConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new RouterError('invalid_config', `invalid ${where}: expected a mapping with "endpoints" (and optionally "server")`);
  const normalised = normaliseKeys(raw, where) as Record<string, unknown>;
  const { server: serverRaw, store: storeRaw, cache: cacheRaw, ...routerRaw } = normalised;
  const serverKey = spelledPath(normalised, ['server'])[0] as string;
  const problems: string[] = [];
  const st = storeRaw === undefined ? undefined : storeSchema.safeParse(storeRaw);
  if (st && !st.success) problems.push(...spelledLines(st.error, storeRaw, `${spelledPath(normalised, ['store'])[0] as string}.`));
  const ca = cacheRaw === undefined ? undefined : responseCacheSchema.safeParse(cacheRaw);
  if (ca && !ca.success) problems.push(...spelledLines(ca.error, cacheRaw, `${spelledPath(normalised, ['cache'])[0] as string}.`));
  const s = serverSchema.safeParse(serverRaw ?? {});
  if (!s.success) problems.push(...spelledLines(s.error, serverRaw, `${serverKey}.`));
  const r = routerConfigSchema.safeParse(routerRaw);
  if (!r.success) problems.push(...spelledLines(r.error, normalised));
  if (ca?.success && ca.data.backend === 'store' && !(st?.success && st.data.kind === 'redis'))
    problems.push(`cache.backend: "store" keeps entries in the shared store; it needs store: { kind: redis, url }`);
  if (r.success && ca?.success) {
    const groups = new Set(r.data.endpoints.map((e) => e.model));
    ca.data.models.forEach((m, i) => {
      if (!groups.has(m)) problems.push(`cache.models[${i}]: unknown model group "${m}"; known: ${[...groups].join(', ')}`);
    });
  }
  if (r.success) {
    r.data.endpoints.forEach((e, i) => {
      if (!e.baseUrl) problems.push(`${formatPath(spelledPath(normalised, ['endpoints', i]))}.base_url: required by the proxy (the upstream, e.g. http://127.0.0.1:4101/v1)`);
    });
  }
  if (problems.length) throw new RouterError('invalid_config', `invalid ${where}:\n${problems.join('\n')}`);
  let endpoints: Endpoint[];
  try {
    endpoints = parseRouterConfig(routerRaw).endpoints; // cross-field checks: unique ids, fallbacks
  } catch (e) {
    // "config.health.maxEjectionMs: ..." -> "health.max_ejection_ms: ..." (as written)
    const spell = (line: string) => line.replace(/^config\.([^:\s]+):/, (_, p: string) => `${formatPath(spelledPath(normalised, pathSegments(p)))}:`);
    if (e instanceof RouterError) throw new RouterError('invalid_config', e.message.replace(/^invalid config:/, `invalid ${where}:`).split('\n').map(spell).join('\n'));
    throw e;
  }
  return { router: routerRaw as RouterConfigInput, server: s.data!, endpoints, ...(st ? { store: st.data } : {}), ...(ca ? { cache: ca.data } : {}) };
}

/** The YAML parser is loaded only for YAML files (~9 MB of RSS a JSON-configured proxy never needs). */
function parseYaml(text: string): unknown {
  const YAML = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return YAML.parse(text);
}

/** Read, parse (by extension: .json, else YAML — YAML is a superset of JSON) and validate a config file. */
export function loadProxyConfig(file: string): ProxyConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RouterError('invalid_config', `cannot read config file ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new RouterError('invalid_config', `${file}: not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  return parseProxyConfig(raw, file);
}

/** Env vars named by apiKeyEnv that are unset: a start-up warning (names only, never values). */
export function missingKeyEnvs(endpoints: readonly Endpoint[], env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const out: string[] = [];
  for (const e of endpoints) if (e.apiKeyEnv && !env[e.apiKeyEnv]) out.push(`${e.id}: ${e.apiKeyEnv} is not set`);
  return out;
}
