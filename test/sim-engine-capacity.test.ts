import { describe, expect, it } from 'vitest';
import type { Endpoint, RouteRequest } from '../router/core/types.js';
import { Engine } from '../simulator/engine.js';
import { createProviderModel } from '../simulator/model.js';
import { parseProfile, type ProviderProfile } from '../simulator/profile.js';
import { runSim, type RequestOutcome } from '../simulator/run.js';
import { createSimTransport } from '../simulator/sim-transport.js';
import type { SimRequest } from '../simulator/types.js';
import { createWorkload } from '../simulator/workload.js';

function profile(id: string, over: Record<string, unknown> = {}): ProviderProfile {
  return parseProfile(
    {
      id,
      model: 'm',
      ttft: { medianMs: 400, sigma: 0.4 },
      throughput: { tokensPerSecond: 60, jitter: 0.2 },
      capacity: { maxConcurrent: 40, queue: 60, fullStatus: 503, slowdown: 1 },
      failures: { baseErrorRate: 0.02, kinds: { http_500: 1, reset: 1, refused: 1 } },
      price: { input: 0.5, output: 1.5 },
      quality: { coding: 0.8, math: 0.8, reasoning: 0.8, writing: 0.8, general: 0.8 },
      ...over,
    },
    `test profile ${id}`,
  );
}

describe("capacity model and Little's law", () => {
  it('mean in-flight = throughput x mean time in system, within 5% (steady-state window)', async () => {
    // One provider near saturation (load-dependent latency and a queue), driven straight
    // through the simulated transport. L is the time-average of the provider's in-service
    // count over [10 s, 50 s]; λ the arrival rate in that window; W the mean time in
    // service of the requests that arrived in it.
    const engine = new Engine();
    const model = createProviderModel(profile('p'), 3);
    const live = new Map<string, SimRequest>();
    const t = createSimTransport({ engine, providers: [{ id: 'p', model }], lookup: (r) => live.get(r.id!) });
    const ep = { id: 'p' } as Endpoint;
    const signal = new AbortController().signal;
    const w0 = 10_000;
    const w1 = 50_000;
    let area = 0;
    let last = 0;
    const tick = (): void => {
      const now = engine.now();
      const a = Math.max(w0, Math.min(w1, last));
      const b = Math.max(w0, Math.min(w1, now));
      area += t.inService() * (b - a);
      last = now;
    };
    let arrivals = 0;
    let sumW = 0;
    const wl = createWorkload(
      { arrivals: 'poisson', rate: 40, durationS: 60, mix: [{ class: 'general', inputTokens: 200, outputTokens: { median: 60, sigma: 0.5 } }] },
      11,
      { corpus: [{ text: 'hello', label: 'general' }] },
    );
    const next = (): void => {
      const sim = wl.next();
      if (!sim) return;
      engine.at(sim.arrivalMs, () => {
        next();
        tick();
        live.set(String(sim.id), sim);
        const inWindow = sim.arrivalMs >= w0 && sim.arrivalMs < w1;
        const done = (): void => {
          tick();
          if (inWindow) sumW += engine.now() - sim.arrivalMs;
        };
        const req: RouteRequest = { id: String(sim.id), model: 'chat' };
        t.send(ep, req, { signal }).then(done, done);
        if (inWindow) arrivals++;
      });
    };
    next();
    await engine.run();
    tick();
    const L = area / (w1 - w0);
    const lambda = arrivals / ((w1 - w0) / 1000);
    const W = sumW / arrivals / 1000;
    expect(arrivals).toBeGreaterThan(1200);
    expect(L).toBeGreaterThan(20); // the provider is busy: queueing matters
    expect(Math.abs(L - lambda * W) / L).toBeLessThan(0.05);
  });
});

describe('provider independence', () => {
  it("adding a provider leaves the other providers' per-request outcomes unchanged", async () => {
    // `priority` sends everything to `a` (retries off): the request sequence and a's draws
    // must not depend on which other providers exist.
    const run = async (ids: string[]): Promise<string[]> => {
      const out: string[] = [];
      await runSim({
        router: {
          endpoints: ids.map((id, i) => ({ id, provider: id, model: 'chat', priority: i })),
          strategy: 'priority',
          retry: { maxAttempts: 1 },
          health: { consecutiveFailures: 1000, errorRate: { threshold: 1, minRequests: 1000 } },
        },
        // No cooldown statuses (429/503) and light load: health never moves traffic off `a`.
        providers: ids.map((id) => ({ id, profile: profile(id, { failures: { baseErrorRate: 0.03, kinds: { http_500: 1, reset: 1, stream_cut: 1 } } }) })),
        workload: {
          arrivals: 'poisson',
          rate: 15,
          durationS: 25,
          stream: 0.3,
          mix: [{ class: 'general', inputTokens: { median: 300 }, outputTokens: { median: 50, sigma: 0.5 } }],
        },
        seed: 5,
        onRequest: (o: RequestOutcome) => out.push(JSON.stringify(o)),
      });
      return out.sort();
    };
    const two = await run(['a', 'b']);
    const three = await run(['a', 'b', 'c']);
    expect(two.length).toBeGreaterThan(300);
    expect(three).toEqual(two);
    expect(two.every((o) => JSON.parse(o).endpointId === 'a')).toBe(true);
  });

  it('the model is a pure function of (request, time, load): asking twice or asking others changes nothing', () => {
    const a = createProviderModel(profile('a'), 9);
    const b = createProviderModel(profile('b'), 9);
    const req: SimRequest = { id: 42, arrivalMs: 1000, promptClass: 'general', prompt: 'x', inputTokens: 100, outputTokens: 50, stream: false, sessionKey: 's' };
    const first = JSON.stringify(a.outcome(req, 1000, 3));
    b.outcome(req, 1000, 3);
    expect(JSON.stringify(a.outcome(req, 1000, 3))).toBe(first);
  });
});
