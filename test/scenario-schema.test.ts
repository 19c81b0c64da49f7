import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, resolveScenarioPath, ScenarioError, scenarioNames } from '../scenarios/setup/load.js';
import { resolveProviders } from '../scenarios/setup/resolve.js';
import { parseScenarioArgs } from '../scenarios/cli/args.js';
import { selectStrategies } from '../scenarios/modes/runner.js';

const GOOD = `
name: tiny
question: Which strategy keeps p99 lowest?
headline: { metrics: [latencyMs.p99], expectedWinner: latency }
seed: 3
providers:
  - { profile: openai-gpt-4o-mini, id: a }
  - { profile: openai-gpt-4o-mini, id: b }
timeline:
  - { provider: a, kind: outage, at: 2, until: 4 }
load:
  rate: 10
  durationS: 6
  mix: [{ class: general, inputTokens: 100, outputTokens: 20 }]
strategies: [round-robin, latency]
`;

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario schema', () => {
  it('accepts a valid file and fills defaults', () => {
    const s = parseScenario(GOOD, 'tiny.yaml');
    expect(s.model).toBe('chat');
    expect(s.load.arrivals).toBe('poisson');
    expect(s.http.speed).toBeGreaterThan(0);
    expect(s.timeline[0]).toMatchObject({ provider: 'a', kind: 'outage', at: 2, until: 4, mode: 'refuse' });
  });

  it('names the file and the field of a type error', () => {
    const msg = errorOf(() => parseScenario(GOOD.replace('rate: 10', 'rate: fast'), 'tiny.yaml'));
    expect(msg).toContain('tiny.yaml.load.rate');
  });

  it('names a missing required field', () => {
    const msg = errorOf(() => parseScenario(GOOD.replace('  durationS: 6\n', ''), 'tiny.yaml'));
    expect(msg).toContain('load.durationS');
  });

  it('requires a question and headline metrics with an expected winner among the strategies', () => {
    const noHead = errorOf(() => parseScenario(GOOD.replace(/^headline: .*\n/m, ''), 'tiny.yaml'));
    expect(noHead).toContain('tiny.yaml.headline: required: { metrics: [one or more of errorRate,');
    expect(errorOf(() => parseScenario(GOOD.replace(/^question: .*\n/m, ''), 'tiny.yaml'))).toContain('tiny.yaml.question: required');
    const empty = errorOf(() => parseScenario(GOOD.replace('metrics: [latencyMs.p99]', 'metrics: []'), 'tiny.yaml'));
    expect(empty).toContain('tiny.yaml.headline.metrics: at least one headline metric');
    expect(errorOf(() => parseScenario(GOOD.replace('metrics: [latencyMs.p99]', 'metrics: [speed]'), 'tiny.yaml'))).toContain('headline.metrics[0]');
    const winner = errorOf(() => parseScenario(GOOD.replace('expectedWinner: latency', 'expectedWinner: cost'), 'tiny.yaml'));
    expect(winner).toContain('tiny.yaml: headline.expectedWinner: "cost" is not in strategies (round-robin, latency)');
  });

  it('names an unknown key', () => {
    const msg = errorOf(() => parseScenario(GOOD.replace('seed: 3', 'seed: 3\nsed: 4'), 'tiny.yaml'));
    expect(msg).toMatch(/tiny\.yaml.*sed/);
  });

  it('names the field of a bad timeline phase (validated by the profile phase schema)', () => {
    const bad = GOOD.replace('kind: outage, at: 2, until: 4', 'kind: brownout, at: 2, until: 4');
    expect(errorOf(() => parseScenario(bad, 'tiny.yaml'))).toContain('timeline[0].factor');
  });

  it('rejects a phase on an unknown provider, listing the known ones', () => {
    const msg = errorOf(() => parseScenario(GOOD.replace('provider: a,', 'provider: zz,'), 'tiny.yaml'));
    expect(msg).toContain('timeline[0].provider');
    expect(msg).toContain('a, b');
  });

  it('rejects duplicate provider ids', () => {
    expect(errorOf(() => parseScenario(GOOD.replace('id: b', 'id: a'), 'tiny.yaml'))).toContain('providers[1].id');
  });

  it('load.declareClass needs every endpoint to declare its classes (derived ones never meet a declared class)', () => {
    const declared = GOOD.replace('durationS: 6', 'durationS: 6\n  declareClass: true');
    const msg = errorOf(() => parseScenario(declared, 'tiny.yaml'));
    expect(msg).toContain('providers[0].endpoint.classes');
    expect(msg).toContain('providers[1].endpoint.classes');
    const both = declared.replace('id: a }', 'id: a, endpoint: { classes: [general] } }').replace('id: b }', 'id: b, endpoint: { classes: [general, math] } }');
    expect(parseScenario(both, 'tiny.yaml').load.declareClass).toBe(true);
    expect(loadScenario('mixed-workload').scenario.load.declareClass).toBe(true);
    // A class the x-prompt-class header cannot carry is refused up front, not 400 on every http request.
    const spaced = both.replace('class: general,', '"class": "long context",');
    expect(errorOf(() => parseScenario(spaced, 'tiny.yaml'))).toContain('load.mix[0].class: "long context" cannot be declared');
  });

  it('gives the line of a YAML syntax error', () => {
    expect(errorOf(() => parseScenario('name: x\nload: [1, 2\n', 'bad.yaml'))).toMatch(/bad\.yaml:\d+:\d+/);
  });

  it('names the provider and profile field when an override is invalid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scn-'));
    const file = join(dir, 'ov.yaml');
    writeFileSync(file, GOOD.replace('id: a }', 'id: a, overrides: { ttft: { medianMs: -1 } } }'));
    const { scenario } = loadScenario(file);
    expect(errorOf(() => resolveProviders(scenario, file, 'ov.yaml'))).toMatch(/ov\.yaml: providers\[0\].*ttft\.medianMs/);
  });

  it('an unknown profile names the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scn-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(file, GOOD.replace('profile: openai-gpt-4o-mini, id: a', 'profile: no-such-profile, id: a'));
    const { scenario } = loadScenario(file);
    expect(errorOf(() => resolveProviders(scenario, file, 'p.yaml'))).toContain('providers[0].profile');
  });
});

describe('scenario names and arguments', () => {
  it('ships the eight scenarios, all valid', () => {
    const names = scenarioNames();
    for (const n of ['outage-failover', 'brownout', 'rate-limit-storm', 'flash-crowd', 'price-shift', 'mixed-workload', 'trace-replay', 'stream-faults'])
      expect(names).toContain(n);
    for (const n of names) {
      const { scenario, file, where } = loadScenario(n);
      expect(resolveProviders(scenario, file, where).length).toBeGreaterThan(0);
      const strategies = scenario.strategies.map((r) => (typeof r === 'string' ? r : r.name));
      // A replicas scenario compares state local vs shared: each strategy it lists, both ways.
      if (scenario.replicas) for (const s of strategies) expect(strategies).toContain(s.replace(/@(local|shared)$/, (_, m: string) => (m === 'local' ? '@shared' : '@local')));
      // A response-cache scenario compares each strategy it lists with and without the cache.
      else if (strategies.some((s) => s.endsWith('+cache'))) for (const s of strategies) expect(strategies).toContain(s.endsWith('+cache') ? s.slice(0, -'+cache'.length) : `${s}+cache`);
      else for (const s of ['round-robin', 'weighted', 'adaptive', 'cost', 'classifier', 'latency']) expect(strategies).toContain(s);
    }
  });

  it('an unknown scenario lists the valid ones', () => {
    const msg = errorOf(() => resolveScenarioPath('no-such-scenario'));
    expect(msg).toContain('unknown scenario "no-such-scenario"');
    expect(msg).toContain('outage-failover');
    expect(msg).toContain('stream-faults');
  });

  it('parses CLI flags and rejects bad ones with the flag named', () => {
    const a = parseScenarioArgs(['outage-failover', '--mode', 'sim', '--strategies', 'cost,latency', '--seed', '7', '--duration', '10']);
    expect(a).toMatchObject({ scenario: 'outage-failover', mode: 'sim', strategies: ['cost', 'latency'], seed: 7, durationS: 10 });
    expect(parseScenarioArgs(['x', '--strategies', 'all']).strategies).toBe('all');
    expect(errorOf(() => parseScenarioArgs(['x', '--mode', 'fast']))).toContain('--mode');
    expect(errorOf(() => parseScenarioArgs(['x', '--seed', '-1']))).toContain('--seed');
    expect(errorOf(() => parseScenarioArgs(['x', '--bogus']))).toContain('--bogus');
    expect(errorOf(() => parseScenarioArgs([]))).toContain('missing the scenario name');
  });

  it('--strategies all adds every registered strategy, baselines included', () => {
    const { scenario, where } = loadScenario('outage-failover');
    const all = selectStrategies(scenario, 'all', where).map((r) => (typeof r === 'string' ? r : r.name));
    expect(all.slice(0, scenario.strategies.length)).toEqual(scenario.strategies.map((r) => (typeof r === 'string' ? r : r.name)));
    expect(all).toEqual(expect.arrayContaining(['baseline-litellm-latency', 'baseline-envoy-least-request', 'baseline-openrouter-price']));
    expect(errorOf(() => selectStrategies(scenario, ['nope'], where))).toContain('valid strategies');
  });
});
