import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runSim } from '../simulator/run.js';
import { primaryFault } from '../scenarios/setup/faults.js';
import { loadScenario, scenarioNames } from '../scenarios/setup/load.js';
import { resolveProviders } from '../scenarios/setup/resolve.js';
import { scenarioRouterConfig } from '../scenarios/setup/router-config.js';
import { strategyName } from '../scenarios/spec/schema.js';
import { workloadSpec } from '../scenarios/modes/sim-mode.js';

/**
 * The engine's 'auto' drain skips the microtask drain after steps that created or settled
 * no promise (simulator/engine.ts). If the router ever queued a continuation the promise
 * hook cannot see, a continuation would run after time moved on and outcomes would drift.
 * So: every shipped scenario, every strategy it compares, 'auto' vs 'tick' (drain after
 * every step), per-request outcomes hashed in completion order: identical.
 */

const SECONDS = 45; // covers the faults of every shipped timeline that start early

async function outcomes(name: string, strategy: string, drain: 'tick' | 'auto'): Promise<{ hash: string; n: number; syncSteps: number }> {
  const { scenario, file } = loadScenario(name);
  const providers = resolveProviders(scenario, file);
  const ref = scenario.strategies.find((r) => strategyName(r) === strategy)!;
  const durationS = Math.min(SECONDS, scenario.load.durationS);
  const fault = primaryFault(providers, durationS);
  const h = createHash('sha256');
  let n = 0;
  const r = await runSim({
    router: scenarioRouterConfig(scenario, providers, ref),
    providers: providers.map((p) => ({ id: p.id, profile: p.profile })),
    workload: workloadSpec(scenario, durationS),
    seed: scenario.seed,
    model: scenario.model,
    ...(fault ? { fault } : {}),
    oracle: { sloMs: scenario.slo.p99Ms ?? 5000 },
    drain,
    onRequest: (o) => {
      h.update(JSON.stringify(o));
      n++;
    },
  });
  h.update(JSON.stringify(r.result));
  return { hash: h.digest('hex'), n, syncSteps: r.stats.syncSteps };
}

describe("engine drain 'auto' = 'tick' on every shipped scenario", () => {
  for (const name of scenarioNames()) {
    it(name, async () => {
      const { scenario } = loadScenario(name);
      let synced = 0;
      for (const ref of scenario.strategies) {
        const s = strategyName(ref);
        const tick = await outcomes(name, s, 'tick');
        const auto = await outcomes(name, s, 'auto');
        expect(tick.n, s).toBeGreaterThan(0);
        expect({ strategy: s, hash: auto.hash, n: auto.n }).toEqual({ strategy: s, hash: tick.hash, n: tick.n });
        expect(tick.syncSteps).toBe(0);
        synced += auto.syncSteps;
      }
      expect(synced).toBeGreaterThan(0); // 'auto' really skipped drains
    });
  }
});
