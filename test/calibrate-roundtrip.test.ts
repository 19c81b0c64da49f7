/**
 * Round trip: a mock provider with a known profile behind the real proxy with its access
 * log on; 400 streamed requests, one every 25 ms (open loop, ~80 in flight, all on
 * 127.0.0.1, ~13 s);
 * then calibrate the log and recover the profile: median TTFT within 5%, sigma within
 * 10%, and the true error rate inside the fitted rate's 95% interval.
 *
 * The provider's draws are keyed by its request counter (seed 4), so the sample is the
 * same from run to run up to loopback/timer noise; that sample alone (computed from the
 * model) is 0.1% off the true median and 3% off sigma. Timing adds to every TTFT: bursts
 * of simultaneous requests (a closed loop) queued behind each other on a loaded machine
 * and added 5-8%; with evenly spread arrivals we saw 5-80 ms of lag, under 5% of a 2 s median.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startProxy } from '../router/http/start.js';
import { calibrate } from '../simulator/calibrate/calibrate.js';
import { parseProfile } from '../simulator/profile.js';
import { startProviderServer } from '../simulator/server.js';
import { baseProfile } from './sim-profile-fixtures.js';

const TRUE = { medianMs: 2000, sigma: 0.4, errorRate: 0.05 };
const REQUESTS = 400;
/** Open loop: one request every GAP_MS (arrivals spread evenly, no waves of simultaneous work). */
const GAP_MS = 25;

const dir = mkdtempSync(join(tmpdir(), 'calibrate-rt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('record → calibrate round trip', () => {
  it('recovers TTFT median (5%), sigma (10%) and the error rate (within its interval)', async () => {
    const profile = parseProfile(
      baseProfile({
        id: 'known',
        model: 'chat',
        ttft: { medianMs: TRUE.medianMs, sigma: TRUE.sigma },
        throughput: { tokensPerSecond: 2000, jitter: 0.1 },
        answerTokens: { median: 20, sigma: 0, max: 4096 },
        capacity: { maxConcurrent: 10_000, queue: 0, slowdown: 0 },
        // 5xx without cooldowns (a 429/503 would make the router wait them out).
        failures: { baseErrorRate: TRUE.errorRate, kinds: { http_500: 1, http_502: 1 } },
      }),
      'round-trip profile',
    );
    const provider = await startProviderServer(profile, { seed: 4, speed: 1 });
    const log = join(dir, 'access.jsonl');
    const proxy = await startProxy(
      {
        server: { port: 0, access_log: log },
        endpoints: [{ id: 'known', provider: 'mock', model: 'chat', base_url: provider.url }],
        retry: { max_attempts: 2 },
        health: { consecutive_failures: 1000 },
      },
      { port: 0, host: '127.0.0.1' },
    );
    const agent = new Agent({ connections: 128 });
    try {
      const one = async (): Promise<void> => {
        const res = await request(`${proxy.url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hello there' }] }),
        });
        await res.body.text();
      };
      const sent: Array<Promise<void>> = [];
      for (let i = 0; i < REQUESTS; i++) {
        sent.push(one());
        await delay(GAP_MS); // pacing the load generator (open loop), not timing an assertion
      }
      await Promise.all(sent);
      await proxy.server.accessLog!.flush();
    } finally {
      await proxy.close();
      await agent.close();
      await provider.close();
    }

    // The truth has no TTFT floor: fit the plain lognormal the issue names (no shift).
    const r = calibrate([log], { holdout: 0, seed: 1, shift: false });
    expect(r.reads[0]!.skipped.count).toBe(0);
    expect(r.workload.requests).toBe(REQUESTS);
    const g = r.groups.find((x) => x.fit.group === "known")!;
    const ttft = g.fit.profile.ttft;
    expect(Math.abs(ttft.medianMs / TRUE.medianMs - 1)).toBeLessThan(0.05);
    expect(Math.abs(ttft.sigma / TRUE.sigma - 1)).toBeLessThan(0.1);
    const e = g.fit.errors;
    expect(e.n).toBeGreaterThanOrEqual(REQUESTS);
    expect(e.interval.lo).toBeLessThanOrEqual(TRUE.errorRate);
    expect(e.interval.hi).toBeGreaterThanOrEqual(TRUE.errorRate);
    expect(Object.keys(e.byKind).sort()).toEqual(['http_500', 'http_502']);
    // Decode speed: 2000 tokens/s nominal; chunking and loopback make it only roughly right.
    expect(g.fit.profile.throughput.tokensPerSecond).toBeGreaterThan(200);
    expect(g.fit.load?.significant ?? false).toBe(false);
  }, 90_000);
});
