import type { StrategyResult } from '../../reports/contract.js';
import type { WorkloadSpec } from '../../simulator/workload.js';
import { primaryFault } from '../setup/faults.js';
import { outcomeBaselines, routingVsBaselines } from './outcome-baselines.js';
import { scenarioRouterConfig } from '../setup/router-config.js';
import type { ModeContext } from './runner.js';
import { RESPONSE_CACHE_TTL_MS, responseCacheOn, simReplicas, storeMode } from '../spec/replicas.js';
import { strategyName, type Scenario, type StrategyRef } from '../spec/schema.js';
import type { SimPool } from './sim-pool.js';
import type { SimRunInput } from '../../simulator/run.js';
import type { ResolvedProvider } from '../setup/resolve.js';
import type { RouterEvent } from '../../router/core/events.js';
import { healthTraceFile, healthTracer } from '../../router/http/health-trace.js';

/**
 * sim mode: every strategy runs on the virtual-time engine (simulator/run.ts) over the
 * same seeded workload and provider models, so differences are the strategy's alone.
 * The oracle runs too (regret vs the hindsight-best endpoint, SLO = the scenario's p99).
 *
 * With a worker pool (ctx.pool, see runner.ts) the strategies run in parallel, one per
 * worker thread at a time. A run is a pure function of its inputs (no state is shared
 * between strategies), so each result is the same as in this thread, and results are
 * kept in the scenario's strategy order: results.json is byte-identical either way.
 */

/** What a worker needs to run one strategy: the ModeContext without functions (structured-clonable). */
export type SimJobContext = Omit<ModeContext, 'progress' | 'log' | 'pool' | 'simJobsQueued'>;

/** The workload spec of a scenario for `durationS` seconds. */
export function workloadSpec(s: Scenario, durationS: number): WorkloadSpec {
  const l = s.load;
  return {
    arrivals: l.arrivals,
    ...(l.rate !== undefined ? { rate: l.rate } : {}),
    ...(l.shape !== undefined ? { shape: l.shape } : {}),
    phases: l.phases,
    ...(l.ramp ? { ramp: l.ramp } : {}),
    ...(l.trace ? { trace: l.trace } : {}),
    durationS,
    mix: l.mix,
    stream: l.stream,
    sessions: l.sessions,
    ...(l.conversations ? { conversations: l.conversations } : {}),
    ...(l.outcomes ? { outcomes: l.outcomes } : {}),
    ...(l.faq ? { faq: l.faq } : {}),
  };
}

export async function runSimMode(ctx: ModeContext, strategies: readonly StrategyRef[]): Promise<StrategyResult[]> {
  const pool = ctx.pool;
  let out: StrategyResult[];
  if (pool && pool.count('sim') > 0 && strategies.length > 1 && !ctx.arrivalJitter) out = await runOnWorkers(ctx, pool, strategies);
  else {
    out = [];
    for (const ref of strategies) out.push(await runOne(ctx, ref));
  }
  return withOutcomeBaselines(ctx, out);
}

/** Outcome replay: each result gains its quality next to all-weak, all-strong, the oracle and random at its share. */
function withOutcomeBaselines(ctx: ModeContext, results: StrategyResult[]): StrategyResult[] {
  const b = outcomeBaselines(workloadSpec(ctx.scenario, ctx.durationS), ctx.providers, ctx.seed);
  if (!b) return results;
  return results.map((r) => {
    const routing = routingVsBaselines(r, b);
    return routing ? { ...r, routing } : r;
  });
}

/**
 * The run of one strategy on one seed in sim mode, without the oracle and the per-run callbacks:
 * what runOne runs, and what the one-off scripts run (scripts/sim-once.ts), so a script simulates
 * exactly what sim mode does (replicas, the response cache, declared max_tokens, class reveal,
 * the fault, strategy params, the goodput SLO).
 */
export function simRunInput(scenario: Scenario, providers: readonly ResolvedProvider[], ref: StrategyRef, seed: number, durationS: number): SimRunInput {
  const fault = primaryFault(providers, durationS);
  const name = strategyName(ref);
  const params = typeof ref === 'string' ? undefined : ref.params;
  return {
    router: scenarioRouterConfig(scenario, providers, ref),
    providers: providers.map((p) => ({ id: p.id, profile: p.profile })),
    workload: workloadSpec(scenario, durationS),
    seed,
    label: name,
    ...(scenario.load.declareClass ? { revealClass: true } : {}),
    ...(scenario.load.maxTokens !== 'exact' ? { maxTokens: scenario.load.maxTokens } : {}),
    ...(scenario.replicas ? { replicas: simReplicas(scenario.replicas, name)! } : {}),
    ...(responseCacheOn(name) ? { responseCache: { ttlMs: RESPONSE_CACHE_TTL_MS, shared: scenario.replicas !== undefined && storeMode(name) === 'shared' } } : {}),
    ...(params && Object.keys(params).length ? { params } : {}),
    model: scenario.model,
    ...(fault ? { fault } : {}),
    ...(scenario.slo.p99Ms !== undefined ? { goodputSloMs: scenario.slo.p99Ms } : {}),
  };
}

/** One strategy in this thread (also what each worker runs). */
export async function runOne(ctx: Omit<ModeContext, 'pool' | 'simJobsQueued'>, ref: StrategyRef): Promise<StrategyResult> {
  const { scenario, providers, seed, durationS, progress } = ctx;
  // Imported here: a run whose strategies all go to workers never loads the simulator in this thread.
  const { runSim } = await import('../../simulator/run.js');
  const name = strategyName(ref);
  progress.start(name, durationS, 'sim s');
  let lastT = 0;
  // LLM_ROUTER_HEALTH_TRACE=<file>: every replica's health transitions and probes (router/http/health-trace.ts).
  const traceFile = healthTraceFile();
  const tracers = new Map<number, (e: RouterEvent) => void>();
  const trace = (e: RouterEvent, replica: number): void => {
    let t = tracers.get(replica);
    if (t === undefined) tracers.set(replica, (t = healthTracer(traceFile, { src: 'sim', label: name, seed, replica, ...(ctx.arrivalJitter ? { jitter: ctx.arrivalJitter.seed } : {}) })!));
    t(e);
  };
  const { result } = await runSim({
    ...simRunInput(scenario, providers, ref, seed, durationS),
    oracle: ctx.oracle === false ? false : { sloMs: scenario.slo.p99Ms ?? 5000 },
    ...(ctx.arrivalJitter ? { arrivalJitter: ctx.arrivalJitter } : {}),
    ...(traceFile ? { onRouterEvent: (replica: number, e: RouterEvent) => trace(e, replica) } : {}),
    onRequest: (r) => {
      const t = Math.floor(r.arrivalMs / 1000);
      if (t > lastT) {
        lastT = t;
        progress.update(t);
      }
    },
  });
  progress.update(durationS, `ok ${(100 * (1 - result.summary.errorRate)).toFixed(1)}%`);
  progress.stop();
  return result;
}

/** Every strategy as a job on the pool; one progress bar over all of them (simulated seconds summed). */
async function runOnWorkers(ctx: ModeContext, pool: SimPool, strategies: readonly StrategyRef[]): Promise<StrategyResult[]> {
  const { progress, durationS } = ctx;
  const job: SimJobContext = {
    scenario: ctx.scenario,
    file: ctx.file,
    where: ctx.where,
    providers: ctx.providers,
    seed: ctx.seed,
    durationS,
    speed: ctx.speed,
    driver: ctx.driver,
    ...(ctx.oracle !== undefined ? { oracle: ctx.oracle } : {}),
  };
  const n = strategies.length;
  const at = new Array<number>(n).fill(0);
  let finished = 0;
  let sum = 0;
  progress.start(`${n} strategies on ${pool.count('sim')} workers`, n * durationS, 'sim s');
  try {
    const jobs = strategies.map(async (ref, i) => {
      const r = await pool.run<StrategyResult>({ kind: 'sim', ctx: job, ref }, `strategy ${strategyName(ref)}`, (t) => {
        sum += t - at[i]!;
        at[i] = t;
        progress.update(sum, `${finished}/${n} done`);
      });
      sum += durationS - at[i]!;
      at[i] = durationS;
      progress.update(sum, `${++finished}/${n} done`);
      return r;
    });
    ctx.simJobsQueued?.();
    return await Promise.all(jobs);
  } finally {
    progress.stop();
  }
}
