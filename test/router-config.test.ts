import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import type { RouterConfigInput } from '../router/core/config.js';
import type { RouterEvent } from '../router/core/events.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, threeEndpoints } from './helpers/fake-transport.js';

const deps = () => {
  const clock = new ManualClock();
  return { clock, transport: new FakeTransport(clock, () => ({ kind: 'ok' as const, usage: { inputTokens: 1000, outputTokens: 500 } })) };
};

describe('createRouter config errors', () => {
  it('invalid config: the error names the field path and the expected shape', () => {
    const bad = { endpoints: [{ provider: 'p', model: 'm', price: { input: 'cheap', output: 1 } }] } as unknown as RouterConfigInput;
    expect(() => createRouter(bad, deps())).toThrow(/config\.endpoints\[0\]\.price\.input: .*number/);
    try {
      createRouter({ endpoints: [] }, deps());
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ name: 'RouterError', code: 'invalid_config', message: expect.stringContaining('config.endpoints') });
    }
    expect(() => createRouter(threeEndpoints({ retry: { maxAttempts: 0 } }), deps())).toThrow(/config\.retry\.maxAttempts/);
  });

  it('unknown strategy: the error lists the valid names', () => {
    expect(() => createRouter(threeEndpoints({ strategy: 'fastest' }), deps())).toThrow(
      expect.objectContaining({ code: 'unknown_strategy', message: expect.stringMatching(/unknown strategy "fastest"; valid strategies: .*round-robin/) }),
    );
  });

  it('bad strategy params name the field', () => {
    expect(() => createRouter(threeEndpoints({ strategy: { name: 'round-robin', params: { nope: 1 } } }), deps())).toThrow(/strategy "round-robin" params/);
  });

  it('exposes endpoints, models, strategy and candidate snapshots', () => {
    const router = createRouter(threeEndpoints(), deps());
    expect(router.endpoints.map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(router.models()).toEqual(['m']);
    expect(router.strategy.name).toBe('round-robin');
    expect(router.candidates().map((c) => [c.endpoint.id, c.health.state, c.stats.requests])).toEqual([
      ['a', 'healthy', 0],
      ['b', 'healthy', 0],
      ['c', 'healthy', 0],
    ]);
    expect(() => router.candidates('zzz')).toThrow(/no endpoint serves model "zzz"/);
  });
});

describe('events and the decision trace', () => {
  it('emits attempt-start, attempt-end (usage, cost, latency) and request-end; unsubscribe works', async () => {
    const d = deps();
    const cfg = threeEndpoints();
    cfg.endpoints[0]!.price = { input: 2, output: 10 }; // USD per 1M tokens
    const router = createRouter(cfg, d);
    const events: RouterEvent[] = [];
    const off = router.on((e) => events.push(e));
    router.on(() => {
      throw new Error('a broken listener must not break routing');
    });
    const r = await router.route({ model: 'm', id: 'r1' });
    expect(events.map((e) => e.type)).toEqual(['attempt-start', 'attempt-end', 'request-end']);
    expect(events[1]).toMatchObject({ endpointId: 'a', ok: true, usage: { inputTokens: 1000, outputTokens: 500 }, costUsd: 0.007, requestId: 'r1' });
    expect(events[2]).toMatchObject({ ok: true, attempts: 1, endpointId: 'a' });
    expect(router.candidates('m')[0]!.stats.costUsd).toBeCloseTo(0.007, 12);
    expect(JSON.parse(JSON.stringify(r.trace))).toMatchObject({ requestId: 'r1', strategy: 'round-robin', picks: [{ picked: 'a' }] });
    off();
    await router.route({ model: 'm' });
    expect(events).toHaveLength(3);
  });
});
