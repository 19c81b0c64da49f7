import type { StrategyResult } from '../reports/contract.js';
import { runSim } from '../simulator/run.js';
import type { WorkloadSpec } from '../simulator/workload.js';
import { primaryFault } from './faults.js';
import { scenarioRouterConfig } from './router-config.js';
import type { ModeContext } from './runner.js';
import { strategyName, type Scenario, type StrategyRef } from './schema.js';

/**
 * sim mode: every strategy runs on the virtual-time engine (simulator/run.ts) over the
 * same seeded workload and provider models, so differences are the strategy's alone.
 * The oracle runs too (regret vs the hindsight-best endpoint, SLO = the scenario's p99).
 */

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
  };
}

export async function runSimMode(ctx: ModeContext, strategies: readonly StrategyRef[]): Promise<StrategyResult[]> {
  const { scenario, providers, seed, durationS, progress } = ctx;
  const fault = primaryFault(providers, durationS);
  const workload = workloadSpec(scenario, durationS);
  const out: StrategyResult[] = [];
  for (const ref of strategies) {
    const name = strategyName(ref);
    progress.start(name, durationS, 'sim s');
    let lastT = 0;
    const params = typeof ref === 'string' ? undefined : ref.params;
    const { result } = await runSim({
      router: scenarioRouterConfig(scenario, providers, ref),
      providers: providers.map((p) => ({ id: p.id, profile: p.profile })),
      workload,
      seed,
      label: name,
      ...(params && Object.keys(params).length ? { params } : {}),
      model: scenario.model,
      ...(fault ? { fault } : {}),
      oracle: ctx.oracle === false ? false : { sloMs: scenario.slo.p99Ms ?? 5000 },
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
    out.push(result);
  }
  return out;
}
