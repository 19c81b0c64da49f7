/**
 * Every scenario file in scenarios/ (new ones included) at its default settings: paired
 * seeds (the CLI's default count), every default strategy. On the first headline metric at
 * least one pairwise difference must be significant (Bonferroni-corrected 95% intervals) and
 * the file's expectedWinner must rank first and beat some strategy significantly. Virtual
 * time, fixed seeds: deterministic. The oracle is off (the verdict does not read regret).
 *
 * The standings regression (scenarios/stats/standings.ts, pinned in docs/standings.json) runs
 * here too, on the same simulated seeds: adaptive's paired headline advantages over
 * round-robin and over the scenario's best peer must come back as pinned, to within float
 * noise. Where the scenario's default strategies include all three, it reads the runs made for
 * the verdict (one simulation of each pair of strategy and seed, not two); otherwise it runs
 * the three. After a deliberate change, regenerate with
 * `npm run standings -- --json docs/standings.json --readme README.md`.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StrategyResult } from '../reports/contract.js';
import { DEFAULT_SIM_SEEDS } from '../scenarios/cli/args.js';
import { loadScenario, scenarioNames } from '../scenarios/setup/load.js';
import { runSeedMatrix, seedList } from '../scenarios/seeds/multi-seed.js';
import { strategyName } from '../scenarios/spec/schema.js';
import { headlineAdvantage, type Standings } from '../scenarios/stats/standings.js';
import { checkExpectedWinner, scenarioVerdict } from '../scenarios/stats/verdict.js';

const pinned = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'docs', 'standings.json'), 'utf8')) as Standings[];
const opts = { workers: Math.min(2, availableParallelism()), oracle: false } as const;

it('every pinned standing is of a scenario file that exists', () => {
  expect(pinned.map((s) => s.scenario).filter((n) => !scenarioNames().includes(n))).toEqual([]);
});

describe.each(scenarioNames())('%s', (name) => {
  const { scenario } = loadScenario(name);
  const seeds = seedList(scenario.seed, DEFAULT_SIM_SEEDS);
  // The default strategies on the default seeds, shared by the two tests below and then dropped.
  let matrix: Promise<StrategyResult[][]> | undefined;
  const defaults = (): Promise<StrategyResult[][]> => (matrix ??= runSeedMatrix(name, undefined, seeds, opts));

  it('answers its question with its expected winner', async () => {
    const v = scenarioVerdict(scenario, seeds, await defaults()).metrics[0]!;
    expect(v.metric).toBe(scenario.headline.metrics[0]);
    expect(v.pairs.some((p) => p.significant)).toBe(true);
    const check = checkExpectedWinner(v, scenario.headline.expectedWinner);
    expect(check.reason).toContain('significantly beats');
    expect(check.ok).toBe(true);
  }, 90_000);

  const s = pinned.find((p) => p.scenario === name);
  if (s)
    it('standings: adaptive vs round-robin and vs the best peer, as pinned', async () => {
      const three = ['adaptive', 'round-robin', s.bestPeer];
      const pinnedSeeds = seedList(scenario.seed + (s.seedOffset ?? 0), s.seeds);
      const reuse = pinnedSeeds.join() === seeds.join() && three.every((n) => scenario.strategies.some((r) => strategyName(r) === n));
      const perSeed = reuse ? await defaults() : await runSeedMatrix(name, three, pinnedSeeds, opts);
      matrix = undefined;
      const rr = headlineAdvantage(perSeed, s.headline, 'adaptive', 'round-robin');
      const peer = headlineAdvantage(perSeed, s.headline, 'adaptive', s.bestPeer);
      const tol = (x: number): number => 1e-6 * Math.max(1, Math.abs(x));
      expect(Math.abs(rr.mean - s.vsRoundRobin.mean)).toBeLessThanOrEqual(tol(s.vsRoundRobin.mean));
      expect(Math.abs(rr.lo - s.vsRoundRobin.lo)).toBeLessThanOrEqual(tol(s.vsRoundRobin.lo));
      expect(Math.abs(peer.mean - s.vsBestPeer.mean)).toBeLessThanOrEqual(tol(s.vsBestPeer.mean));
      expect(Math.abs(peer.hi - s.vsBestPeer.hi)).toBeLessThanOrEqual(tol(s.vsBestPeer.hi));
      expect(rr.significant).toBe(s.vsRoundRobin.significant);
      expect(peer.significant).toBe(s.vsBestPeer.significant);
    }, 120_000);
  else matrix = undefined;
});
