/**
 * Shared by the one-off sim scripts (oracle-p99.ts, phase-outcomes.ts): load a scenario for a
 * script (a message and exit code 2 when it cannot be loaded), and run one strategy on one seed
 * of it exactly as sim mode builds the run (router config, providers, workload, fault).
 */
import { runSim, type SimRunInput, type SimRunResult } from '../simulator/run.js';
import { primaryFault } from '../scenarios/setup/faults.js';
import { loadScenario } from '../scenarios/setup/load.js';
import { resolveProviders, type ResolvedProvider } from '../scenarios/setup/resolve.js';
import { scenarioRouterConfig } from '../scenarios/setup/router-config.js';
import { workloadSpec } from '../scenarios/modes/sim-mode.js';
import type { Scenario, StrategyRef } from '../scenarios/spec/schema.js';

export interface ScriptScenario {
  scenario: Scenario;
  providers: ResolvedProvider[];
  durationS: number;
  /** The scenario's p99 SLO (5000 ms when it states none). */
  sloMs: number;
}

/** The scenario, or 2 after writing why it could not be loaded to stderr. */
export function loadForScript(name: string): ScriptScenario | 2 {
  try {
    const { scenario, file, where } = loadScenario(name);
    return { scenario, providers: resolveProviders(scenario, file, where), durationS: scenario.load.durationS, sloMs: scenario.slo.p99Ms ?? 5000 };
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
}

/** One strategy on one seed; `extra` adds or overrides SimRunInput fields (oracle, callbacks). */
export function simOnce(s: ScriptScenario, strategy: StrategyRef, seed: number, extra: Partial<SimRunInput> = {}): Promise<SimRunResult> {
  const fault = primaryFault(s.providers, s.durationS);
  return runSim({
    router: scenarioRouterConfig(s.scenario, s.providers, strategy),
    providers: s.providers.map((p) => ({ id: p.id, profile: p.profile })),
    workload: workloadSpec(s.scenario, s.durationS),
    seed,
    label: typeof strategy === 'string' ? strategy : strategy.name,
    model: s.scenario.model,
    ...(fault ? { fault } : {}),
    ...extra,
  });
}
