/** Context-window and region routing (router/core/refine.ts), on the library with a fake transport. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { inputTokenEstimate } from '../router/request/refine.js';
import { createMetrics } from '../router/http/metrics.js';
import { FakeTransport } from './helpers/fake-transport.js';
import { parsePrometheusText } from './proxy-prom.js';

const eps = [
  { id: 'small', provider: 'p', model: 'chat', contextWindow: 8_000, region: 'eu-west' },
  { id: 'big', provider: 'p', model: 'chat', contextWindow: 128_000, region: 'us-east' },
  { id: 'huge', provider: 'p', model: 'long', contextWindow: 1_000_000, region: 'us-east' },
];

function setup(down: string[] = []) {
  const clock = new ManualClock();
  const t = new FakeTransport(clock, (ep) => (down.includes(ep.id) ? { kind: 'refuse' } : { kind: 'ok' }));
  const router = createRouter({ endpoints: eps, strategy: 'round-robin', fallbacks: { chat: ['long'] } }, { transport: t, clock, random: seededRandom(1) });
  return { router, t };
}

describe('context window', () => {
  it('skips endpoints whose window cannot hold input + max_tokens, falls back to one that can', async () => {
    const { router, t } = setup();
    const r = await router.route({ model: 'chat', inputTokens: 6_000, maxTokens: 4_000 });
    expect(r.endpoint.id).toBe('big');
    expect(r.model).toBe('chat [context > 8000]');
    for (let i = 0; i < 10; i++) await router.route({ model: 'chat', inputTokens: 6_000, maxTokens: 4_000 });
    expect(t.count('small')).toBe(0);
    // Too big for every "chat" endpoint: the fallback group "long" takes it.
    expect((await router.route({ model: 'chat', inputTokens: 200_000 })).endpoint.id).toBe('huge');
    // Small requests still use both (round-robin).
    const ids = new Set<string>();
    for (let i = 0; i < 4; i++) ids.add((await router.route({ model: 'chat', inputTokens: 100 })).endpoint.id);
    expect([...ids].sort()).toEqual(['big', 'small']);
    expect(router.models()).toEqual(['chat', 'long']);
  });

  it('none can hold it: 400 invalid_request naming the need and the largest window', async () => {
    const { router } = setup();
    await expect(router.route({ model: 'chat', inputTokens: 2_000_000, maxTokens: 10 })).rejects.toMatchObject({
      code: 'invalid_request',
      status: 400,
      message: expect.stringMatching(/needs ~2000010 tokens .* largest context window of model chat, long is 1000000/),
    });
  });

  it('estimates input tokens from the messages (~4 characters per token) when the caller gives none', () => {
    expect(inputTokenEstimate({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(400) }, { role: 'user', content: [{ type: 'text', text: 'y'.repeat(40) }] }] })).toBe(110);
  });
});

describe('region', () => {
  it('prefers endpoints in the request region, and falls back to the rest (visible in the trace and the metrics)', async () => {
    const { router } = setup(['small']);
    const metrics = createMetrics(() => router.candidates());
    router.on(metrics.onRouterEvent);
    const home = await router.route({ model: 'chat', region: 'us-east' });
    expect([home.endpoint.id, home.model]).toEqual(['big', 'chat [region us-east]']);
    // eu-west's only endpoint refuses: the request fails over to the rest of the group.
    const away = await router.route({ model: 'chat', region: 'eu-west' });
    expect(away.endpoint.id).toBe('big');
    expect(away.attempts.map((a) => [a.endpointId, a.reason])).toEqual([
      ['small', 'first'],
      ['big', 'fallback-model'],
    ]);
    expect(away.trace.picks.map((p) => p.model)).toEqual(['chat [region eu-west]', 'chat']);
    const fams = parsePrometheusText(await metrics.render());
    expect(fams.get('llm_router_fallback_attempts_total')!.samples.map((s) => [s.labels.model, s.value])).toEqual([['chat', 1]]);
  });

  it('a region no endpoint is in, or no region: routing unchanged', async () => {
    const { router } = setup();
    expect((await router.route({ model: 'chat', region: 'ap-south' })).model).toBe('chat');
    expect((await router.route({ model: 'chat' })).model).toBe('chat');
    await expect(router.route({ model: 'chat', region: 7 as unknown as string })).rejects.toMatchObject({ message: 'request.region: expected a string' });
  });
});
