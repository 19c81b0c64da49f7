import { afterAll, describe, expect, it } from 'vitest';
import { routerConfigSchema } from '../router/core/config.js';
import { WARMUP_PREFIX, withWarmupEndpoints } from '../scenarios/setup/router-config.js';
import { chatBody as workloadBody } from '../scenarios/load/samples.js';
import { parseProfile } from '../simulator/profile.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import type { SimRequest } from '../simulator/types.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

/**
 * http mode's warm-up leaves no trace in what is measured (a cause of sim/http disagreement:
 * warm-up requests advanced round-robin's cursor and filled the providers' RPM windows, so
 * the same request met another endpoint, or a 429, in http only).
 */

const servers: ProviderServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const req = (id: number): SimRequest => ({ id, arrivalMs: 0, promptClass: 'general', prompt: 'hello', inputTokens: 10, outputTokens: 3, stream: false, sessionKey: '' });

describe('http warm-up isolation', () => {
  it('the router config gets a copy of every endpoint under the warm-up model, the measured ones unchanged', () => {
    const cfg = { endpoints: [{ id: 'a', provider: 'a', model: 'chat' }, { id: 'b', provider: 'b', model: 'chat' }], strategy: 'round-robin' };
    const out = withWarmupEndpoints(cfg);
    expect(out.endpoints.map((e) => [e.id, e.model])).toEqual([
      ['a', 'chat'],
      ['b', 'chat'],
      [`${WARMUP_PREFIX}a`, `${WARMUP_PREFIX}chat`],
      [`${WARMUP_PREFIX}b`, `${WARMUP_PREFIX}chat`],
    ]);
    expect(routerConfigSchema.safeParse(out).success).toBe(true);
  });

  it('a mock provider answers warm-up traffic without counting it in its RPM window', async () => {
    const server = await startProviderServer(parseProfile(baseProfile({ ...noFail, limits: { rpm: 1 } }), 'rpm-1'), { seed: 3, speed: 1 });
    servers.push(server);
    const post = async (body: string): Promise<number> => {
      const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.text();
      return res.status;
    };
    // Three warm-up requests, then the first measured one: under rpm 1 it is still admitted.
    for (let i = 0; i < 3; i++) expect(await post(workloadBody('m', req(i), true))).toBe(200);
    expect(await post(workloadBody('m', req(3)))).toBe(200);
    // The window does count measured traffic: the next one is over the limit.
    expect(await post(workloadBody('m', req(4)))).toBe(429);
  });
});
