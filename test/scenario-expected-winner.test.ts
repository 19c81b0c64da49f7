/**
 * Every scenario file in scenarios/ (new ones included) at its default settings: paired
 * seeds (the CLI's default count), every default strategy. On the first headline metric at
 * least one pairwise difference must be significant (Bonferroni-corrected 95% intervals) and
 * the file's expectedWinner must rank first and beat some strategy significantly. Virtual
 * time, fixed seeds: deterministic. The oracle is off (the verdict does not read regret).
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SIM_SEEDS } from '../scenarios/cli/args.js';
import { loadScenario, scenarioNames } from '../scenarios/setup/load.js';
import { runSeeds, seedList } from '../scenarios/seeds/multi-seed.js';
import { checkExpectedWinner } from '../scenarios/stats/verdict.js';

describe('every scenario answers its question with its expected winner', () => {
  it.each(scenarioNames())('%s', async (name) => {
    const { scenario } = loadScenario(name);
    const r = await runSeeds(name, undefined, seedList(scenario.seed, DEFAULT_SIM_SEEDS), {
      workers: Math.min(2, availableParallelism()),
      oracle: false,
    });
    const v = r.verdict!.metrics[0]!;
    expect(v.metric).toBe(scenario.headline.metrics[0]);
    expect(v.pairs.some((p) => p.significant)).toBe(true);
    const check = checkExpectedWinner(v, scenario.headline.expectedWinner);
    expect(check.reason).toContain('significantly beats');
    expect(check.ok).toBe(true);
  }, 90_000);
});
