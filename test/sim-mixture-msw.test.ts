/**
 * A TTFT mixture is served by msw as the pure model samples it: streamed requests through
 * msw on a manual clock see their first event at the model's TTFT for the same (seed,
 * request id), and both modes of a two-component mixture show up. (The real server builds
 * the same model, createProviderModel; test/sim-msw-parity.test.ts checks the two agree.)
 */
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { createProviderModel } from '../simulator/model.js';
import { createProviderHandlers } from '../simulator/msw.js';
import { simRequestFromChat } from '../simulator/openai-wire.js';
import { parseProfile } from '../simulator/profile.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

const profile = parseProfile(
  baseProfile({
    ...noFail,
    capacity: { maxConcurrent: 100, queue: 0, slowdown: 0 },
    ttft: { medianMs: 300, sigma: 1, mixture: [{ weight: 1, medianMs: 100, sigma: 0.05 }, { weight: 1, medianMs: 2000, sigma: 0.05 }] },
  }),
  'msw mixture',
);
const SEED = 5;
const URL_ = 'http://mixture.sim/v1';
const clock = new ManualClock();
const server = setupServer(...createProviderHandlers(profile, { baseUrl: URL_, seed: SEED, clock, minChunkMs: 1 }));
beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => server.close());

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Virtual ms until the streamed response's headers (sent with its first event) arrive, then drain it. */
async function firstEventAt(body: object, headers: Record<string, string>): Promise<number> {
  const t0 = clock.now();
  let res: Response | null = null;
  const p = fetch(`${URL_}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then((r) => (res = r));
  for (let i = 0; i < 1000 && res === null; i++) {
    await flush();
    if (res === null) clock.fireNext();
  }
  const r = (await p) as Response;
  const at = clock.now() - t0;
  const text = r.text();
  for (let i = 0; i < 5000 && clock.pending() > 0; i++) {
    clock.fireNext();
    await flush();
  }
  await text;
  return at;
}

describe('msw serves a TTFT mixture as the model draws it', () => {
  it('first event at the model TTFT (±1 ms) for 24 requests; both modes (≈100 and ≈2,000 ms) seen', async () => {
    const model = createProviderModel(profile, SEED);
    let low = 0;
    let high = 0;
    for (let id = 0; id < 24; id++) {
      const body = { model: 'm', stream: true, messages: [{ role: 'user', content: `Question ${id}: why is the sky blue?` }] };
      const headers = { 'x-sim-request-id': String(id), 'x-sim-now-ms': '0', 'x-sim-output-tokens': '5' };
      const at = await firstEventAt(body, headers);
      const { req } = simRequestFromChat(body, (n) => (headers as Record<string, string>)[n], 0, profile, SEED);
      const o = model.outcome(req, 0, 0);
      expect(o.kind).toBe('ok');
      expect(Math.abs(at - o.ttftMs), `request ${id}: msw ${at} vs model ${o.ttftMs}`).toBeLessThanOrEqual(1);
      if (at < 200) low++;
      else if (at > 1500) high++;
    }
    expect(low + high).toBe(24);
    expect(low).toBeGreaterThan(0);
    expect(high).toBeGreaterThan(0);
  });
});
