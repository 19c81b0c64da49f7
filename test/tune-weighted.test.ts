import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadProxyConfig } from '../router/http/config.js';
import { exportTuned, writeTuneFiles } from '../scenarios/tune/outputs.js';
import { writeTuneReport } from '../scenarios/tune/report.js';
import { LABELS, runTune, type TuneOutcome } from '../scenarios/tune/tune.js';
import { writeSlowScenario } from './tune-scenario.js';

/**
 * End to end on a small synthetic scenario (three hosts, `slow` 3x slower): tuning
 * `weighted` for p99 must move traffic off the slow host and lower p99 on held-out
 * seeds; the written config must load in the proxy; the search must not depend on the
 * number of worker threads. Fixed seed; budget 9, 2 search + 2 held-out seeds of 20 s.
 */

const WEIGHTS = ['params.weights.fast-a', 'params.weights.fast-b', 'params.weights.slow'];
let dir = '';
let file = '';
let outcome: TuneOutcome;

beforeAll(async () => {
  ({ dir, file } = writeSlowScenario());
  outcome = await runTune({
    scenario: file,
    strategy: 'weighted',
    objective: 'p99',
    budget: 9,
    seeds: 2,
    holdout: 2,
    seed: 7,
    only: WEIGHTS,
    workers: 2,
    out: join(dir, 'out'),
    log: () => {},
  });
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const share = (label: string, id: string): number => outcome.comparison.strategies.find((s) => s.strategy === label)!.summary.providerShare[id] ?? 0;
const p99 = (label: string) => outcome.comparison.strategies.find((s) => s.strategy === label)!.ci!['latencyMs.p99']!;

describe('tune weighted: one endpoint 3x slower', () => {
  it('moves traffic away from the slow endpoint', () => {
    expect(outcome.mode).toBe('workers'); // worker threads started (tsx registered in each)
    const w = outcome.best.values;
    expect(w['params.weights.slow']).toBeLessThan(Math.min(Number(w['params.weights.fast-a']), Number(w['params.weights.fast-b'])));
    // Default weights are equal (share 1/3); the tuned share of the slow host on held-out seeds is far below.
    expect(share(LABELS.defaultHoldout, 'slow')).toBeGreaterThan(0.3);
    expect(share(LABELS.tunedHoldout, 'slow')).toBeLessThan(0.1);
  });

  it('lowers p99 on held-out seeds the search never saw', () => {
    expect(outcome.holdoutSeeds.some((s) => outcome.searchSeeds.includes(s))).toBe(false);
    expect(outcome.holdout.tuned.value).toBeLessThan(outcome.holdout.default.value * 0.8);
    expect(p99(LABELS.tunedHoldout).mean).toBeLessThan(p99(LABELS.defaultHoldout).mean);
    expect(outcome.satisfied).toBe(true);
  });

  it('writes a tuned-config.yaml the proxy loads unchanged, tune.json and an offline report', async () => {
    const files = writeTuneFiles(outcome);
    const yaml = join(outcome.outDir, 'tuned-config.yaml');
    expect(files).toContain(yaml);
    const cfg = loadProxyConfig(yaml);
    // A readable diff: a header with default -> tuned values and the measured effect, then snake_case non-default fields.
    const text = readFileSync(yaml, 'utf8');
    expect(text).toMatch(/^# Tuned parameters \(default -> tuned\):\n# {3}strategy\.params\.weights\.\S+: \S+ -> \S+$/m);
    expect(text).toMatch(/^# {3}p99 ms: \d+ \[-?\d+, \d+\] -> \d+ \[-?\d+, \d+\]$/m);
    expect(text).not.toMatch(/^\s*(baseUrl|upstreamModel|consecutiveFailures):/m);
    expect(cfg.endpoints.map((e) => e.id)).toEqual(['fast-a', 'fast-b', 'slow']);
    expect(cfg.endpoints.every((e) => /^http:\/\/127\.0\.0\.1:\d+\/v1$/.test(e.baseUrl ?? ''))).toBe(true);
    const strategy = cfg.router.strategy as { name: string; params: { weights: Record<string, number> } };
    expect(strategy.name).toBe('weighted');
    expect(strategy.params.weights.slow).toBe(outcome.best.values['params.weights.slow']);

    // --export litellm: the tuned weights as LiteLLM simple-shuffle weights; what LiteLLM lacks in the header.
    const [litellm] = exportTuned(outcome, 'litellm');
    const lite = readFileSync(litellm!, 'utf8');
    expect(lite).toMatch(/^# Not carried \(LiteLLM cannot express\):$/m);
    const slow = (YAML.parse(lite) as { model_list: Array<{ litellm_params: { weight: number }; model_info: { id: string } }> }).model_list.find((d) => d.model_info.id === 'slow')!;
    expect(slow.litellm_params.weight).toBe(outcome.best.values['params.weights.slow']);

    const json = JSON.parse(readFileSync(join(outcome.outDir, 'tune.json'), 'utf8')) as { evaluations: unknown[]; best: { id: number } };
    expect(json.evaluations.length).toBe(outcome.search.evaluations.length);
    expect(json.best.id).toBe(outcome.best.id);

    const written = await writeTuneReport(outcome);
    const html = readFileSync(written[0]!, 'utf8');
    expect(html).toContain('Tune report');
    expect(html).toContain('tune-pareto');
    expect(existsSync(join(outcome.outDir, 'tune-ci.png'))).toBe(true);
    // No network reference outside the inlined vega bundles.
    const page = html.replace(/<script>\/\*[\s\S]*?<\/script>/g, '');
    expect(page).not.toMatch(/(src|href)="https?:/);
  }, 60_000);

  it('is deterministic and independent of the worker count', async () => {
    const again = await runTune({
      scenario: file,
      strategy: 'weighted',
      objective: 'p99',
      budget: 9,
      seeds: 2,
      holdout: 2,
      seed: 7,
      only: WEIGHTS,
      workers: 0,
      out: join(dir, 'out2'),
      log: () => {},
    });
    expect(again.mode).toBe('in-thread');
    expect(again.best.values).toEqual(outcome.best.values);
    expect(again.search.evaluations.map((e) => [e.id, e.rung, e.metrics])).toEqual(outcome.search.evaluations.map((e) => [e.id, e.rung, e.metrics]));
  }, 60_000);
});
