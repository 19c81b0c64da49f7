import { describe, expect, it } from 'vitest';
import { parseTuneArgs } from '../scenarios/tune/args.js';
import { evaluate, loadEvalContext } from '../scenarios/modes/evaluate.js';
import { describeObjective, judge } from '../scenarios/tune/objective.js';
import { defaultConfig, searchSpace, TuneInputError } from '../scenarios/tune/space.js';
import { loadScenario } from '../scenarios/setup/load.js';
import { resolveProviders } from '../scenarios/setup/resolve.js';
import { defaultLearnedThreshold } from '../router/strategies/learned.js';
import { runTune } from '../scenarios/tune/tune.js';

/** Tuning the learned router's threshold for a quality target (scenario slo.quality or --min-quality). */
describe('tune for quality', () => {
  it('the learned strategy tunes its threshold; the default is the model file threshold', () => {
    expect(searchSpace('learned', ['a', 'b']).map((p) => p.name)).toContain('params.threshold');
    const { scenario, file, where } = loadScenario('quality-cost');
    const base = defaultConfig(scenario, resolveProviders(scenario, file, where), 'learned');
    expect(base.strategy.params.threshold).toBe(defaultLearnedThreshold());
  });

  it('a minimum quality constrains the cost objective: a shortfall is a violation, relative to the minimum', () => {
    const limits = { minQuality: 0.8 };
    const ok = judge('cost', limits, { costPer1kOk: 1, p99Ms: 100, errorRate: 0, attemptsPerRequest: 1, qualityOk: 0.82 });
    const short = judge('cost', limits, { costPer1kOk: 0.5, p99Ms: 100, errorRate: 0, attemptsPerRequest: 1, qualityOk: 0.72 });
    expect(ok.feasible).toBe(true);
    expect(short.feasible).toBe(false);
    expect(short.violation).toBeCloseTo(0.1, 12); // 1 − 0.72 / 0.8
    expect(judge('cost', limits, { costPer1kOk: 1, p99Ms: 100, errorRate: 0, attemptsPerRequest: 1 }).violation).toBe(1); // no quality figure
    expect(describeObjective('cost', limits)).toContain('quality >= 80.0%');
  });

  it('--min-quality is a share in 0..1, named when wrong', () => {
    expect(parseTuneArgs(['quality-cost', '--min-quality', '0.75']).limits?.minQuality).toBe(0.75);
    expect(() => parseTuneArgs(['quality-cost', '--min-quality', '75'])).toThrow(TuneInputError);
    expect(() => parseTuneArgs(['quality-cost', '--min-quality', '75'])).toThrow(/--min-quality/);
  });

  it('never tunes on the evaluation split: tune tasks replay the training subjects, other evaluations (--seeds) the scenario\'s', async () => {
    const ctx = loadEvalContext('quality-cost');
    expect(ctx.scenario.load.outcomes?.subjects).toBe('held-out');
    const config = defaultConfig(ctx.scenario, ctx.providers, 'cost');
    const run = (outcomeSubjects?: 'train') => evaluate(ctx, { config, seed: 1, durationS: 20, label: 'x', noTimeline: true, ...(outcomeSubjects ? { outcomeSubjects } : {}) });
    // All-weak quality on the replayed requests: 66.6% on the training subjects, 74.6% held out (±5 points: ~800 requests).
    expect((await run('train')).routing!.qualityWeak).toBeCloseTo(0.666, 1);
    expect((await run()).routing!.qualityWeak).toBeCloseTo(0.746, 1);
  }, 60_000);

  it('a short tune of the threshold runs and keeps the quality floor', async () => {
    const o = await runTune({ scenario: 'quality-cost', strategy: 'learned', only: ['params.threshold'], budget: 3, seeds: 1, holdout: 0, durationS: 10, workers: 0, log: () => {} });
    expect(o.objectiveText).toContain('quality >= 75.0%');
    const best = o.search.evaluations.filter((e) => e.id === o.search.best.id).at(-1)!;
    expect(o.satisfied).toBe(true); // the default threshold already keeps 75% on the training subjects
    expect(best.metrics.qualityOk).toBeGreaterThanOrEqual(0.75);
  }, 60_000);
});
