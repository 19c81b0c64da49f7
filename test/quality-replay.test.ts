import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCharts } from '../reports/specs.js';
import { parseResults } from '../reports/validate.js';
import { loadScenario } from '../scenarios/setup/load.js';
import { runScenario } from '../scenarios/modes/runner.js';
import { formatSummary } from '../scenarios/cli/summary.js';
import { createProviderModel } from '../simulator/model.js';
import { parseProfile } from '../simulator/profile.js';
import { createWorkload } from '../simulator/workload.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'quality-replay-'));
const csv = join(dir, 'outcomes.csv');
writeFileSync(
  csv,
  ['subject,prompt,small_correct,big_correct', 'a,"Q1: 2+2?\nA. 4",True,True', 'a,Q2,False,True', 'b,Q3,False,False', 'b,Q4,True,False'].join('\n'),
);

const SCENARIO = `
name: replay
question: Which router buys more quality per dollar?
headline: { metrics: [costPer1kOk], expectedWinner: cost }
seed: 3
providers:
  - { profile: openai-gpt-4o-mini, id: cheap, overrides: { failures: { bursty: null, baseErrorRate: 0 } } }
  - { profile: openai-gpt-4o, id: strong, overrides: { failures: { bursty: null, baseErrorRate: 0 } } }
load:
  rate: 20
  durationS: 5
  mix: [{ class: general, inputTokens: 100, outputTokens: 20 }]
  outcomes: { file: ${csv}, models: { cheap: small, strong: big }, subjects: all }
strategies: [cost, round-robin]
`;

function scenarioFile(text: string): string {
  const f = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, text);
  return f;
}

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};

describe('outcome replay', () => {
  it('requests carry a record: its prompt, a token estimate and each provider outcome', () => {
    const spec = { rate: 50, durationS: 2, outcomes: { file: csv, models: { cheap: 'small', strong: 'big' }, subjects: 'all' as const } };
    const reqs = [...createWorkload(spec, 1)];
    expect(reqs.length).toBeGreaterThan(50);
    const byPrompt = new Map(reqs.map((r) => [r.prompt, r.outcomes]));
    expect(byPrompt.get('Q2')).toEqual({ cheap: 0, strong: 1 });
    expect(byPrompt.get('Q4')).toEqual({ cheap: 1, strong: 0 });
    expect(reqs.find((r) => r.prompt === 'Q2')!.inputTokens).toBe(1);
    expect(JSON.stringify([...createWorkload(spec, 1)])).toBe(JSON.stringify(reqs));
  });

  it('the provider model takes acceptability from the record, not its per-class quality', () => {
    const model = createProviderModel(parseProfile({ ...baseProfile({ id: 'cheap', quality: { coding: 1, math: 1, reasoning: 1, writing: 1, general: 1 } }), ...noFail }, 'test'), 1);
    const req = { id: 0, arrivalMs: 0, promptClass: 'general', prompt: 'Q', inputTokens: 10, outputTokens: 10, stream: false, sessionKey: 's' };
    expect(model.outcome({ ...req, outcomes: { cheap: 0 } }, 0, 0).acceptable).toBe(false);
    expect(model.outcome({ ...req, outcomes: { cheap: 1 } }, 0, 0).acceptable).toBe(true);
    expect(model.outcome(req, 0, 0).acceptable).toBe(true); // no record: the class quality (1)
  });

  it('a sim run reports quality against all-weak, all-strong, the oracle and random at the same share', async () => {
    const run = await runScenario({ scenario: scenarioFile(SCENARIO), mode: 'sim', out: join(dir, 'out'), noReport: true });
    const [cost, rr] = parseResults(JSON.parse(JSON.stringify(run.results)), 'r').strategies;
    expect(cost!.routing).toMatchObject({ weak: 'cheap', strong: 'strong', strongShare: 0, pgr: 0 });
    expect(cost!.summary.qualityOk).toBeCloseTo(cost!.routing!.qualityWeak, 12);
    // 4 records: weak right on Q1, Q4; strong on Q1, Q2; oracle on Q1, Q2, Q4.
    expect(rr!.routing!.qualityOracle).toBeGreaterThan(rr!.routing!.qualityStrong);
    expect(rr!.routing!.strongShare).toBeCloseTo(0.5, 1);
    expect(formatSummary(run.results)).toMatch(/same requests: all-cheap \d+\.\d%, all-strong \d+\.\d%, oracle \d+\.\d%/);
    expect(buildCharts(run.results).map((c) => c.id)).toContain('quality-vs-cost');
  });

  it('the shipped quality-cost scenario replays held-out subjects and is deterministic', async () => {
    const opts = { scenario: 'quality-cost', mode: 'sim' as const, durationS: 6, strategies: ['cost', 'learned'], noReport: true };
    const a = await runScenario({ ...opts, out: join(dir, 'qa') });
    const b = await runScenario({ ...opts, out: join(dir, 'qb') });
    expect(JSON.stringify(b.results.strategies)).toBe(JSON.stringify(a.results.strategies));
    const learned = a.results.strategies[1]!.routing!;
    expect(learned.strongShare).toBeGreaterThan(0);
    expect(learned.strongShare).toBeLessThan(1);
  });

  it.each([
    ['a provider that stands for no model', (s: string) => s.replace(', strong: big }', ' }'), /load\.outcomes\.models: provider "strong" stands for no model/],
    ['an unknown provider', (s: string) => s.replace('strong: big', 'strong: big, other: big'), /load\.outcomes\.models\.other: unknown provider "other"/],
    ['a model the file does not have', (s: string) => s.replace('strong: big', 'strong: huge'), /load\.outcomes\.models\.strong: model "huge" has no column "huge_correct" or "huge_score" in .*outcomes\.csv:1 \(models there: small, big\)/],
    ['a model of the file no provider stands for', (s: string) => s.replace('strong: big', 'strong: small'), /outcomes\.csv:1: column 4 "big_correct": outcomes of model "big", which no provider of the scenario stands for/],
    ['a missing file', (s: string) => s.replace(csv, join(dir, 'nope.csv')), /cannot read outcome file .*nope\.csv/],
  ])('rejects %s before anything runs, naming the field or file', (_, edit, msg) => {
    expect(errorOf(() => loadScenario(scenarioFile(edit(SCENARIO))))).toMatch(msg);
  });

  it('a model left out on purpose (ignoreModels) is fine', () => {
    const text = SCENARIO.replace('strong: big }', 'strong: small }, ignoreModels: [big]');
    expect(loadScenario(scenarioFile(text)).scenario.load.outcomes?.ignoreModels).toEqual(['big']);
  });

  it('names the line and column of a bad outcome in the file', () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'prompt,small_correct,big_correct\nQ1,True,True\nQ2,yes,True\n');
    expect(errorOf(() => loadScenario(scenarioFile(SCENARIO.replace(csv, bad))))).toMatch(/bad\.csv:3: column 2 "small_correct": expected True or False, got "yes"/);
  });

  it('http mode refuses outcome replay with a clear error', async () => {
    await expect(runScenario({ scenario: scenarioFile(SCENARIO), mode: 'http', out: join(dir, 'h'), noReport: true })).rejects.toThrow(/load\.outcomes: outcome replay runs in sim mode only/);
  });
});
