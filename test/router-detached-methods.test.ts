/**
 * A router's public methods work detached from it (`const { route, on, close } = router`), as
 * they did when createRouter returned an object of closures; the router is a class now (its
 * direct route a prototype method, for the simulator's optimised code).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, settle } from './helpers/fake-transport.js';

describe('createRouter: detached methods', () => {
  it('route, candidates, models, on and close keep their router', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'ok', latencyMs: 10 }));
    const router = createRouter({ endpoints: [{ id: 'a', provider: 'p', model: 'm' }] }, { transport: t, clock, random: seededRandom(1) });
    const { route, candidates, models, on, close } = router;
    const seen: string[] = [];
    const off = on((e) => void seen.push(e.type));
    const r = await settle(clock, route({ model: 'm' }));
    expect(r.endpoint.id).toBe('a');
    expect(seen).toContain('attempt-start');
    off();
    expect(models()).toEqual(['m']);
    expect(candidates('m').map((c) => c.endpoint.id)).toEqual(['a']);
    expect(() => close()).not.toThrow();
  });
});
