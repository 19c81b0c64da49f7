import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from '../scenarios/setup/load.js';
import { resolveProviders } from '../scenarios/setup/resolve.js';
import { routerStrategy, simReplicas } from '../scenarios/spec/replicas.js';
import { scenarioRouterConfig } from '../scenarios/setup/router-config.js';
import { selectStrategies } from '../scenarios/modes/runner.js';
import { workloadSpec } from '../scenarios/modes/sim-mode.js';
import { runSim, type RequestOutcome } from '../simulator/run.js';

/**
 * Scenarios with N router replicas (`replicas:` and `<strategy>@local|@shared`), and what
 * the shipped replicas-outage scenario shows in virtual time (fixed seeds).
 */
const file = (strategies: string, replicas = 'replicas: { count: 4 }'): string => `
name: tiny
question: Does sharing help?
headline: { metrics: [goodputRps], expectedWinner: cost@shared }
${replicas}
providers:
  - { profile: openai-gpt-4o-mini, id: a, endpoint: { limits: { rpm: 120 } } }
  - { profile: openai-gpt-4o-mini, id: b }
load: { rate: 10, durationS: 6, mix: [{ class: general, inputTokens: 100, outputTokens: 20 }] }
strategies: ${strategies}
`;

describe('scenario replicas: schema', () => {
  it('accepts a replicas block with @local/@shared strategies; syncDelayMs defaults to 100', () => {
    const s = parseScenario(file('[cost@local, cost@shared]'), 'tiny.yaml');
    expect(s.replicas).toEqual({ count: 4, syncDelayMs: 100 });
    expect(simReplicas(s.replicas, 'cost@shared')).toEqual({ count: 4, mode: 'shared', syncDelayMs: 100 });
    expect(simReplicas(s.replicas, 'cost')).toEqual({ count: 4, mode: 'local', syncDelayMs: 100 });
    expect(routerStrategy({ name: 'cost@shared', params: { x: 1 } })).toEqual({ name: 'cost', params: { x: 1 } });
    expect(routerStrategy('cost@local')).toBe('cost');
  });

  it('bad input names the field', () => {
    const parse = (strategies: string, replicas?: string) => () => parseScenario(file(strategies, replicas), 'tiny.yaml');
    expect(parse('[cost@local, cost@shared]', '')).toThrow(ScenarioError);
    expect(parse('[cost@local, cost@shared]', '')).toThrow(/strategies\[0\].*needs a replicas block/);
    expect(parse('[cost@shared, cost@redis]')).toThrow(/strategies\[1\].*unknown store "@redis"/);
    expect(parse('[cost@shared]', 'replicas: { count: 1 }')).toThrow(/replicas\.count/);
    expect(parse('[cost@shared]', 'replicas: { count: 4, spread: random }')).toThrow(/replicas/);
  });

  it('the strategy named before @ must exist (scenario list and --strategies)', () => {
    const s = parseScenario(file('[cost@local, cost@shared]'), 'tiny.yaml');
    expect(selectStrategies(s, ['cost@shared'], 'tiny.yaml')).toEqual(['cost@shared']);
    expect(() => selectStrategies(s, ['nope@shared'], 'tiny.yaml')).toThrow(/unknown strategy "nope@shared"/);
    const bad = parseScenario(file('[nope@local, cost@shared]'), 'tiny.yaml');
    expect(() => selectStrategies(bad, undefined, 'tiny.yaml')).toThrow(/unknown strategy "nope@local"/);
  });
});

describe('replicas-outage in sim: what sharing buys', () => {
  it('shared state holds the 300 RPM limit and saves retries; local state lets the replicas overshoot it', async () => {
    const { scenario, file: f } = loadScenario('replicas-outage');
    const providers = resolveProviders(scenario, f);
    const run = async (name: string, seed: number): Promise<RequestOutcome[]> => {
      const out: RequestOutcome[] = [];
      await runSim({
        router: scenarioRouterConfig(scenario, providers, name),
        providers: providers.map((p) => ({ id: p.id, profile: p.profile })),
        workload: workloadSpec(scenario, scenario.load.durationS!),
        seed,
        model: scenario.model,
        replicas: simReplicas(scenario.replicas, name)!,
        onRequest: (o) => out.push(o),
      });
      return out;
    };
    // The limit allows a minute's burst (300) plus 300/min after it: 750 in 90 s.
    const allowed = 300 + (300 * 90) / 60;
    for (const seed of [1, 2]) {
      const local = await run('cost@local', seed);
      const shared = await run('cost@shared', seed);
      const onCheap = (o: RequestOutcome[]): number => o.filter((x) => x.ok && x.endpointId === 'cheap').length;
      const retries = (o: RequestOutcome[]): number => o.reduce((a, x) => a + x.attempts - 1, 0);
      // Seeds 1/2: served by the cheap host, local 777/771 (more than the limit allows,
      // and more were sent and refused by the overloaded host), shared 640/630;
      // retries local 341/389, shared 149/163. Tolerances: shared within the limit; at
      // most 70% of local's retries.
      expect(onCheap(shared)).toBeLessThanOrEqual(allowed);
      expect(onCheap(local)).toBeGreaterThan(allowed);
      expect(retries(shared)).toBeLessThanOrEqual(retries(local) * 0.7);
    }
  });
});
