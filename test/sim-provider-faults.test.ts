import { afterAll, describe, expect, it } from 'vitest';
import { createRouter } from '../router/index.js';
import type { RouterConfigInput } from '../router/core/config.js';
import { RouterError } from '../router/core/errors.js';
import { createHttpTransport } from '../router/transport/http.js';
import { createProviderModel } from '../simulator/model.js';
import { SIM_BAD_KEY } from '../simulator/openai-wire.js';
import { parseProfile, type FailureKind, type ProviderProfile } from '../simulator/profile.js';
import { runSim } from '../simulator/run.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import type { SimRequest } from '../simulator/types.js';
import { baseProfile } from './sim-profile-fixtures.js';

/**
 * Issue #21: the new provider fault kinds (a refused key, a malformed SSE event, a stall)
 * mean the same thing in the pure model (virtual time, through the simulated transport) and
 * on the real mock server (through the router's undici transport): the router sees the same
 * error code for the same kind. `streamFaultAt: start` puts the stream faults before the
 * first token (a router can still fail over); `anywhere` after a drawn number of tokens.
 */

type At = 'start' | 'anywhere';
const profileFor = (kind: FailureKind, at: At = 'start'): ProviderProfile =>
  parseProfile(baseProfile({ id: 'p', failures: { baseErrorRate: 1, kinds: { [kind]: 1 }, streamFaultAt: at } }), kind);

const router = (baseUrl?: string): RouterConfigInput => ({
  endpoints: [{ id: 'p', provider: 'p', model: 'm', ...(baseUrl ? { baseUrl } : {}) }],
  retry: { maxAttempts: 1 },
  timeouts: { stallMs: 300, ttftMs: 20_000 },
});

const servers: ProviderServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** The router's error code for one streaming request in virtual time. */
async function simCode(kind: FailureKind, at: At = 'start'): Promise<string | undefined> {
  const codes: Array<string | undefined> = [];
  await runSim({
    router: router(),
    providers: [{ id: 'p', profile: profileFor(kind, at) }],
    workload: { arrivals: 'constant', rate: 1, durationS: 1, maxRequests: 1, stream: 1 },
    seed: 21,
    oracle: false,
    onRequest: (o) => codes.push(o.errorCode),
  });
  expect(codes).toHaveLength(1);
  return codes[0];
}

/** The same through a real mock provider process-less server and the undici transport. */
async function httpCode(kind: FailureKind, at: At = 'start'): Promise<{ code: string | undefined; message: string; chunks: number; committed: boolean }> {
  const server = await startProviderServer(profileFor(kind, at), { seed: 21, speed: 1000 });
  servers.push(server);
  const transport = createHttpTransport();
  const r = createRouter(router(server.url), { transport });
  let chunks = 0;
  try {
    const res = await r.route({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const _ of res.stream!) chunks++;
    return { code: undefined, message: '', chunks, committed: false };
  } catch (e) {
    const err = (e as RouterError).cause instanceof RouterError && (e as RouterError).code === 'all_attempts_failed' ? ((e as RouterError).cause as RouterError) : (e as RouterError);
    return { code: err.code, message: String(err.message), chunks, committed: err.committed };
  } finally {
    r.close();
    await transport.destroy();
  }
}

describe('provider fault kinds: the same in both worlds', () => {
  it.each([
    ['auth_401', 'upstream_auth_error'],
    ['auth_403', 'upstream_auth_error'],
    ['not_found_404', 'upstream_not_found'],
    ['malformed_event', 'malformed_response'],
    ['stall', 'stream_stalled'],
  ] as const)('%s -> %s (before the first byte: fails the attempt, retryable)', async (kind, code) => {
    expect(await simCode(kind)).toBe(code);
    const h = await httpCode(kind);
    expect(h.code).toBe(code);
    expect(h.message).not.toContain(SIM_BAD_KEY);
  });

  it.each([
    ['malformed_event', 'malformed_response'],
    ['stall', 'stream_stalled'],
  ] as const)('%s after some tokens -> %s in both worlds (over http: committed, the client already has bytes)', async (kind, code) => {
    expect(await simCode(kind, 'anywhere')).toBe(code);
    const h = await httpCode(kind, 'anywhere');
    expect(h).toMatchObject({ code, committed: true });
    expect(h.chunks).toBeGreaterThan(0);
  });

  it('the model: a refused key is immediate; stream faults at `start` come before any token, `anywhere` after a drawn number', () => {
    const req = (id: number): SimRequest => ({ id, arrivalMs: 0, promptClass: 'general', prompt: 'x', inputTokens: 10, outputTokens: 50, stream: true, sessionKey: '' });
    expect(createProviderModel(profileFor('auth_401'), 1).outcome(req(1), 0, 0)).toMatchObject({ kind: 'http_error', status: 401, totalMs: 5 });
    const stall = createProviderModel(profileFor('stall'), 1).outcome(req(1), 0, 0);
    expect(stall).toMatchObject({ kind: 'stall', outputTokens: 0, totalMs: Infinity });
    expect(stall.stallAtMs).toBe(stall.ttftMs);
    expect(createProviderModel(profileFor('malformed_event'), 1).outcome(req(1), 0, 0)).toMatchObject({ kind: 'malformed_event', outputTokens: 0 });
    const anywhere = createProviderModel(profileFor('malformed_event', 'anywhere'), 1);
    const ks = Array.from({ length: 200 }, (_, i) => anywhere.outcome(req(i), 0, 0).outputTokens);
    expect(Math.min(...ks)).toBe(0);
    expect(Math.max(...ks)).toBeGreaterThan(40);
    // A JSON request meets the non-stream form of each fault.
    expect(createProviderModel(profileFor('stall'), 1).outcome({ ...req(1), stream: false }, 0, 0).kind).toBe('hang');
    expect(createProviderModel(profileFor('malformed_event'), 1).outcome({ ...req(1), stream: false }, 0, 0).kind).toBe('malformed');
  });
});
