import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderHandlers } from '../simulator/msw.js';
import { SIM_BAD_KEY } from '../simulator/openai-wire.js';
import { parseProfile, type FailureKind } from '../simulator/profile.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import { baseProfile } from './sim-profile-fixtures.js';
import { observe } from './sim-server-observe.js';

/**
 * Issue #21: the msw handlers say what the real mock server says for the new provider
 * fault kinds (same wire plan): a 401/403 quoting the refused key, a broken SSE event, and
 * a stall (the SSE head, then nothing).
 */

const kinds: FailureKind[] = ['auth_401', 'auth_403', 'malformed_event', 'stall'];
const SEED = 21;
const msw = setupServer(
  ...kinds.flatMap((k) =>
    createProviderHandlers(parseProfile(baseProfile({ id: k, failures: { baseErrorRate: 1, kinds: { [k]: 1 }, streamFaultAt: 'anywhere' } }), k), {
      baseUrl: `http://${k.replace('_', '-')}.sim/v1`,
      seed: SEED,
      speed: 1000,
    }),
  ),
);
const real = new Map<FailureKind, ProviderServer>();

beforeAll(async () => {
  msw.listen({ onUnhandledRequest: 'bypass' });
  for (const k of kinds)
    real.set(k, await startProviderServer(parseProfile(baseProfile({ id: k, failures: { baseErrorRate: 1, kinds: { [k]: 1 }, streamFaultAt: 'anywhere' } }), k), { seed: SEED, speed: 1000 }));
});
afterAll(async () => {
  msw.close();
  await Promise.all([...real.values()].map((s) => s.close()));
});

const body = { model: 'm', stream: true, messages: [{ role: 'user', content: 'Why is the sky blue?' }] };
const headers = (id: number) => ({ 'x-sim-request-id': String(id), 'x-sim-output-tokens': '40' });
const mswUrl = (k: FailureKind) => `http://${k.replace('_', '-')}.sim/v1/chat/completions`;

describe('msw and the real server agree on the provider fault kinds', () => {
  it.each(['auth_401', 'auth_403', 'malformed_event'] as const)('%s: same status, kind, tokens and events', async (k) => {
    for (let id = 0; id < 6; id++) {
      const a = await observe(mswUrl(k), body, headers(id));
      const b = await observe(`${real.get(k)!.url}/chat/completions`, body, headers(id));
      expect(a, `${k} request ${id}`).toEqual(b);
      if (k !== 'malformed_event') expect(a.status).toBe(k === 'auth_401' ? 401 : 403);
      else expect(a.kind).toBe('malformed');
    }
    if (k !== 'malformed_event') {
      const text = await (await fetch(`${real.get(k)!.url}/chat/completions`, { method: 'POST', body: JSON.stringify(body) })).text();
      expect(text).toContain(SIM_BAD_KEY); // the provider quotes the key; the router must not relay it
    }
  });

  it('stall: both send the SSE head and the tokens before the stall, then hold the stream open', async () => {
    for (const url of [mswUrl('stall'), `${real.get('stall')!.url}/chat/completions`]) {
      const ac = new AbortController();
      const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: headers(3), signal: ac.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      const first = await reader.read(); // the first token came; nothing ends the stream
      expect(first.done).toBe(false);
      ac.abort();
      await reader.read().catch(() => undefined);
    }
  });
});
