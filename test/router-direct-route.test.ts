import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import type { RouterError } from '../router/core/errors.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter, type RouteResult } from '../router/index.js';
import { ROUTE_DIRECT, type RouteSink } from '../router/core/direct.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

type Call = ['done', RouteResult] | ['failed', RouterError];

/** A sink that records every call it gets; `called` resolves at the first one. */
function recorder(): RouteSink<RouteResult> & { calls: Call[]; called: Promise<void> } {
  const calls: Call[] = [];
  let first = (): void => undefined;
  const called = new Promise<void>((r) => (first = r));
  return {
    calls,
    called,
    routeDone: (r) => {
      calls.push(['done', r]);
      first();
    },
    routeFailed: (e) => {
      calls.push(['failed', e]);
      first();
    },
  };
}

describe('router[ROUTE_DIRECT]: route without a promise', () => {
  it('gives the same results as route() for the same traffic (failover included), each sink called once', async () => {
    const run = async (direct: boolean): Promise<string[]> => {
      const clock = new ManualClock();
      const t = new FakeTransport(clock, (ep) => (ep.id === 'b' ? { kind: 'status', status: 500 } : { kind: 'ok' }));
      const router = createRouter(threeEndpoints(), { transport: t, clock, random: seededRandom(3) });
      const out: string[] = [];
      const show = (r: RouteResult): string => `${r.endpoint.id}:${r.attempts.map((a) => `${a.endpointId}/${a.reason}/${a.ok}`).join(',')}`;
      for (let i = 0; i < 50; i++) {
        if (direct) {
          const sink = recorder();
          router[ROUTE_DIRECT]({ model: 'm', id: `r${i}` }, sink);
          await settle(clock, sink.called);
          await clock.advance(60_000); // nothing else may reach the sink later (timers, hedges, retries)
          expect(sink.calls).toHaveLength(1);
          const [kind, v] = sink.calls[0]!;
          out.push(kind === 'done' ? show(v) : `error:${v.code}`);
        } else out.push(await router.route({ model: 'm', id: `r${i}` }).then(show, (e: RouterError) => `error:${e.code}`));
        if (!direct) await clock.advance(60_000); // same clock history on both sides
      }
      return out;
    };
    const viaPromise = await run(false);
    expect(viaPromise.some((s) => s.includes('b/first/false'))).toBe(true); // failover happened
    expect(await run(true)).toEqual(viaPromise);
  });

  it('reports an unknown model to routeFailed at once, with the same error as route()', async () => {
    const clock = new ManualClock();
    const router = createRouter(threeEndpoints(), { transport: new FakeTransport(clock, () => ({ kind: 'ok' })), clock, random: seededRandom(1) });
    const sink = recorder();
    router[ROUTE_DIRECT]({ model: 'nope' }, sink);
    expect(sink.calls.map(([k, v]) => [k, (v as RouterError).code])).toEqual([['failed', 'unknown_model']]);
    await expect(router.route({ model: 'nope' })).rejects.toMatchObject({ code: 'unknown_model' });
  });
});

describe('router[ROUTE_DIRECT]: a sink that throws', () => {
  it("propagates the sink's own error to the caller (never swallowed), and calls the sink once", () => {
    const clock = new ManualClock();
    const router = createRouter(threeEndpoints(), { transport: new FakeTransport(clock, () => ({ kind: 'ok' })), clock, random: seededRandom(1) });
    let calls = 0;
    const throwing: RouteSink<RouteResult> = {
      routeDone: () => {
        calls++;
        throw new Error('sink bug');
      },
      routeFailed: () => {
        calls++;
        throw new Error('sink bug');
      },
    };
    const aborted = new AbortController();
    aborted.abort();
    expect(() => router[ROUTE_DIRECT]({ model: 'm' }, throwing, { signal: aborted.signal })).toThrow('sink bug');
    expect(calls).toBe(1);
    expect(() => router[ROUTE_DIRECT]({ model: 'nope' }, throwing)).toThrow('sink bug');
    expect(calls).toBe(2);
  });
});
