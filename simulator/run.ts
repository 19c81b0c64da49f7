import type { RouterConfigInput } from '../router/core/config.js';
import { RouterError } from '../router/core/errors.js';
import { deriveRandom } from '../router/core/random.js';
import { createRouter, type RouteResult } from '../router/core/router.js';
import type { Classifier } from '../router/core/strategy.js';
import type { RouteRequest } from '../router/core/types.js';
import type { StrategyResult } from '../reports/contract.js';
import { Engine } from './engine.js';
import { createMetrics, type FaultSpec } from './metrics.js';
import { createProviderModel, createProviderState, type ProviderModel, type ProviderState } from './model.js';
import { oracleChoice, RegretTracker, type OracleChoice, type OracleReport } from './oracle.js';
import type { ProviderProfile } from './profile.js';
import { createSimTransport, type AttemptInfo } from './sim-transport.js';
import type { ProviderOutcome, SimRequest } from './types.js';
import { createWorkload, type WorkloadSpec } from './workload.js';

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
  /** Client TTFT (arrival → first byte); undefined for failures. */
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
  classifier?: Classifier;
  /** Engine time grid (ms); 0 = exact. */
  quantumMs?: number;
  /** Engine microtask drain (see engine.ts); 'immediate' is the slow reference. */
  drain?: 'tick' | 'immediate';
  /** Pass the request's class to the router (skips the classifier). Default false. */
  revealClass?: boolean;
  /** Called for every finished request, in completion order. */
  onRequest?: (o: RequestOutcome) => void;
  /** Called at each arrival, before routing, with the oracle's choice (when the oracle is on; providerId null if every provider hangs). */
  onArrival?: (req: SimRequest, choice: { providerId: string | null; choice: OracleChoice } | undefined) => void;
}

export interface SimRunResult {
  result: StrategyResult;
  oracle: OracleReport | undefined;
  /** Engine figures for benchmarks. */
  stats: { requests: number; events: number; steps: number; virtualMs: number };
}

interface Live {
  readonly sim: SimRequest;
  readonly route: RouteRequest;
  cost: number;
  attempts: number;
  lastEndpoint: string;
  tried: string[];
  okOutcome: ProviderOutcome | undefined;
  choice: OracleChoice | undefined;
}

/** The code to report for a failed request: the last attempt's, not the wrapper's. */
function errorCodeOf(e: unknown): string {
  if (e instanceof RouterError) {
    if (e.code === 'all_attempts_failed' && e.cause instanceof RouterError) return e.cause.code;
    return e.code;
  }
  return 'internal_error';
}

export async function runSim(input: SimRunInput): Promise<SimRunResult> {
  const seed = input.seed;
  const engine = new Engine({ quantumMs: input.quantumMs ?? 0, drain: input.drain ?? 'tick' });
  const providers = input.providers.map((p) => ({
    id: p.id,
    model: 'model' in p ? p.model : createProviderModel(p.profile, seed),
    state: createProviderState() as ProviderState,
  }));
  const live = new Map<string, Live>();
  const metrics = createMetrics();
  const oracleOn = input.oracle ? input.oracle : undefined;
  const regret = oracleOn ? new RegretTracker() : undefined;
  const scratch: ProviderOutcome[] = [];

  const transport = createSimTransport({
    engine,
    providers,
    lookup: (r) => (r.id !== undefined ? live.get(r.id)?.sim : undefined),
    onAttempt: (a: AttemptInfo) => {
      const l = live.get(String(a.request.id));
      if (!l) return;
      l.attempts++;
      l.lastEndpoint = a.providerId;
      l.tried.push(a.providerId);
    },
    onAttemptEnd: (a: AttemptInfo, completed: boolean) => {
      const l = live.get(String(a.request.id));
      if (!l || !completed) return;
      l.cost += a.outcome.costUsd;
      if (a.outcome.kind === 'ok') l.okOutcome = a.outcome;
    },
  });
  const router = createRouter(input.router, {
    transport,
    clock: engine.clock,
    random: deriveRandom(seed, 'router'),
    ...(input.classifier ? { classifier: input.classifier } : {}),
  });
  const model = input.model ?? router.endpoints[0]!.model;
  const workload = createWorkload(input.workload, seed);
  let finished = 0;
  let arrivalsDone = false;

  const finish = (l: Live, ok: boolean, errorCode: string | undefined, ttftAt: number | undefined): void => {
    const now = engine.now();
    const sim = l.sim;
    live.delete(l.route.id!);
    const out: RequestOutcome = {
      id: sim.id,
      arrivalMs: sim.arrivalMs,
      ok,
      endpointId: l.lastEndpoint,
      latencyMs: now - sim.arrivalMs,
      ttftMs: ok && ttftAt !== undefined ? ttftAt - sim.arrivalMs : undefined,
      attempts: l.attempts,
      errorCode,
      costUsd: l.cost,
      acceptable: ok ? l.okOutcome?.acceptable : undefined,
    };
    metrics.record({
      tMs: sim.arrivalMs,
      ok,
      latencyMs: out.latencyMs,
      ttftMs: out.ttftMs,
      endpointId: l.lastEndpoint || undefined,
      errorCode,
      costUsd: l.cost,
      attempts: l.attempts,
      attemptEndpoints: l.tried,
      acceptable: out.acceptable,
      inputTokens: sim.inputTokens,
      outputTokens: ok ? (l.okOutcome?.outputTokens ?? sim.outputTokens) : 0,
    });
    if (regret && l.choice) regret.observe(l.choice, { ok, costUsd: l.cost, latencyMs: out.latencyMs });
    input.onRequest?.(out);
    finished++;
    if (arrivalsDone && live.size === 0) router.close();
  };

  /** Drain a stream to its end; a mid-stream failure fails the request. */
  const consume = async (l: Live, res: RouteResult, firstAt: number): Promise<void> => {
    try {
      for await (const _chunk of res.stream!) {
        // chunks carry nothing the simulator needs
      }
      finish(l, true, undefined, firstAt);
    } catch (e) {
      finish(l, false, errorCodeOf(e), undefined);
    }
  };

  const onArrival = (sim: SimRequest): void => {
    const id = String(sim.id);
    const route: RouteRequest = {
      id,
      model,
      prompt: sim.prompt,
      inputTokens: sim.inputTokens,
      maxTokens: sim.outputTokens,
      stream: sim.stream,
      sessionKey: sim.sessionKey,
    };
    if (input.revealClass) route.promptClass = sim.promptClass;
    const l: Live = { sim, route, cost: 0, attempts: 0, lastEndpoint: '', tried: [], okOutcome: undefined, choice: undefined };
    if (oracleOn) {
      l.choice = oracleChoice(providers, sim, engine.now(), oracleOn, scratch);
      input.onArrival?.(sim, { providerId: l.choice.index >= 0 ? providers[l.choice.index]!.id : null, choice: l.choice });
    } else input.onArrival?.(sim, undefined);
    live.set(id, l);
    router.route(route).then(
      (res) => {
        if (res.stream !== undefined) void consume(l, res, engine.now());
        else {
          const started = res.attempts.length > 0 ? res.attempts[res.attempts.length - 1]!.startedAt : sim.arrivalMs;
          finish(l, true, undefined, res.response.ttftMs !== undefined ? started + res.response.ttftMs : engine.now());
        }
      },
      (e: unknown) => finish(l, false, errorCodeOf(e), undefined),
    );
  };

  // Keep exactly one future arrival in the heap: the workload is pulled lazily.
  const scheduleNext = (): void => {
    const sim = workload.next();
    if (sim === undefined) {
      arrivalsDone = true;
      if (live.size === 0) router.close();
      return;
    }
    engine.at(sim.arrivalMs, () => {
      scheduleNext();
      onArrival(sim);
    });
  };
  scheduleNext();
  await engine.run();
  // Requests nothing will ever settle (a hang with every deadline disabled) end as errors.
  for (const l of [...live.values()]) finish(l, false, 'unfinished', undefined);
  router.close();

  const durationS = input.workload.durationS;
  const { summary, timeline } = metrics.summarize({ durationS, fault: input.fault });
  const oracle = regret?.report();
  const result: StrategyResult = { strategy: input.label ?? router.strategy.name, summary, timeline };
  if (input.params) result.params = input.params;
  if (oracle) result.regret = oracle.regret;
  return { result, oracle, stats: { requests: finished, events: engine.fired, steps: engine.steps, virtualMs: engine.now() } };
}
