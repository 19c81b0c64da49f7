import { describe, expect, it } from 'vitest';
import { createMetrics } from '../router/http/metrics.js';
import { parsePrometheusText } from './proxy-prom.js';

describe('proxy metrics exposition', () => {
  it('histogram buckets are cumulative with +Inf = count, and counters add up', async () => {
    const m = createMetrics(() => []);
    for (const v of [0.0005, 0.003, 0.2, 500]) m.request('ep', 200, v);
    m.request('', 400, 0.001);
    m.inFlight(2);
    m.inFlight(-1);
    m.onRouterEvent({ type: 'attempt-end', at: 0, requestId: undefined, endpointId: 'ep', model: 'm', reason: 'first', ok: true, errorCode: undefined, status: 200, latencyMs: 1, ttftMs: undefined, usage: { inputTokens: 3, outputTokens: 5 }, costUsd: 0.25 });
    const fams = parsePrometheusText(await m.render());
    const h = fams.get('llm_router_request_duration_seconds')!;
    const bucket = (le: string) => h.samples.find((s) => s.name.endsWith('_bucket') && s.labels.endpoint === 'ep' && s.labels.le === le)!.value;
    expect([bucket('0.001'), bucket('0.005'), bucket('0.25'), bucket('120'), bucket('+Inf')]).toEqual([1, 2, 3, 3, 4]);
    expect(h.samples.find((s) => s.name.endsWith('_count') && s.labels.endpoint === 'ep')!.value).toBe(4);
    expect(h.samples.find((s) => s.name.endsWith('_sum') && s.labels.endpoint === 'ep')!.value).toBeCloseTo(500.2035, 6);
    const req = fams.get('llm_router_requests_total')!.samples;
    expect(req.find((s) => s.labels.endpoint === 'none' && s.labels.status === '400')!.value).toBe(1);
    expect(fams.get('llm_router_in_flight_requests')!.samples[0]!.value).toBe(1);
    expect(fams.get('llm_router_tokens_total')!.samples.map((s) => [s.labels.direction, s.value])).toEqual([['input', 3], ['output', 5]]);
    expect(fams.get('llm_router_cost_usd_total')!.samples[0]!.value).toBe(0.25);
  });
});
