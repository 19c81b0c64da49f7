import { routerConfigSchema } from '../../router/core/config.js';
import { strategyDefinitions, strategyNames } from '../../router/core/strategy.js';
import '../../router/strategies/index.js';
import { defaultLearnedThreshold } from '../../router/strategies/learned.js';
import type { ResolvedProvider } from '../setup/resolve.js';
import { strategyName, type Scenario, type StrategyRef } from '../spec/schema.js';

/**
 * What `npm run tune` may change, per strategy. Every parameter has a name (the path a
 * user types in `--param` / `--only`), a range and a scale: log-uniform for scale
 * parameters (times, weights: 100 ms → 1 s is as big a step as 1 s → 10 s), uniform for
 * shares and exponents, integers rounded from a log scale, booleans 50/50.
 *
 * Names: router settings keep their path in the router config (`stats.ewmaTauMs`,
 * `health.consecutiveFailures`); strategy parameters are prefixed `params.`
 * (`params.weights.<endpoint id>`, `params.exponents.latency`).
 */

export type ParamValue = number | boolean;

/** A full, explicit configuration: the strategy with all its params, the router settings with all defaults. */
export interface TuneConfig {
  strategy: { name: string; params: Record<string, unknown> };
  /** Everything of a router config except endpoints and strategy (scenario.router shape). */
  router: Record<string, unknown>;
}

export interface ParamDef {
  name: string;
  kind: 'log' | 'linear' | 'int' | 'bool';
  min: number;
  max: number;
  what: string;
  get(c: TuneConfig): ParamValue;
  set(c: TuneConfig, v: ParamValue): void;
}

type Obj = Record<string, unknown>;

function at(root: Obj, path: readonly string[]): Obj {
  let o = root;
  for (const k of path) {
    const next = o[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) o[k] = {};
    o = o[k] as Obj;
  }
  return o;
}

/** A parameter stored at `path` (explicit segments: endpoint ids may contain dots) under the router settings or the strategy params. */
function param(
  where: 'router' | 'params',
  path: readonly string[],
  kind: ParamDef['kind'],
  min: number,
  max: number,
  what: string,
): ParamDef {
  const root = (c: TuneConfig): Obj => (where === 'router' ? c.router : c.strategy.params);
  const parent = path.slice(0, -1);
  const leaf = path[path.length - 1]!;
  return {
    name: `${where === 'params' ? 'params.' : ''}${path.join('.')}`,
    kind,
    min,
    max,
    what,
    get: (c) => at(root(c), parent)[leaf] as ParamValue,
    set: (c, v) => {
      at(root(c), parent)[leaf] = v;
    },
  };
}

/** Router settings every strategy runs with. */
function routerParams(): ParamDef[] {
  const ejection = param('router', ['health', 'baseEjectionMs'], 'log', 500, 60_000, 'breaker: first ejection time (ms), doubling per ejection');
  return [
    param('router', ['stats', 'ewmaTauMs'], 'log', 500, 60_000, 'peak-EWMA latency time constant (ms)'),
    param('router', ['health', 'consecutiveFailures'], 'int', 1, 20, 'breaker: eject after this many consecutive failures'),
    {
      ...ejection,
      // Keep the config valid: maxEjectionMs must stay >= baseEjectionMs.
      set: (c, v) => {
        ejection.set(c, v);
        const h = at(c.router, ['health']);
        if (typeof h.maxEjectionMs === 'number' && h.maxEjectionMs < (v as number)) h.maxEjectionMs = v;
      },
    },
    param('router', ['retry', 'budgetRatio'], 'linear', 0, 1, 'retry budget: retries at most this share of requests'),
    param('router', ['hedging', 'enabled'], 'bool', 0, 1, 'hedging on/off'),
    param('router', ['hedging', 'delayMs'], 'log', 50, 5_000, 'hedge: second attempt after this long without a first byte (ms)'),
  ];
}

/** Strategy-specific parameters (strategies not listed tune the router settings only). */
function strategyParams(strategy: string, endpointIds: readonly string[]): ParamDef[] {
  switch (strategy) {
    case 'weighted':
    case 'weighted-random':
      return endpointIds.map((id) => param('params', ['weights', id], 'log', 0.05, 20, `weight of endpoint ${id} (relative)`));
    case 'score':
      return (['latency', 'errors', 'cost', 'quality'] as const).map((k) =>
        param('params', ['weights', k], 'log', 0.01, 10, `score weight of the ${k} term`),
      );
    case 'adaptive':
      return [
        param('params', ['intervalMs'], 'log', 100, 10_000, 'how often weights are re-derived (ms)'),
        param('params', ['floor'], 'linear', 0, 0.2, 'minimum share per endpoint'),
        param('params', ['explore'], 'linear', 0, 0.3, 'share for endpoints with no recent samples'),
        param('params', ['exponents', 'successRate'], 'linear', 0, 8, 'exponent a of success rate in sr^a / (lat^b price^c)'),
        param('params', ['exponents', 'latency'], 'linear', 0, 4, 'exponent b of latency'),
        param('params', ['exponents', 'cost'], 'linear', 0, 4, 'exponent c of price'),
        param('params', ['smoothing'], 'linear', 0, 0.9, 'EWMA factor per re-derivation'),
      ];
    case 'prefix-affinity':
      return [
        param('params', ['maxLoadGap'], 'log', 0.25, 64, 'in-flight per unit weight above the least loaded before leaving a warm cache'),
        param('params', ['minMatchBlocks'], 'int', 1, 16, 'fewest matched prefix blocks that count as affinity'),
      ];
    case 'learned':
      return [param('params', ['threshold'], 'linear', -0.1, 0.4, 'largest predicted quality gain of the strong tier that still goes to the cheap one')];
    default:
      return [];
  }
}

/** Every tunable parameter of a strategy on these endpoints. */
export function searchSpace(strategy: string, endpointIds: readonly string[]): ParamDef[] {
  return [...strategyParams(strategy, endpointIds), ...routerParams()];
}

export class TuneInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TuneInputError';
  }
}

/** The tunable strategies (all registered ones: every strategy runs with the router settings). */
export function tunableStrategies(): string[] {
  return strategyNames();
}

export function describeSpace(space: readonly ParamDef[]): string {
  return space
    .map((p) => `  ${p.name.padEnd(34)} ${p.kind === 'bool' ? 'true|false' : `${p.kind} ${p.min}..${p.max}`.padEnd(18)} ${p.what}`)
    .join('\n');
}

/** The scenario's config for `strategy`, with every default filled in, as the search's starting point. */
export function defaultConfig(s: Scenario, providers: readonly ResolvedProvider[], strategy: string): TuneConfig {
  const def = strategyDefinitions().find((d) => d.name === strategy);
  if (!def) throw new TuneInputError(`unknown strategy "${strategy}"; tunable strategies: ${tunableStrategies().join(', ')}`);
  const ref: StrategyRef | undefined = s.strategies.find((r) => strategyName(r) === strategy);
  const given = ref && typeof ref !== 'string' ? ref.params : {};
  const params = def.params.parse(structuredClone(given)) as Obj;
  if ((strategy === 'weighted' || strategy === 'weighted-random') && params.weights !== null && typeof params.weights === 'object') {
    // Make the endpoint weights explicit, so the default is a point of the search space.
    const w = params.weights as Record<string, number>;
    for (const p of providers) w[p.id] ??= p.endpoint.weight ?? 1;
  }
  // The learned router's default threshold comes from its model file: explicit, so it is a point of the space.
  if (strategy === 'learned') params.threshold ??= defaultLearnedThreshold();
  const full = routerConfigSchema.parse({ ...structuredClone(s.router), endpoints: [{ provider: 'x', model: 'x' }] });
  const { endpoints: _e, strategy: _s, ...router } = full;
  return { strategy: { name: strategy, params }, router: router as Obj };
}

/** Parse `--param name=value` into a value of the parameter's kind, or throw naming the tunable ones. */
export function parsePin(text: string, space: readonly ParamDef[], strategy: string): [ParamDef, ParamValue] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  const p = space.find((d) => d.name === name);
  if (!p) throw new TuneInputError(`--param: unknown parameter "${name}" for strategy ${strategy}; tunable parameters:\n${describeSpace(space)}`);
  if (eq < 0) throw new TuneInputError(`--param ${name}: expected ${name}=VALUE`);
  const raw = text.slice(eq + 1).trim();
  if (p.kind === 'bool') {
    if (raw !== 'true' && raw !== 'false') throw new TuneInputError(`--param ${name}: expected true or false, got "${raw}"`);
    return [p, raw === 'true'];
  }
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v) || (p.kind === 'int' && !Number.isInteger(v)) || v < p.min || v > p.max)
    throw new TuneInputError(`--param ${name}: expected ${p.kind === 'int' ? 'an integer' : 'a number'} in ${p.min}..${p.max}, got "${raw}"`);
  return [p, v];
}

/** Resolve `--only a,b` to parameter definitions, or throw naming the tunable ones. */
export function selectParams(names: readonly string[], space: readonly ParamDef[], strategy: string): ParamDef[] {
  return names.map((n) => {
    const p = space.find((d) => d.name === n);
    if (!p) throw new TuneInputError(`--only: unknown parameter "${n}" for strategy ${strategy}; tunable parameters:\n${describeSpace(space)}`);
    return p;
  });
}

/** A deep copy of a config with these parameter values applied. */
export function withValues(base: TuneConfig, values: ReadonlyArray<readonly [ParamDef, ParamValue]>): TuneConfig {
  const c: TuneConfig = structuredClone(base);
  for (const [p, v] of values) p.set(c, v);
  return c;
}

/** The values of every parameter in a config, by name. */
export function valuesOf(c: TuneConfig, space: readonly ParamDef[]): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const p of space) out[p.name] = p.get(c);
  return out;
}
