import type { RouterConfigInput } from '../router/core/config.js';
import { RouterError } from '../router/core/errors.js';
import { deriveRandom } from '../router/core/random.js';
import '../router/strategies/index.js';
import { createRouter, type RouteResult, type Router } from '../router/request/router.js';
import { defaultClassifier } from '../router/classifier/index.js';
import type { Classifier } from '../router/core/strategy.js';
import type { Endpoint, RouteRequest } from '../router/core/types.js';
import type { RouterEvent } from '../router/core/events.js';
import { ROUTE_DIRECT, type RouteSink } from '../router/core/direct.js';
import { isPushSource, STREAM_PUSH, type ChunkSink } from '../router/core/push.js';
import type { StrategyResult } from '../reports/contract.js';
import { isObject } from './arrivals.js';
import { completionDelays, jitterArrivals, type ArrivalJitter } from './arrival-jitter.js';
import { Engine, type Task } from './engine.js';
import { createMetrics, type FaultSpec, type MetricsCollector, type MetricsRecord } from './metrics.js';
import { createProviderModel, createProviderState, type ProviderModel, type ProviderState } from './model.js';
import { oracleChoice, RegretTracker, type OracleChoice, type OracleReport } from './oracle.js';
import type { ProviderProfile } from './profile.js';
import { createReplicaStores, type ReplicaSharing } from './replica-store.js';
import { createSimTransport, type AttemptInfo, type SimTransportHooks } from './sim-transport.js';
import { declaredMaxTokens, MAX_DURATION_S, type MaxTokensMode, type ProviderOutcome, type SimRequest } from './types.js';
import { createWorkload, type Workload, type WorkloadSpec } from './workload.js';
import { createCacheOracle, type CacheOracle } from './prompt-cache.js';

/**
 * Run one strategy on one workload in virtual time: engine + simulated transport +
 * provider models + the real router core + the shared metrics collector (+ the oracle).
 * Everything random is derived from `seed` with one stream per concern: 'arrivals' and
 * 'workload' (workload.ts), one keyed stream per provider (model.ts), 'router'.
 * Same inputs + seed → byte-identical per-request outcomes (`onRequest`).
 */

/** A provider of the run: its profile (built into a model with the run's seed), or a ready model. */
export type RunProvider = { id: string; profile: ProviderProfile } | { id: string; model: ProviderModel };

/** The per-request outcome the run reports (and the determinism test hashes). */
export interface RequestOutcome {
  id: number;
  arrivalMs: number;
  ok: boolean;
  /** Serving (or last tried) endpoint; '' when none was tried. */
  endpointId: string;
  latencyMs: number;
  /** Client TTFT (arrival → first byte) of a streamed answer that succeeded; undefined for failures and JSON answers. */
  ttftMs: number | undefined;
  attempts: number;
  errorCode: string | undefined;
  costUsd: number;
  acceptable: boolean | undefined;
}

export interface SimRunInput {
  /** Router config: endpoints (ids = provider ids), strategy and settings. */
  router: RouterConfigInput;
  providers: readonly RunProvider[];
  workload: WorkloadSpec;
  seed: number;
  /** Name in the result (default: the strategy's name). */
  label?: string;
  params?: Record<string, unknown>;
  /** Model group requested (default: the first endpoint's model). */
  model?: string;
  /** For failoverS/recoverS. */
  fault?: FaultSpec;
  /** Compute the oracle and regret (costs one model call per provider per request). */
  oracle?: { sloMs: number } | false;
  /** Latency SLO (ms) for goodput: successful requests within it per second (summary.goodputRps). */
  goodputSloMs?: number;
  classifier?: Classifier;
  /** Engine time grid (ms); 0 = exact. */
  quantumMs?: number;
  /**
   * Engine microtask drain (see engine.ts): default 'auto'; 'tick' and 'immediate' are the
   * slower references. 'auto' assumes that code run from events (the router, the callbacks
   * below, a custom classifier or provider model) defers work only through promises, not
   * queueMicrotask / process.nextTick / resolving an older promise with a thenable; pass
   * 'tick' for callbacks that do.
   */
  drain?: 'tick' | 'auto' | 'immediate';
  /** Pass the request's class to the router (skips the classifier). Default false. */
  revealClass?: boolean;
  /** What each request declares as maxTokens (types.ts declaredMaxTokens). Default 'exact'. */
  maxTokens?: MaxTokensMode;
  /**
   * N router replicas behind a round-robin spreader, with state local or shared after a
   * delay (replica-store.ts). Absent: one router (replica 0 is always that same router).
   */
  replicas?: { count: number } & ReplicaSharing;
  /**
   * Shift every arrival by up to ±ms, seeded (arrival-jitter.ts): near-simultaneous requests
   * may swap order, as they can over real sockets. Absent: arrivals exactly as planned.
   */
  arrivalJitter?: ArrivalJitter;
  /**
   * An exact-match response cache in front of the router(s) (router/cache as the proxy runs
   * it): a repeated question (SimRequest.faq, never streamed) whose answer a replica stored
   * less than `ttlMs` ago is answered at once, with no routing and nothing billed. Answers
   * are stored when a cacheable request succeeds. One cache per replica, or one for all
   * (`shared`: the Redis store's cache). Entries are not evicted by count (a scenario's
   * questions fit the proxy's default 10,000 entries).
   */
  responseCache?: { ttlMs: number; shared: boolean };
  /** Called for every finished request, in completion order. */
  onRequest?: (o: RequestOutcome) => void;
  /** Every router event (attempt starts and ends, retries, hedges, health changes), with the replica (0..N-1) whose router emitted it; absent: nothing is listened to (health timelines, attempt traces). */
  onRouterEvent?: (replica: number, e: RouterEvent) => void;
  /** Called at each arrival, before routing, with the oracle's choice (when the oracle is on; providerId null if every provider hangs). */
  onArrival?: (req: SimRequest, choice: { providerId: string | null; choice: OracleChoice } | undefined) => void;
}

export interface SimRunResult {
  result: StrategyResult;
  oracle: OracleReport | undefined;
  /** Engine figures for benchmarks. */
  stats: { requests: number; events: number; steps: number; syncSteps: number; virtualMs: number };
}

/**
 * One request in flight. It is also the RouteRequest handed to the router (the transport
 * sees the same object, so no id → request map is needed) and the engine task of its
 * arrival: one object per request instead of a request, a record and a closure.
 */
class Live implements RouteRequest, Task, RouteSink<RouteResult>, ChunkSink {
  /**
   * Upstream attempts sent (from bit ATTEMPTS_SHIFT up), whether the first to end completed
   * (FIRST_COMPLETED) and whether the request is in its run's list of requests in flight
   * (IN_FLIGHT): one small integer instead of three fields, per request in flight.
   */
  private bits = 0;
  lastEndpoint = '';
  /** Endpoints tried, in order; only built from the second attempt on (lastEndpoint covers one). */
  tried: string[] | null = null;
  okOutcome: ProviderOutcome | undefined = undefined;
  /**
   * The first upstream attempt to end, and whether it completed: `spent` and `cost` read
   * through it (no double field, and its heap number, per request in flight) until a second
   * attempt ends and LiveExtra takes the sums over.
   */
  private firstEnd: ProviderOutcome | null = null;
  /** Its neighbours in the run's list of requests in flight (InFlight) while it is there. */
  prev: Live | null = null;
  next: Live | null = null;
  /** What only some runs need (prompt caches, the oracle, streams, a response cache): made on first write. */
  private x: LiveExtra | null = null;

  constructor(
    readonly sim: SimRequest,
    readonly owner: LiveOwner,
  ) {}

  /** Upstream attempts sent so far. */
  get attempts(): number {
    return this.bits >>> ATTEMPTS_SHIFT;
  }

  set attempts(n: number) {
    this.bits = (this.bits & FLAG_BITS) | (n << ATTEMPTS_SHIFT);
  }

  /** In its run's list of requests in flight (InFlight: set by add, cleared by delete). */
  get inFlight(): boolean {
    return (this.bits & IN_FLIGHT) !== 0;
  }

  set inFlight(v: boolean) {
    this.bits = v ? this.bits | IN_FLIGHT : this.bits & ~IN_FLIGHT;
  }

  private get firstCompleted(): boolean {
    return (this.bits & FIRST_COMPLETED) !== 0;
  }

  /** The request's id (made when read: only events and traces read it). */
  get id(): string {
    return String(this.sim.id);
  }

  /** The request's class, when the run reveals it (revealClass). */
  get promptClass(): string | undefined {
    return this.x === null ? undefined : this.x.promptClass;
  }

  set promptClass(v: string | undefined) {
    this.extra.promptClass = v;
  }

  /**
   * An upstream attempt ended (its outcome; `completed`: not cut short as a hedge loser or
   * by a timeout). Every attempt counts in `spent`, completed ones in `cost`, summed in the
   * order they ended, from 0.
   */
  attemptEnded(o: ProviderOutcome, completed: boolean): void {
    const first = this.firstEnd;
    if (first === null) {
      this.firstEnd = o;
      if (completed) this.bits |= FIRST_COMPLETED;
      return;
    }
    const x = this.extra;
    if (!x.summing) {
      x.summing = true;
      x.spent = 0 + first.costUsd;
      x.cost = this.firstCompleted ? 0 + first.costUsd : 0;
    }
    x.spent += o.costUsd;
    if (completed) x.cost += o.costUsd;
  }

  /** What every upstream attempt cost, aborted ones included (billed as if completed: an upper bound). */
  get spent(): number {
    const x = this.x;
    if (x !== null && x.summing) return x.spent;
    return this.firstEnd === null ? 0 : 0 + this.firstEnd.costUsd;
  }

  /** What the completed attempts cost. */
  get cost(): number {
    const x = this.x;
    if (x !== null && x.summing) return x.cost;
    return this.firstEnd === null || !this.firstCompleted ? 0 : 0 + this.firstEnd.costUsd;
  }

  /** The model group requested: the run's, the same for every request. */
  get model(): string {
    return this.owner.model;
  }

  private get extra(): LiveExtra {
    return (this.x ??= new LiveExtra());
  }

  /** USD the prompt caches saved over this request's billed attempts. */
  get cacheSaved(): number {
    return this.x === null ? 0 : this.x.cacheSaved;
  }

  set cacheSaved(v: number) {
    this.extra.cacheSaved = v;
  }

  get choice(): OracleChoice | undefined {
    return this.x === null ? undefined : this.x.choice;
  }

  set choice(v: OracleChoice | undefined) {
    this.extra.choice = v;
  }

  /** Clock time of a stream's first chunk (its client TTFT). */
  get firstAt(): number {
    return this.x === null ? 0 : this.x.firstAt;
  }

  set firstAt(v: number) {
    this.extra.firstAt = v;
  }

  /** The response cache that stores this request's answer (a cacheable miss), else null. */
  get cacheInto(): Map<number, CachedAnswer> | null {
    return this.x === null ? null : this.x.cacheInto;
  }

  set cacheInto(v: Map<number, CachedAnswer> | null) {
    this.extra.cacheInto = v;
  }

  // The rest of the RouteRequest reads through to the SimRequest (getters, not copies: a
  // Live lives as long as its request is in flight, and each young-generation GC copies it).
  get prompt(): string {
    return this.sim.prompt;
  }

  get inputTokens(): number {
    return this.sim.inputTokens;
  }

  get maxTokens(): number | undefined {
    const mode = this.owner.maxTokens;
    return mode === 'exact' ? this.sim.outputTokens : declaredMaxTokens(mode, this.sim.outputTokens);
  }

  get stream(): boolean {
    return this.sim.stream;
  }

  get sessionKey(): string | undefined {
    return this.sim.sessionKey;
  }

  get prefixHashes(): ArrayLike<number> | undefined {
    return this.sim.prefix;
  }

  /** Task: the arrival event. */
  fire(): void {
    this.owner.arrive(this);
  }

  /** RouteSink: the router's outcome (direct route, no promise). */
  routeDone(res: RouteResult): void {
    this.owner.routed(this, res);
  }

  routeFailed(err: RouterError): void {
    this.owner.failed(this, err);
  }

  /** ChunkSink: a pushed stream (router/core/push.ts); chunks carry nothing the simulator needs. */
  pushChunk(): boolean {
    return true;
  }

  pushEnd(): void {
    this.owner.streamEnded(this, undefined);
  }

  pushError(err: unknown): void {
    this.owner.streamEnded(this, err);
  }
}

/** Live.bits. */
const FIRST_COMPLETED = 1;
const IN_FLIGHT = 2;
const FLAG_BITS = FIRST_COMPLETED | IN_FLIGHT;
const ATTEMPTS_SHIFT = 2;

/**
 * The run's requests in flight, in arrival order: a list through Live.prev/next, so adding
 * and removing one (twice per request) hashes nothing and adds no entry to a table of ~2,500.
 * Iterates like the Set it replaces (arrival order).
 */
class InFlight {
  size = 0;
  private head: Live | null = null;
  private tail: Live | null = null;

  // head and tail are written every time, not only in the rare case (an empty list, the newest
  // leaving): such a path runs at a run's start or end only, without V8 feedback for it, and
  // threw the optimised code of its callers (an arrival, a finish) away, for the next run to redo.
  add(l: Live): void {
    if (l.inFlight) return;
    l.inFlight = true;
    const tail = this.tail;
    l.prev = tail;
    l.next = null;
    if (tail !== null) tail.next = l;
    this.head = tail === null ? l : this.head;
    this.tail = l;
    this.size++;
  }

  delete(l: Live): void {
    if (!l.inFlight) return; // (a Live is only ever in its own run's list)
    const { prev, next } = l;
    if (prev !== null) prev.next = next;
    if (next !== null) next.prev = prev;
    this.head = prev === null ? next : this.head;
    this.tail = next === null ? prev : this.tail;
    l.prev = null;
    l.next = null;
    l.inFlight = false;
    this.size--;
  }

  /** The requests in flight, oldest first. */
  toArray(): Live[] {
    const out: Live[] = [];
    for (let l = this.head; l !== null; l = l.next) out.push(l);
    return out;
  }
}

/**
 * A Live's fields that most runs never set, apart: a Live lives as long as its request is in
 * flight (~2,500 at a time in the simulator benchmark), and each young-generation GC copies it.
 */
class LiveExtra {
  promptClass: string | undefined = undefined;
  /** Live.attemptEnded: set from the second attempt to end on; then spent and cost are these sums. */
  summing = false;
  spent = 0;
  cost = 0;
  cacheSaved = 0;
  choice: OracleChoice | undefined = undefined;
  firstAt = 0;
  cacheInto: Map<number, CachedAnswer> | null = null;
}

/**
 * What the run's transport asks of it (SimTransportHooks): which request a RouteRequest is,
 * and each attempt's start, end and (with the oracle) its already drawn outcome. One object
 * per run whose methods are the class's: the same functions every run (no new closures).
 */
class RunHooks implements SimTransportHooks {
  /** The run's owner: a Live of this run has it (set once the owner is made). */
  owner: LiveOwner | null = null;
  /**
   * The oracle's outcomes for the latest arrival (`scratch`, by provider index), with what they
   * were drawn under: the router's first attempt is sent at that same instant, so its
   * provider's outcome is one of them (outcomeHint) and need not be drawn again.
   */
  readonly scratch: ProviderOutcome[] = [];
  hintFor: Live | null = null;
  hintAt = Number.NaN;
  readonly hintLoad: Float64Array;
  readonly hintReqSum: Float64Array;
  readonly hintTokSum: Float64Array;
  readonly hintCache: Float64Array;
  private readonly providerIndex: Map<string, number>;

  constructor(providerIds: readonly string[]) {
    const n = providerIds.length;
    this.hintLoad = new Float64Array(n);
    this.hintReqSum = new Float64Array(n);
    this.hintTokSum = new Float64Array(n);
    this.hintCache = new Float64Array(n);
    this.providerIndex = new Map(providerIds.map((id, i) => [id, i] as const));
  }

  /** Spend of attempts that ended after their request's record (onAttemptEnd), for the summary's attempt cost. */
  lateSpendUsd = 0;

  private lateSpend(arrivalMs: number, usd: number): void {
    if (arrivalMs >= 0 && arrivalMs < MAX_DURATION_S * 1000) this.lateSpendUsd += usd; // as metrics.record: no warm-up
  }

  /** Is r a request of this run still in flight (three times per request: no lookup). */
  private liveOf(r: RouteRequest): Live | undefined {
    return r instanceof Live && r.owner === this.owner && r.inFlight ? r : undefined;
  }

  lookup(r: RouteRequest): SimRequest | undefined {
    return this.liveOf(r)?.sim;
  }

  onAttempt(a: AttemptInfo): void {
    const l = this.liveOf(a.route);
    if (!l) return;
    if (l.attempts === 1) l.tried = [l.lastEndpoint, a.providerId];
    else if (l.tried !== null) l.tried.push(a.providerId);
    l.attempts++;
    l.lastEndpoint = a.providerId;
  }

  outcomeHint(route: RouteRequest, providerId: string, nowMs: number, load: number, state: ProviderState): ProviderOutcome | undefined {
    if (route !== this.hintFor || nowMs !== this.hintAt) return undefined;
    const i = this.providerIndex.get(providerId);
    if (
      i === undefined ||
      this.hintLoad[i] !== load ||
      this.hintReqSum[i] !== state.reqSum ||
      this.hintTokSum[i] !== state.tokSum ||
      this.hintCache[i] !== (state.promptCache?.version ?? 0)
    )
      return undefined;
    return this.scratch[i];
  }

  onAttemptEnd(a: AttemptInfo, completed: boolean): void {
    const l = this.liveOf(a.route);
    if (!l) {
      // An attempt that outlived its request: a race's loser, aborted when the other attempt's JSON
      // reply won (it ends at its next event, after the request's record). Still billed, in full.
      if (a.route instanceof Live && a.route.owner === this.owner) this.lateSpend(a.request.arrivalMs, a.outcome.costUsd);
      return;
    }
    // A hedge loser or a timed-out attempt was still sent: the provider bills the prompt and
    // generates until it notices; counted in full (an upper bound) as attempt spend.
    l.attemptEnded(a.outcome, completed);
    if (!completed) return;
    if (a.outcome.cacheSavingsUsd !== undefined) l.cacheSaved += a.outcome.cacheSavingsUsd;
    if (a.outcome.kind === 'ok') {
      l.okOutcome = a.outcome;
      // The attempt that answered names the request's endpoint, as the proxy's x-endpoint does:
      // a primary that wins its race against a hedge started later is not the last one tried.
      l.lastEndpoint = a.providerId;
    }
  }
}

/** A response-cache entry of the simulated proxy: what a hit replays. */
interface CachedAnswer {
  expiresAt: number;
  endpointId: string;
  costUsd: number;
  outputTokens: number;
  acceptable: boolean | undefined;
}

interface LiveOwner {
  /** The model group every request of the run asks for. */
  readonly model: string;
  /** What each request declares as maxTokens (RunSimInput.maxTokens). */
  readonly maxTokens: MaxTokensMode;
  arrive(l: Live): void;
  routed(l: Live, res: RouteResult): void;
  failed(l: Live, err: unknown): void;
  /** A pushed stream ended: cleanly (err undefined) or with an error. */
  streamEnded(l: Live, err: unknown): void;
}

/** What a SimRun is made of (built by runSim). */
interface SimRunParts {
  readonly engine: Engine;
  readonly workload: Workload;
  readonly routers: readonly Router[];
  readonly providers: readonly { readonly id: string; readonly model: ProviderModel; readonly state: ProviderState }[];
  readonly live: InFlight;
  readonly metrics: MetricsCollector;
  readonly regret: RegretTracker | undefined;
  readonly hooks: RunHooks;
  readonly model: string;
  readonly cacheOracle: CacheOracle | undefined;
  readonly answerCaches: readonly Map<number, CachedAnswer>[];
}

/**
 * One run's arrivals and finished requests: what runSim does per request, as methods of one
 * object. A class, not closures made per run: an arrival (Live.fire), a route's outcome and a
 * finished request call these, and a new closure per run was a new call target to V8, so the
 * optimised code made in one run was thrown away in the next (as RunHooks, above).
 */
class SimRun implements LiveOwner {
  readonly model: string;
  readonly maxTokens: MaxTokensMode;
  finished = 0;
  /**
   * Requests arrived and not finished, plus one while the workload may still yield one: the
   * routers are closed when it reaches 0 (the last request finished after the last arrival).
   * A count that changes at every arrival and finish, not a flag set once at the end: V8
   * treats a field written once as a constant, and writing it at the end of a run threw away
   * the optimised code that read it (finish), to be recompiled in the next run.
   */
  private unsettled = 1;
  /** The replica the next arrival goes to (round-robin spreader). */
  private spread = 0;
  private readonly engine: Engine;
  private readonly workload: Workload;
  private readonly routers: readonly Router[];
  private readonly providers: SimRunParts['providers'];
  private readonly live: InFlight;
  private readonly metrics: MetricsCollector;
  private readonly regret: RegretTracker | undefined;
  private readonly hooks: RunHooks;
  readonly cacheOracle: CacheOracle | undefined;
  private readonly answerCaches: readonly Map<number, CachedAnswer>[];
  // What the run reads of its input per request, read from the input once.
  private readonly oracleOn: { sloMs: number } | undefined;
  private readonly revealClass: boolean;
  private readonly responseCache: SimRunInput['responseCache'];
  private readonly onRequest: SimRunInput['onRequest'];
  private readonly onArrival: SimRunInput['onArrival'];
  /** finish()'s metrics record, filled in per request (every field, each time). */
  private readonly record = new FinishRecord();

  constructor(input: SimRunInput, parts: SimRunParts) {
    this.model = parts.model;
    this.maxTokens = input.maxTokens ?? 'exact';
    this.engine = parts.engine;
    this.workload = parts.workload;
    this.routers = parts.routers;
    this.providers = parts.providers;
    this.live = parts.live;
    this.metrics = parts.metrics;
    this.regret = parts.regret;
    this.hooks = parts.hooks;
    this.cacheOracle = parts.cacheOracle;
    this.answerCaches = parts.answerCaches;
    this.oracleOn = input.oracle ? input.oracle : undefined;
    this.revealClass = input.revealClass === true;
    this.responseCache = input.responseCache;
    this.onRequest = input.onRequest;
    this.onArrival = input.onArrival;
  }

  private closeRouters(): void {
    for (const r of this.routers) r.close();
  }

  /** Keep exactly one future arrival in the heap: the workload is pulled lazily. */
  scheduleNext(): void {
    const sim = this.workload.next();
    if (sim !== undefined) this.engine.schedule(sim.arrivalMs, new Live(sim, this));
    // The workload is over: one less to wait for. Without a branch (a path first taken at the
    // end of a run threw this method's optimised code away then, to be recompiled in the next).
    this.unsettled -= sim === undefined ? 1 : 0;
    if (this.unsettled === 0) this.closeRouters();
  }

  arrive(l: Live): void {
    const engine = this.engine;
    const hooks = this.hooks;
    const providers = this.providers;
    this.live.add(l); // before scheduleNext: the last arrival must not see an idle run and close the router
    this.unsettled++;
    this.scheduleNext();
    const sim = l.sim;
    this.cacheOracle?.observe(sim, engine.now());
    if (this.revealClass) l.promptClass = sim.promptClass;
    if (this.oracleOn) {
      l.choice = oracleChoice(providers, sim, engine.now(), this.oracleOn, hooks.scratch);
      hooks.hintFor = l;
      hooks.hintAt = engine.now();
      for (let i = 0; i < providers.length; i++) {
        const st = providers[i]!.state;
        hooks.hintLoad[i] = st.inFlight;
        hooks.hintReqSum[i] = st.reqSum;
        hooks.hintTokSum[i] = st.tokSum;
        hooks.hintCache[i] = st.promptCache?.version ?? 0;
      }
      this.onArrival?.(sim, { providerId: l.choice.index >= 0 ? providers[l.choice.index]!.id : null, choice: l.choice });
    } else this.onArrival?.(sim, undefined);
    const routers = this.routers;
    const ri = routers.length === 1 ? 0 : this.spread++ % routers.length;
    const responseCache = this.responseCache;
    if (responseCache !== undefined && sim.faq !== undefined && !sim.stream) {
      const answers = this.answerCaches[responseCache.shared ? 0 : ri]!;
      const hit = answers.get(sim.faq);
      if (hit !== undefined && hit.expiresAt > engine.now()) return this.finishHit(l, hit);
      l.cacheInto = answers;
    }
    routers[ri]![ROUTE_DIRECT](l, l);
  }

  routed(l: Live, res: RouteResult): void {
    if (res.stream !== undefined) {
      // The router's streams are push sources (router/core/push.ts): no promise per
      // chunk; pushEnd/pushError may come before this returns.
      if (!isPushSource(res.stream)) throw new Error('sim: expected the router to return a push stream');
      l.firstAt = this.engine.now();
      res.stream[STREAM_PUSH](l);
    } else {
      // A JSON answer: finish reads the first-byte time only for a streamed request (none here, as a rule).
      this.finish(l, true, undefined, l.sim.stream ? jsonFirstByteAt(l, res, this.engine.now()) : undefined);
    }
  }

  failed(l: Live, e: unknown): void {
    this.finish(l, false, errorCodeOf(e), undefined);
  }

  streamEnded(l: Live, e: unknown): void {
    if (e === undefined) this.finish(l, true, undefined, l.firstAt);
    else this.finish(l, false, errorCodeOf(e), undefined);
  }

  /** A response-cache hit: answered at once from `hit`, nothing routed or billed. */
  private finishHit(l: Live, hit: CachedAnswer): void {
    const sim = l.sim;
    this.live.delete(l);
    this.metrics.record({
      tMs: sim.arrivalMs,
      ok: true,
      latencyMs: 0,
      ttftMs: undefined, // a JSON answer (arrive() looks in the response cache for non-streamed requests only): no TTFT
      endpointId: hit.endpointId,
      costUsd: 0,
      attemptCostUsd: 0,
      wastedUsd: 0,
      attempts: 0,
      attemptEndpoints: [],
      acceptable: hit.acceptable,
      inputTokens: sim.inputTokens,
      outputTokens: hit.outputTokens,
      responseCacheHit: true,
      responseCacheSavedUsd: hit.costUsd,
    });
    if (this.regret && l.choice) this.regret.observe(l.choice, { ok: true, costUsd: 0, latencyMs: 0 });
    this.onRequest?.({ id: sim.id, arrivalMs: sim.arrivalMs, ok: true, endpointId: hit.endpointId, latencyMs: 0, ttftMs: undefined, attempts: 0, errorCode: undefined, costUsd: 0, acceptable: hit.acceptable });
    this.finished++;
    if (--this.unsettled === 0) this.closeRouters();
  }

  finish(l: Live, ok: boolean, errorCode: string | undefined, ttftAt: number | undefined): void {
    const now = this.engine.now();
    const sim = l.sim;
    this.live.delete(l);
    const latencyMs = now - sim.arrivalMs;
    // TTFT of a streamed answer that succeeded, as a client sees it (the first body byte); a JSON
    // answer's first byte is its last, so it has none (the load drivers count the same).
    const ttftMs = ok && sim.stream && ttftAt !== undefined ? ttftAt - sim.arrivalMs : undefined;
    const acceptable = ok ? l.okOutcome?.acceptable : undefined;
    const cacheOracle = this.cacheOracle;
    const rec = this.record; // reused: metrics.record keeps nothing of it (one object less per request)
    rec.tMs = sim.arrivalMs;
    rec.ok = ok;
    rec.latencyMs = latencyMs;
    rec.ttftMs = ttftMs;
    rec.endpointId = l.lastEndpoint || undefined;
    rec.errorCode = errorCode;
    rec.costUsd = l.cost;
    rec.attemptCostUsd = l.spent;
    // Spend on attempts whose answer the client did not get (retries, failovers, hedges).
    rec.wastedUsd = l.spent - (ok && l.okOutcome !== undefined ? l.okOutcome.costUsd : 0);
    rec.attempts = l.attempts;
    rec.attemptEndpoints = l.tried ?? undefined;
    rec.acceptable = acceptable;
    rec.inputTokens = sim.inputTokens;
    rec.outputTokens = ok ? (l.okOutcome?.outputTokens ?? sim.outputTokens) : 0;
    // Prompt caching: only requests with a prefix, on providers with a cache, count.
    rec.cachedTokens = sim.prefix !== undefined && cacheOracle !== undefined ? (ok ? (l.okOutcome?.cachedTokens ?? 0) : 0) : undefined;
    rec.cacheSavingsUsd = sim.prefix !== undefined && cacheOracle !== undefined ? l.cacheSaved : undefined;
    rec.responseCacheHit = this.responseCache === undefined ? undefined : false;
    this.metrics.record(rec);
    rec.attemptEndpoints = undefined;
    // A cacheable miss that succeeded: its answer is stored (the proxy stores 200 answers).
    if (ok && l.cacheInto !== null && l.okOutcome !== undefined && sim.faq !== undefined)
      l.cacheInto.set(sim.faq, {
        expiresAt: now + this.responseCache!.ttlMs,
        endpointId: l.lastEndpoint,
        costUsd: l.okOutcome.costUsd,
        outputTokens: l.okOutcome.outputTokens,
        acceptable: l.okOutcome.acceptable,
      });
    if (this.regret && l.choice) this.regret.observe(l.choice, { ok, costUsd: l.cost, latencyMs });
    if (this.onRequest)
      this.onRequest({
        id: sim.id,
        arrivalMs: sim.arrivalMs,
        ok,
        endpointId: l.lastEndpoint,
        latencyMs,
        ttftMs,
        attempts: l.attempts,
        errorCode,
        costUsd: l.cost,
        acceptable,
      });
    this.finished++;
    if (--this.unsettled === 0) this.closeRouters();
  }
}

/**
 * SimRun.finish's metrics record, refilled per request (metrics.record keeps nothing of it).
 * Its number fields start as fractional numbers, as they will hold (see PickCtx in
 * router/request/select.ts): a field that starts as a small integer changes representation,
 * and the object its map, at the first fractional value.
 */
class FinishRecord implements MetricsRecord {
  tMs = NaN;
  ok = false;
  latencyMs = NaN;
  ttftMs: number | undefined = undefined;
  endpointId: string | undefined = undefined;
  errorCode: string | undefined = undefined;
  costUsd = NaN;
  attemptCostUsd = NaN;
  wastedUsd = NaN;
  attempts = 0;
  attemptEndpoints: readonly string[] | undefined = undefined;
  acceptable: boolean | undefined = undefined;
  inputTokens = 0;
  outputTokens = 0;
  cachedTokens: number | undefined = undefined;
  cacheSavingsUsd: number | undefined = undefined;
  responseCacheHit: boolean | undefined = undefined;
}

/**
 * The shipped classifier, classifying each distinct prompt text once. Simulated prompts
 * come from a finite corpus and classification is a pure function of the text, so this
 * only saves time (~40 µs per request). The model is loaded on first use only.
 */
function memoClassifier(load: () => Classifier): Classifier {
  let inner: Classifier | undefined;
  const cache = new Map<string, ReturnType<Classifier['classify']>>();
  return {
    get classes() {
      return (inner ??= load()).classes;
    },
    classify(text) {
      let r = cache.get(text);
      if (r === undefined) {
        r = (inner ??= load()).classify(text);
        if (cache.size < 100_000) cache.set(text, r);
      }
      return r;
    },
  };
}

/** A JSON answer's first-byte time (its transport-reported TTFT after the last attempt to end started), else `now`. */
function jsonFirstByteAt(l: Live, res: RouteResult, now: number): number {
  if (res.response.ttftMs === undefined) return now;
  const started = res.attempts.length > 0 ? res.attempts[res.attempts.length - 1]!.startedAt : l.sim.arrivalMs;
  return started + res.response.ttftMs;
}

/** The code to report for a failed request: the last attempt's, not the wrapper's. */
function errorCodeOf(e: unknown): string {
  if (e instanceof RouterError) {
    if (e.code === 'all_attempts_failed' && e.cause instanceof RouterError) return e.cause.code;
    return e.code;
  }
  return 'internal_error';
}

function runError(field: string, msg: string): Error {
  return new Error(`runSim: ${field}: ${msg}`);
}

function checkReplicas(r: unknown): number {
  if (!isObject(r)) throw runError('replicas', 'expected {count, mode, syncDelayMs}');
  if (!Number.isInteger(r.count) || (r.count as number) < 1 || (r.count as number) > 64) throw runError('replicas.count', 'expected an integer 1..64');
  if (r.mode !== 'local' && r.mode !== 'shared') throw runError('replicas.mode', 'expected "local" or "shared"');
  if (typeof r.syncDelayMs !== 'number' || !(r.syncDelayMs >= 0) || r.syncDelayMs > 3_600_000)
    throw runError('replicas.syncDelayMs', 'expected a number of ms in [0, 3600000]');
  return r.count as number;
}

/** The providers list on its own: a non-empty list of {id, profile} or {id, model}, unique ids. */
function checkProviders(providers: unknown): void {
  if (!Array.isArray(providers) || providers.length === 0)
    throw runError('providers', 'expected a non-empty list of {id, profile} or {id, model} (one per router endpoint, same ids)');
  const seen = new Map<string, number>();
  providers.forEach((p: unknown, i) => {
    if (!isObject(p)) throw runError(`providers[${i}]`, 'expected {id, profile} or {id, model}');
    if (typeof p.id !== 'string' || p.id === '') throw runError(`providers[${i}].id`, 'expected a non-empty string (the endpoint id it serves)');
    const prev = seen.get(p.id);
    if (prev !== undefined) throw runError(`providers[${i}].id`, `duplicate provider id "${p.id}" (also providers[${prev}])`);
    seen.set(p.id, i);
    if ('model' in p) {
      if (!isObject(p.model) || typeof p.model.outcome !== 'function') throw runError(`providers[${i}].model`, 'expected a ProviderModel (createProviderModel)');
    } else if (!isObject(p.profile)) throw runError(`providers[${i}].profile`, 'expected a provider profile (parseProfile / loadProfile)');
  });
}

/**
 * Providers against the router: endpoint ids = provider ids, both ways (an endpoint without a
 * provider, or a provider no endpoint names, would only show up as errors or idle capacity),
 * and the requested model must be one the endpoints serve.
 */
function checkAgainstRouter(endpoints: readonly Endpoint[], models: readonly string[], providers: readonly RunProvider[], model: unknown): void {
  const endpointIds = new Set(endpoints.map((e) => e.id));
  const providerIds = new Set(providers.map((p) => p.id));
  const list = (ids: Iterable<string>): string => [...ids].map((id) => `"${id}"`).join(', ');
  providers.forEach((p, i) => {
    if (!endpointIds.has(p.id))
      throw runError(`providers[${i}].id`, `"${p.id}" matches no router endpoint id; endpoint ids: ${list(endpointIds)}`);
  });
  endpoints.forEach((e, i) => {
    if (!providerIds.has(e.id))
      throw runError(`router.endpoints[${i}].id`, `endpoint "${e.id}" has no provider with that id; provider ids: ${list(providerIds)}`);
  });
  if (model !== undefined && (typeof model !== 'string' || !models.includes(model)))
    throw runError('model', `no router endpoint serves model ${JSON.stringify(model)}; known models: ${list(models)}`);
}

export async function runSim(input: SimRunInput): Promise<SimRunResult> {
  // Validate every input before anything is built or run (errors name the field).
  if (!isObject(input)) throw new Error('runSim: expected an input object {router, providers, workload, seed}');
  checkProviders(input.providers);
  const seed = input.seed;
  const planned = createWorkload(input.workload, seed);
  const workload = input.arrivalJitter ? jitterArrivals(planned, input.arrivalJitter) : planned;
  const engine = new Engine({ quantumMs: input.quantumMs ?? 0, drain: input.drain ?? 'auto' });
  const providers = input.providers.map((p) => ({
    id: p.id,
    model: 'model' in p ? p.model : createProviderModel(p.profile, seed),
    state: createProviderState() as ProviderState,
  }));
  const live = new InFlight();
  const metrics = createMetrics({ sloMs: input.goodputSloMs });
  const regret = input.oracle ? new RegretTracker() : undefined;
  const hooks = new RunHooks(providers.map((p) => p.id));

  const completionDelayMs = completionDelays(input.arrivalJitter);
  const transport = createSimTransport({
    engine,
    providers,
    ...(completionDelayMs ? { completionDelayMs } : {}),
    hooks,
  });
  const stores = input.replicas === undefined ? [undefined] : createReplicaStores(checkReplicas(input.replicas), input.replicas, engine.clock);
  const routers = stores.map((store, i) =>
    createRouter(input.router, {
      transport,
      clock: engine.clock,
      random: deriveRandom(seed, i === 0 ? 'router' : `router-${i}`),
      classifier: input.classifier ?? memoClassifier(defaultClassifier),
      ...(store ? { store } : {}),
    }),
  );
  const router = routers[0]!;
  const onRouterEvent = input.onRouterEvent;
  if (onRouterEvent) routers.forEach((r, i) => r.on((e) => onRouterEvent(i, e)));
  const closeRouters = (): void => {
    for (const r of routers) r.close();
  };
  try {
    checkAgainstRouter(router.endpoints, router.models(), input.providers, input.model);
  } catch (e) {
    closeRouters();
    throw e;
  }
  const responseCache = input.responseCache;
  const run = new SimRun(input, {
    engine,
    workload,
    routers,
    providers,
    live,
    metrics,
    regret,
    hooks,
    model: input.model ?? router.endpoints[0]!.model,
    cacheOracle: createCacheOracle(providers.map((p) => p.model.profile)),
    answerCaches: responseCache === undefined ? [] : Array.from({ length: responseCache.shared ? 1 : routers.length }, () => new Map<number, CachedAnswer>()),
  });
  hooks.owner = run;
  let summary: StrategyResult['summary'];
  let timeline: StrategyResult['timeline'];
  let oracle: OracleReport | undefined;
  try {
    run.scheduleNext();
    await engine.run();
    // Requests nothing will ever settle (a hang with every deadline disabled) end as errors.
    for (const l of live.toArray()) run.finish(l, false, 'unfinished', undefined);
    metrics.addLateSpend(hooks.lateSpendUsd);
    ({ summary, timeline } = metrics.summarize({ durationS: input.workload.durationS, fault: input.fault }));
    if (summary.cachedTokenShare !== undefined && run.cacheOracle !== undefined) summary.oracleCachedTokenShare = run.cacheOracle.share();
    oracle = regret?.report();
  } finally {
    // Also when a callback threw mid-run: stop background timers, free the histograms.
    closeRouters();
    metrics.dispose();
    regret?.dispose();
  }
  const result: StrategyResult = { strategy: input.label ?? router.strategy.name, summary, timeline };
  if (input.params) result.params = input.params;
  if (oracle) result.regret = oracle.regret;
  return { result, oracle, stats: { requests: run.finished, events: engine.fired, steps: engine.steps, syncSteps: engine.syncSteps, virtualMs: engine.now() } };
}
