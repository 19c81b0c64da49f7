import type { StrategyResult } from '../../reports/contract.js';
import { loadScenario } from '../setup/load.js';
import type { OutcomeSubjects } from '../../simulator/outcome-replay.js';
import { createProgress } from '../progress/progress.js';
import { resolveProviders, type ResolvedProvider } from '../setup/resolve.js';
import type { Scenario } from '../spec/schema.js';
import { runSimMode } from './sim-mode.js';

/**
 * One evaluation = one config on one seed for a duration, in sim mode, through the
 * scenario runner's own sim mode (sim-mode.ts) so a tuned number means what
 * `npm run scenario <name> -- --mode sim` would print. The candidate's router settings
 * replace the scenario's `router` section; its strategy params go in the strategy ref.
 * Pure given its inputs: the same task gives the same result in any thread.
 */

/** A candidate: a strategy with its params and the router settings (tune/space.ts TuneConfig is one). */
export interface EvalConfig {
  strategy: { name: string; params: Record<string, unknown> };
  /** Everything of a router config except endpoints and strategy (scenario.router shape). */
  router: Record<string, unknown>;
}

export interface EvalTask {
  config: EvalConfig;
  seed: number;
  durationS: number;
  /** Name of the result (e.g. "#12"). */
  label: string;
  /** Drop the per-second timeline (search runs do not need it; keeps messages small). */
  noTimeline?: boolean;
  /** Outcome replay: which records to replay instead of the scenario's (tune: 'train', never the evaluation split). */
  outcomeSubjects?: OutcomeSubjects;
  /** Regret against the oracle (default true; false saves a model call per provider per request). */
  oracle?: boolean;
  /** Replace the scenario's mean arrival rate (a capacity sweep, seeds/sweep.ts). */
  rate?: number;
}

export interface EvalContext {
  scenario: Scenario;
  file: string;
  where: string;
  providers: ResolvedProvider[];
}

export function loadEvalContext(scenarioPath: string): EvalContext {
  const { scenario, file, where } = loadScenario(scenarioPath);
  return { scenario, file, where, providers: resolveProviders(scenario, file, where) };
}

const quiet = createProgress({ quiet: true });

export async function evaluate(ctx: EvalContext, task: EvalTask): Promise<StrategyResult> {
  const base = task.rate === undefined ? ctx.scenario : { ...ctx.scenario, load: { ...ctx.scenario.load, rate: task.rate } };
  let scenario: Scenario = { ...base, router: task.config.router as Scenario['router'] };
  const outcomes = scenario.load.outcomes;
  if (outcomes && task.outcomeSubjects) scenario = { ...scenario, load: { ...scenario.load, outcomes: { ...outcomes, subjects: task.outcomeSubjects } } };
  const [result] = await runSimMode(
    {
      scenario,
      file: ctx.file,
      where: ctx.where,
      providers: ctx.providers,
      seed: task.seed,
      durationS: task.durationS,
      progress: quiet,
      log: () => {},
      speed: undefined,
      driver: undefined,
      oracle: task.oracle ?? true,
    },
    [{ name: task.config.strategy.name, params: task.config.strategy.params }],
  );
  if (!result) throw new Error(`evaluation ${task.label} produced no result`);
  result.strategy = task.label;
  if (task.noTimeline) result.timeline = [];
  return result;
}
