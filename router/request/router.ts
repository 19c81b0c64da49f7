import { AbortPool } from '../core/abort-pool.js';
import { type Clock, systemClock } from '../core/clock.js';
import { MAX_TIMER_MS, type RouterConfig, type RouterConfigInput, parseRouterConfig } from '../core/config.js';
import { type DirectTransport, hasDirectSend, ROUTE_DIRECT, type RouteSink } from '../core/direct.js';
import { RouterError, toRouterError } from '../core/errors.js';
import { EventBus, type RouterEvent } from '../core/events.js';
import { type Random, systemRandom } from '../core/random.js';
import { estimateTokens } from '../core/rate-limit.js';
import type { RouteResult, Router } from '../core/router-types.js';
import { EndpointStats } from '../core/stats.js';
import { type Classifier, createStrategy, type Strategy } from '../core/strategy.js';
import type { Candidate, Endpoint, HealthState, RouteRequest, Transport } from '../core/types.js';
import { startActiveChecks, type ActiveChecks } from '../health/active-check.js';
import { EndpointHealth } from '../health/breaker.js';
import { memoryStore, type Store } from '../store/store.js';
import type { Runtime } from './context.js';
import { GroupRefiner } from './refine.js';
import { FirstByteQuantile } from './hedge-delay.js';
import { RetryBudget } from './retry-budget.js';
import { startRequest } from './run.js';
import { EndpointSlot, ModelGroup, SelectEnv } from './select.js';

export type { RouteResult, Router } from '../core/router-types.js';

/**
 * createRouter: validate the config, build one slot (stats + health + rate limit) per
 * endpoint and one group per model; each request is then driven through the request
 * state machine (run.ts: request → try → attempt → stream; see run.ts for its stages).
 *
 * Time, randomness and the network come in through `deps`, so the same router runs
 * behind the HTTP proxy (system clock, undici) and inside the virtual-time simulator.
 * This module registers no strategy and loads no transport: the entry point does that
 * (router/index.ts: every built-in strategy, the undici transport as the default), so the
 * simulator can build a router without loading undici.
 */

/** What an entry point fills in when the caller's deps leave it out. */
export interface RouterDefaults {
  /** Called once per router without deps.transport. */
  transport?: () => Transport;
}

export interface RouterDeps {
  /** How requests reach endpoints; default (router/index.ts): the undici HTTP transport. */
  transport?: Transport;
  clock?: Clock;
  random?: Random;
  classifier?: Classifier;
  /**
   * A router this one replaces (a config reload): endpoints whose definition is unchanged
   * keep its stats, health and rate-limit state, when the health and stats settings are
   * unchanged too. Requests in flight on it finish there, with its config.
   */
  carryFrom?: Router;
  /** Where state shared by replicas lives (rate limits, health); default: in memory, nothing shared. */
  store?: Store;
}

/** Per router: its slots and the settings they were built with (for deps.carryFrom). */
const routerSlots = new WeakMap<object, { slots: readonly EndpointSlot[]; settings: string; carried: string[] }>();
/** Which router's event bus a slot reports health transitions to (a carried slot reports to its new router). */
const slotBus = new WeakMap<EndpointSlot, { bus: EventBus }>();

/** Ids of the endpoints whose stats and health a router took over from deps.carryFrom. */
export function carriedEndpoints(router: Router): string[] {
  return [...(routerSlots.get(router)?.carried ?? [])];
}

/** The old router's slots that can serve unchanged endpoints as they are, by endpoint id. */
function carriedSlots(from: Router | undefined, settings: string): Map<string, EndpointSlot> {
  const old = from === undefined ? undefined : routerSlots.get(from);
  if (old === undefined || old.settings !== settings) return new Map();
  return new Map(old.slots.map((s) => [s.endpoint.id, s]));
}

export function createRouter(config: RouterConfigInput, deps: RouterDeps | null = {}, defaults: RouterDefaults = {}): Router {
  deps ??= {};
  const { config: cfg, endpoints } = parseRouterConfig(config);
  if (deps.transport !== undefined && typeof deps.transport?.send !== 'function')
    throw new RouterError('invalid_config', 'deps.transport: expected a Transport (an object with a send() method)');
  const strategy = createStrategy(cfg.strategy, { classifier: deps.classifier, endpointIds: endpoints.map((e) => e.id) });
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? systemRandom;
  const transport = deps.transport ?? defaults.transport?.();
  if (transport === undefined)
    throw new RouterError('invalid_config', 'deps.transport: required when the router is built without the library entry point (which defaults to the undici transport)');
  const bus = new EventBus();
  const store = deps.store ?? memoryStore;

  const settings = JSON.stringify([cfg.health, cfg.stats]);
  const carried = carriedSlots(deps.carryFrom, settings);
  const carriedIds: string[] = [];
  const slots = endpoints.map((ep) => {
    const old = carried.get(ep.id);
    if (old !== undefined && JSON.stringify(old.endpoint) === JSON.stringify(ep)) {
      slotBus.get(old)!.bus = bus;
      carriedIds.push(ep.id);
      return old;
    }
    const owner = { bus };
    const onHealth = (from: HealthState, to: HealthState, at: number): void => {
      if (owner.bus.active) owner.bus.emit({ type: 'health', at, endpointId: ep.id, from, to });
    };
    const health = new EndpointHealth(cfg.health, cfg.stats, onHealth);
    const slot = new EndpointSlot(ep, new EndpointStats(ep, cfg.stats), health, store.admission(ep, clock));
    const h = cfg.hedging;
    if (h.enabled && h.mode === 'quantile') slot.firstByte = [new FirstByteQuantile(h.quantile), new FirstByteQuantile(h.quantile)];
    slotBus.set(slot, owner);
    return slot;
  });

  const groups = new Map<string, ModelGroup>();
  for (const model of new Set(endpoints.map((e) => e.model)))
    groups.set(model, new ModelGroup(model, slots.filter((s) => s.endpoint.model === model)));

  const baseModels = [...groups.keys()].sort();
  // Context-window and region routing: derived groups, added to `groups` on first use.
  const refiner = new GroupRefiner(groups);
  // Per model: the model followed by its configured fallbacks (computed once; no per-request arrays).
  const modelLists = new Map<string, readonly string[]>();
  for (const model of groups.keys()) modelLists.set(model, Object.freeze([...new Set([model, ...(cfg.fallbacks[model] ?? [])])]));

  const rt = new RouterRuntime(
    cfg,
    clock,
    random,
    transport,
    bus,
    groups,
    // Time-decayed stats are re-read when the clock moved by tau/1000 (0.1% decay).
    new SelectEnv(strategy, cfg.health.panicThreshold, cfg.stats.ewmaTauMs / 1000, bus, random),
    new RetryBudget(cfg.retry.budgetRatio, cfg.retry.budgetMinPerSecond, cfg.retry.budgetWindowMs),
  );
  const router = new CoreRouter(rt, Object.freeze(endpoints), slots, refiner, modelLists, baseModels);
  router.detachStore = store.attach({ health: new Map(slots.map((s) => [s.endpoint.id, s.health])), bus, clock });
  if (cfg.health.activeCheck.intervalMs > 0 && typeof transport.check === 'function')
    router.checks = startActiveChecks(clock, transport, slots, cfg.health.activeCheck.intervalMs, cfg.health.activeCheck.timeoutMs);
  routerSlots.set(router, { slots, settings, carried: carriedIds });
  return router;
}

/**
 * What every stage of a request reads (context.ts Runtime). The runtime, the selection env
 * (select.ts SelectEnv) and the router itself are class instances, not object literals:
 * V8 makes a literal's boilerplate at the literal's second evaluation, and that widens the
 * field types the optimised code made for the first router's objects relied on. A router is
 * made once per simulated run, so each second run threw the request path's optimised code
 * away (V8 deoptimisations: 18 functions at once) and recompiled it, within the run
 * (`npx tsx bench/sim.ts --quick` measures a second run in a fresh process).
 */
class RouterRuntime implements Runtime {
  readonly direct: DirectTransport | null;
  readonly aborts = new AbortPool();

  constructor(
    readonly config: RouterConfig,
    readonly clock: Clock,
    readonly random: Random,
    readonly transport: Transport,
    readonly bus: EventBus,
    readonly groups: Map<string, ModelGroup>,
    readonly env: SelectEnv,
    readonly budget: RetryBudget,
  ) {
    this.direct = hasDirectSend(transport) ? transport : null;
  }
}

/**
 * The Router (core/router-types.ts). Its methods are the class's, so the direct route is
 * the same function for every router (a closure per router was a new call target for the
 * simulator's optimised code at each run).
 */
class CoreRouter implements Router {
  readonly strategy: Strategy;
  /** Stops the store's background work (store.attach); set once built. */
  detachStore: () => void = noop;
  /** Active health checks, when configured; null once closed. */
  checks: ActiveChecks | null = null;

  constructor(
    private readonly rt: RouterRuntime,
    readonly endpoints: readonly Endpoint[],
    private readonly slots: readonly EndpointSlot[],
    private readonly refiner: GroupRefiner,
    /** Per model: the model followed by its configured fallbacks (computed once; no per-request arrays). */
    private readonly modelLists: ReadonlyMap<string, readonly string[]>,
    /** Model groups served, sorted. */
    private readonly baseModels: readonly string[],
  ) {
    this.strategy = rt.env.strategy;
    // The public methods also work detached (`const { route } = router`, `xs.map(router.route)`),
    // as when a router was an object of closures; [ROUTE_DIRECT], the hot path, stays on the prototype.
    this.route = this.route.bind(this);
    this.candidates = this.candidates.bind(this);
    this.models = this.models.bind(this);
    this.on = this.on.bind(this);
    this.close = this.close.bind(this);
  }

  route(req: RouteRequest, opts?: { signal?: AbortSignal }): Promise<RouteResult> {
    return new Promise((resolve, reject) => this[ROUTE_DIRECT](req, { routeDone: resolve, routeFailed: reject }, opts));
  }

  [ROUTE_DIRECT](req: RouteRequest, sink: RouteSink<RouteResult>, opts?: { signal?: AbortSignal }): void {
    let models: readonly string[];
    try {
      models = this.resolveModels(req);
      checkRequest(req, opts?.signal);
      models = this.refiner.refine(models, req);
    } catch (e) {
      return sink.routeFailed(toRouterError(e));
    }
    startRequest(this.rt, req, models, opts?.signal, estimateTokens(req), sink);
  }

  candidates(model?: string): Candidate[] {
    const now = this.rt.clock.now();
    if (model !== undefined) {
      const g = this.modelLists.has(model) ? this.rt.groups.get(model) : undefined;
      if (g === undefined) throw this.unknownModel(model);
      return g.slots.map((s) => s.snapshot(now));
    }
    return this.slots.map((s) => s.snapshot(now));
  }

  models(): string[] {
    return [...this.baseModels];
  }

  on(listener: (e: RouterEvent) => void): () => void {
    return this.rt.bus.on(listener);
  }

  close(): void {
    this.checks?.stop();
    this.checks = null;
    this.detachStore();
  }

  private resolveModels(req: RouteRequest): readonly string[] {
    const m: unknown = req?.model;
    if (typeof m === 'string') {
      const list = this.modelLists.get(m);
      if (list === undefined) throw this.unknownModel(m);
      return list;
    }
    if (!Array.isArray(m) || m.length === 0 || !m.every((x) => typeof x === 'string'))
      throw new RouterError('invalid_request', 'request.model: expected a model name or a non-empty list of model names');
    for (const x of m as string[]) if (!this.modelLists.has(x)) throw this.unknownModel(x);
    return m as string[];
  }

  private unknownModel(m: string): RouterError {
    return new RouterError('unknown_model', `no endpoint serves model "${m}"; known models: ${this.baseModels.join(', ')}`);
  }
}

function noop(): void {}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function bad(field: string, want: string): never {
  throw new RouterError('invalid_request', `request.${field}: expected ${want}`);
}

/**
 * The request's optional fields, checked once at route(): a wrong type would not fail
 * loudly later but route wrongly (a numeric sessionKey pins every session to one
 * endpoint; NaN inputTokens turns a TPM limit off; a string deadline is concatenated).
 */
function checkRequest(req: RouteRequest, signal: unknown): void {
  if (req.sessionKey !== undefined && typeof req.sessionKey !== 'string') bad('sessionKey', 'a string');
  if (req.prefixHashes !== undefined && !(typeof req.prefixHashes === 'object' && req.prefixHashes !== null && Number.isInteger(req.prefixHashes.length)))
    bad('prefixHashes', 'an array of block hashes');
  if (req.inputTokens !== undefined && !(isNum(req.inputTokens) && req.inputTokens >= 0)) bad('inputTokens', 'a finite number >= 0');
  if (req.maxTokens !== undefined && !(isNum(req.maxTokens) && req.maxTokens >= 0)) bad('maxTokens', 'a finite number >= 0');
  if (req.deadlineMs !== undefined && !(isNum(req.deadlineMs) && req.deadlineMs > 0 && req.deadlineMs <= MAX_TIMER_MS))
    bad('deadlineMs', `a number of ms in (0, ${MAX_TIMER_MS}]`);
  if (req.minTier !== undefined && !isNum(req.minTier)) bad('minTier', 'a finite number');
  if (req.maxPrice !== undefined && !(req.maxPrice >= 0)) bad('maxPrice', 'a number >= 0 (Infinity: no limit)');
  if (req.messages !== undefined && !Array.isArray(req.messages)) bad('messages', 'an array of messages');
  if (req.prompt !== undefined && typeof req.prompt !== 'string') bad('prompt', 'a string');
  if (req.promptClass !== undefined && typeof req.promptClass !== 'string') bad('promptClass', 'a string');
  if (req.region !== undefined && typeof req.region !== 'string') bad('region', 'a string');
  if (req.stream !== undefined && typeof req.stream !== 'boolean') bad('stream', 'a boolean');
  if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) bad('body', 'an object');
  if (signal !== undefined) {
    const s = signal as Partial<AbortSignal> | null;
    if (typeof s?.addEventListener !== 'function' || typeof s.removeEventListener !== 'function' || typeof s.aborted !== 'boolean')
      throw new RouterError('invalid_request', 'opts.signal: expected an AbortSignal');
  }
}
