import { describe, expect, it } from 'vitest';
import { createRouter } from '../router/index.js';
import type { Transport, TransportResponse } from '../router/core/types.js';
import { threeEndpoints } from './helpers/fake-transport.js';

/**
 * A successful route's result is what its type says, whatever class makes it: a spread copy
 * or Object.keys sees endpoint, model, response, attempts and trace (a result whose trace was
 * a getter on its class lost it in a copy), and JSON shows the same fields.
 */
describe('route() result shape', () => {
  it('a spread copy keeps the trace; Object.keys and JSON list the RouteResult fields', async () => {
    const t: Transport = { send: (): Promise<TransportResponse> => Promise.resolve({ status: 200, headers: {}, body: { ok: true } }) };
    const router = createRouter(threeEndpoints(), { transport: t });
    const r = await router.route({ id: 'req-1', model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    const copy = { ...r };
    expect(copy.trace.requestId).toBe('req-1');
    expect(copy.trace.picks).toHaveLength(1);
    expect(copy.trace.picks[0]!.picked).toBe(r.endpoint.id);
    expect(Object.keys(r).sort()).toEqual(['attempts', 'endpoint', 'model', 'response', 'trace']);
    expect(Object.keys(JSON.parse(JSON.stringify(r)) as object).sort()).toEqual(['attempts', 'endpoint', 'model', 'response', 'trace']);
    await router.close?.();
  });
});
