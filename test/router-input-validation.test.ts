import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseRouterConfig } from '../router/core/config.js';
import { RouterError } from '../router/core/errors.js';
import { seededRandom } from '../router/core/random.js';
import { createRouter } from '../router/index.js';
import { registerStrategy } from '../router/core/strategy.js';
import type { RouteRequest, Transport, TransportResponse } from '../router/core/types.js';
import { threeEndpoints } from './helpers/fake-transport.js';

/**
 * The library API against callers' mistakes (found by a robustness review): each gets a
 * typed RouterError naming the field, at once, instead of routing wrongly, being taken for
 * a success, or crashing the process with an unhandled rejection.
 */

const okTransport = (): Transport & { calls: number } => {
  const t = {
    calls: 0,
    send(): Promise<TransportResponse> {
      t.calls++;
      return Promise.resolve({ status: 200, headers: {}, body: {} });
    },
  };
  return t;
};

async function codeOf(p: Promise<unknown>): Promise<[string, string]> {
  const e = await p.then(
    () => new Error('resolved'),
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(RouterError);
  return [(e as RouterError).code, (e as RouterError).message];
}

describe('route(): request fields are checked once, up front', () => {
  const bad: Array<[string, Partial<RouteRequest>]> = [
    ['sessionKey', { sessionKey: 42 as unknown as string }],
    ['inputTokens', { inputTokens: Number.NaN }],
    ['inputTokens', { inputTokens: -5 }],
    ['maxTokens', { maxTokens: Number.POSITIVE_INFINITY }],
    ['deadlineMs', { deadlineMs: '5000' as unknown as number }],
    ['deadlineMs', { deadlineMs: -1 }],
    ['messages', { messages: 5 as unknown as [] }],
    ['stream', { stream: 'yes' as unknown as boolean }],
    ['body', { body: [] as unknown as Record<string, unknown> }],
  ];
  for (const [field, extra] of bad)
    it(`${field}: ${JSON.stringify(extra)} -> invalid_request naming it; nothing is sent`, async () => {
      const t = okTransport();
      const r = createRouter(threeEndpoints(), { transport: t, random: seededRandom(1) });
      const [code, message] = await codeOf(r.route({ model: 'm', ...extra }));
      expect(code).toBe('invalid_request');
      expect(message).toContain(`request.${field}`);
      expect(t.calls).toBe(0);
    });

  it('opts.signal that is not an AbortSignal -> invalid_request (it used to crash the process in the retry backoff)', async () => {
    const t = okTransport();
    const r = createRouter(threeEndpoints(), { transport: t, random: seededRandom(1) });
    const [code, message] = await codeOf(r.route({ model: 'm' }, { signal: {} as AbortSignal }));
    expect([code, message]).toEqual(['invalid_request', 'opts.signal: expected an AbortSignal']);
    expect(r.candidates('m').every((c) => c.stats.inFlight === 0)).toBe(true);
  });
});

describe('a custom transport that resolves with garbage', () => {
  const garbage: Array<[string, unknown]> = [
    ['no headers', { status: 503 }],
    ['no status', { headers: {} }],
    ['status NaN', { status: Number.NaN, headers: {} }],
    ['null', null],
    ['a stream that is not iterable', { status: 200, headers: {}, stream: {} }],
  ];
  for (const [what, res] of garbage)
    it(`${what}: malformed_response, failed over and finally reported, never a success or a crash`, async () => {
      let calls = 0;
      const t: Transport = {
        send: () => {
          calls++;
          return Promise.resolve(res as TransportResponse);
        },
      };
      const r = createRouter(threeEndpoints({ retry: { maxAttempts: 3 } }), { transport: t, random: seededRandom(1) });
      const [code, message] = await codeOf(r.route({ model: 'm' }));
      expect(code).toBe('malformed_response');
      expect(message).toContain('transport returned an invalid response');
      expect(calls).toBe(3);
    });
});

describe('strategies and dependencies', () => {
  it('a strategy that throws fails the request as no_candidates (not a retryable connect_failed); nothing is sent', async () => {
    registerStrategy({
      name: 'test-throws',
      optimises: 'nothing',
      needs: 'nothing',
      params: z.strictObject({}),
      create: () => ({
        name: 'test-throws',
        pick: () => {
          throw new TypeError('boom');
        },
      }),
    });
    const t = okTransport();
    const r = createRouter(threeEndpoints({ strategy: 'test-throws' }), { transport: t, random: seededRandom(1) });
    const [code, message] = await codeOf(r.route({ model: 'm' }));
    expect(code).toBe('no_candidates');
    expect(message).toContain('strategy "test-throws" failed: boom');
    expect(t.calls).toBe(0);
  });

  it('registerStrategy without a params schema, createRouter with a transport lacking send(): invalid_config at once; deps null is fine', () => {
    expect(() => registerStrategy({ name: 'x', optimises: '', needs: '', create: () => ({ name: 'x', pick: () => ({ index: 0 }) }) } as never)).toThrow(
      /params must be a zod schema/,
    );
    expect(() => createRouter(threeEndpoints(), { transport: {} as Transport })).toThrow(/deps.transport: expected a Transport/);
    expect(() => createRouter(threeEndpoints(), null).close()).not.toThrow();
  });

  it('strategy params naming an endpoint that does not exist are refused (they were ignored in silence)', () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'weighted', params: { weights: { a: 1, Coder: 100 } } }, 'strategy "weighted" params.weights.Coder: no endpoint has id "Coder"; endpoint ids: a, b, c'],
      [{ name: 'weighted-random', params: { weights: { x: 2 } } }, 'params.weights.x: no endpoint has id "x"'],
      [{ name: 'priority', params: { order: ['b', 'z'] } }, 'strategy "priority" params.order[1]: no endpoint has id "z"'],
      [{ name: 'classifier', params: { classes: { coding: ['a', 'q'] } } }, 'params.classes.coding[1]: no endpoint has id "q"'],
    ];
    for (const [strategy, message] of cases)
      expect(() => createRouter(threeEndpoints({ strategy: strategy as never }), { transport: okTransport() })).toThrow(message);
    expect(() => createRouter(threeEndpoints({ strategy: { name: 'weighted', params: { weights: { a: 3 } } } }), { transport: okTransport() })).not.toThrow();
  });

  it('config: timers past what Node supports, non-http base URLs and absurd bucket counts are refused naming the field', () => {
    const msg = (c: unknown): string => {
      try {
        parseRouterConfig(c as never);
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const eps = [{ id: 'a', provider: 'p', model: 'm' }];
    expect(msg({ endpoints: eps, timeouts: { totalMs: 3e9 } })).toContain('config.timeouts.totalMs: at most 2147483647 ms');
    expect(msg({ endpoints: eps, health: { activeCheck: { intervalMs: 30 * 86_400_000 } } })).toContain('config.health.activeCheck.intervalMs');
    expect(msg({ endpoints: [{ ...eps[0], baseUrl: 'ftp://x/v1' }] })).toContain('config.endpoints[0].baseUrl: an http:// or https:// URL');
    expect(msg({ endpoints: eps, stats: { windowBuckets: 2 ** 32 } })).toContain('config.stats.windowBuckets');
  });
});
