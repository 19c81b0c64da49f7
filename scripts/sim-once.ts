/**
 * Shared by the one-off sim scripts (oracle-p99.ts, phase-outcomes.ts): load a scenario for a
 * script (a message and exit code 2 when it cannot be loaded), and run one strategy on one seed
 * of it exactly as sim mode builds the run (router config, providers, workload, fault).
 */
import { runSim, type SimRunInput, type SimRunResult } from '../simulator/run.js';
import { loadScenario } from '../scenarios/setup/load.js';
import { resolveProviders, type ResolvedProvider } from '../scenarios/setup/resolve.js';
import { simRunInput } from '../scenarios/modes/sim-mode.js';
import type { Scenario, StrategyRef } from '../scenarios/spec/schema.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';

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

/**
 * One strategy on one seed, as sim mode runs it (scenarios/modes/sim-mode.ts simRunInput: replicas,
 * the response cache and load.maxTokens included; before, a script ran replicas-outage on one
 * router and ignored maxTokens: pow2); `extra` adds or overrides SimRunInput fields (oracle, callbacks).
 */
export function simOnce(s: ScriptScenario, strategy: StrategyRef, seed: number, extra: Partial<SimRunInput> = {}): Promise<SimRunResult> {
  return runSim({ ...simRunInput(s.scenario, s.providers, strategy, seed, s.durationS), ...extra });
}

/** What the per-bucket trace scripts (phase-outcomes.ts, attempt-trace.ts) take on their command line. */
export interface BucketArgs {
  loaded: ScriptScenario;
  strategies: string[];
  /** Params by strategy name (--params '{"adaptive":{...}}'). */
  params: Record<string, Record<string, unknown>>;
  seeds: number;
  seedOffset: number;
  bucketS: number;
}

/** Parse `<scenario> [--strategies a,b] [--params JSON] [--seeds K] [--seed-offset N] [--bucket S]`, or the exit code (0 for --help, 2 with a message for bad input). */
export function bucketArgs(argv: string[], usage: string): BucketArgs | number {
  const args = scriptArgs(
    argv,
    {
      strategies: { type: 'string', default: 'adaptive,latency,round-robin' },
      params: { type: 'string', default: '{}' },
      seeds: { type: 'string', default: '10' },
      'seed-offset': { type: 'string', default: '0' },
      bucket: { type: 'string', default: '5' },
    },
    usage,
  );
  if (typeof args === 'number') return args;
  const { values, positionals } = args;
  const seeds = Number(values.seeds);
  const seedOffset = Number(values['seed-offset']);
  const bucketS = Number(values.bucket);
  let params: Record<string, Record<string, unknown>>;
  try {
    params = JSON.parse(values.params) as Record<string, Record<string, unknown>>;
  } catch (e) {
    process.stderr.write(`--params: ${(e as Error).message}\n${usage}\n`);
    return 2;
  }
  if (positionals.length !== 1 || !Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(seedOffset) || seedOffset < 0 || !(bucketS > 0)) {
    process.stderr.write(`expected one scenario, --seeds >= 1, --seed-offset >= 0, --bucket > 0\n${usage}\n`);
    return 2;
  }
  const loaded = loadForScript(positionals[0]!);
  if (loaded === 2) return 2;
  return { loaded, strategies: values.strategies.split(','), params, seeds, seedOffset, bucketS };
}
