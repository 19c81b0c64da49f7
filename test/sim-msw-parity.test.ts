import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupServer } from 'msw/node';
import { parseProfile } from '../simulator/profile.js';
import { createProviderHandlers } from '../simulator/msw.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import { createProviderModel } from '../simulator/model.js';
import { simRequestFromChat } from '../simulator/openai-wire.js';
import { baseProfile } from './sim-profile-fixtures.js';
import { observe } from './sim-server-observe.js';

// Every failure kind except hang (which waits for the client to give up), at a high
// rate with a bursty bad state, so 60 requests exercise every branch.
const profile = parseProfile(
  baseProfile({
    failures: {
      baseErrorRate: 0.5,
      bursty: { meanGoodS: 5, meanBadS: 5, badErrorRate: 0.9 },
      kinds: { http_500: 1, http_502: 1, http_503: 1, http_529: 1, rate_limited_429: 1, refused: 1, reset: 1, stream_cut: 2, malformed: 1 },
    },
  }),
  'parity',
);
const SEED = 42;
const MSW_URL = 'http://provider.sim/v1';

const mswServer = setupServer(...createProviderHandlers(profile, { baseUrl: MSW_URL, seed: SEED, speed: 1000 }));
let real: ProviderServer;
beforeAll(async () => {
  mswServer.listen({ onUnhandledRequest: 'bypass' });
  real = await startProviderServer(profile, { seed: SEED, speed: 1000 });
});
afterAll(async () => {
  mswServer.close();
  await real.close();
});

const WIRE_KIND: Record<string, string> = { refused: 'network', reset: 'network' };

describe('msw handlers and the real server agree', () => {
  it('same status, kind and tokens per (seed, request id), matching the pure model', async () => {
    const model = createProviderModel(profile, SEED);
    const seen = new Set<string>();
    for (let id = 0; id < 60; id++) {
      const stream = id % 2 === 0;
      const body = { model: 'm', stream, messages: [{ role: 'user', content: `Question number ${id}: why is the sky blue?` }] };
      const headers = { 'x-sim-request-id': String(id), 'x-sim-now-ms': String(id * 1000) };
      const a = await observe(`${MSW_URL}/chat/completions`, body, headers);
      const b = await observe(`${real.url}/chat/completions`, body, headers);
      const strip = (o: typeof a) => ({ status: o.status, kind: o.kind, outputTokens: o.outputTokens, done: o.done, usage: o.usage });
      expect(strip(a), `request ${id}`).toEqual(strip(b));
      // and both match the pure model
      const { req } = simRequestFromChat(body, (n) => (headers as Record<string, string>)[n], 0, profile, SEED);
      const o = model.outcome(req, id * 1000, 0);
      expect(a.kind, `request ${id}`).toBe(WIRE_KIND[o.kind] ?? o.kind);
      if (o.kind === 'ok' || o.kind === 'stream_cut') expect(a.outputTokens).toBe(o.outputTokens);
      seen.add(a.kind);
    }
    expect([...seen].sort()).toEqual(['http_error', 'malformed', 'network', 'ok', 'rate_limited', 'stream_cut']);
  });

  it('msw serves /health and /v1/models like the server', async () => {
    const m = (await (await fetch(`${MSW_URL}/models`)).json()) as { data: Array<{ id: string }> };
    const r = (await (await fetch(`${real.url}/models`)).json()) as { data: Array<{ id: string }> };
    expect(m).toEqual(r);
    expect((await fetch('http://provider.sim/health')).status).toBe(200);
  });
});
