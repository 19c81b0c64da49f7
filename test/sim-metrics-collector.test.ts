import { describe, expect, it } from 'vitest';
import { createMetrics, failoverSeconds, recoverSeconds } from '../simulator/metrics.js';

describe('failoverS / recoverS on synthetic series', () => {
  it('failoverS = start of the first of 3 consecutive windows under 5%, minus onset', () => {
    //            0    1    2    3    4     5     6    7    8     9
    const share = [0.5, 0.5, 0.5, 0.4, 0.2, 0.04, 0.06, 0.0, 0.01, 0.02, 0.0];
    // onset at 3: window 5 is < 5% but 6 is not; 7, 8, 9 are: failover at 7 → 4 s.
    expect(failoverSeconds(share, 3)).toBe(4);
    expect(failoverSeconds(share, 2.5)).toBe(4.5);
    // Instant failover: the first window after onset is already clean.
    expect(failoverSeconds([0.5, 0.5, 0, 0, 0], 2)).toBe(0);
    // Never (or not enough windows left): null.
    expect(failoverSeconds([0.5, 0.5, 0.5, 0.5], 1)).toBeNull();
    expect(failoverSeconds([0.5, 0.0, 0.0], 1)).toBeNull();
    // Only windows starting before the fault end count.
    expect(failoverSeconds(share, 3, 6)).toBeNull();
  });

  it('recoverS = first window at/after the fault end with share >= half the pre-fault share', () => {
    const share = [0.4, 0.4, 0.0, 0.0, 0.0, 0.1, 0.19, 0.25, 0.4];
    expect(recoverSeconds(share, 0.4, 4)).toBe(3); // window 7: 0.25 >= 0.2
    expect(recoverSeconds(share, 0.4, 4.5)).toBe(2.5);
    expect(recoverSeconds(share, 0, 4)).toBeNull();
    expect(recoverSeconds([0.4, 0, 0, 0], 0.4, 2)).toBeNull();
  });

  it('the collector derives both from traffic share (attempts), not from successes', () => {
    const m = createMetrics();
    // 10 requests per second for 20 s over a and b; a is down from 5 s to 10 s:
    // the router keeps trying a (and fails over to b) until 7 s, then stops; back at 12 s.
    for (let s = 0; s < 20; s++) {
      for (let i = 0; i < 10; i++) {
        const tMs = s * 1000 + i * 100;
        const down = s >= 5 && s < 10;
        const triesA = i % 2 === 0 && (s < 7 || s >= 12);
        if (down && triesA) m.record({ tMs, ok: true, latencyMs: 300, endpointId: 'b', attempts: 2, attemptEndpoints: ['a', 'b'], costUsd: 0.001 });
        else m.record({ tMs, ok: true, latencyMs: 200, endpointId: triesA ? 'a' : 'b', attempts: 1, costUsd: 0.001 });
      }
    }
    const { summary } = m.summarize({ durationS: 20, fault: { provider: 'a', startS: 5, endS: 10 } });
    expect(summary.failoverS).toBe(2); // windows 7, 8, 9 have no traffic to a
    expect(summary.recoverS).toBe(2); // pre-fault share 0.5; back at 12 s
  });
});

describe('metrics collector summary and timeline', () => {
  it('counts, errors by kind, cost, shares, attempts, quality and quantiles per contract', () => {
    const m = createMetrics();
    for (let i = 0; i < 1000; i++) {
      const ok = i % 10 !== 0;
      m.record({
        tMs: i * 10, // 100 per second for 10 s
        ok,
        latencyMs: i + 1, // 1..1000 ms
        ttftMs: ok ? (i + 1) / 10 : undefined,
        endpointId: i % 4 === 0 ? 'x' : 'y',
        errorCode: ok ? undefined : i % 20 === 0 ? 'timeout' : 'upstream_error',
        costUsd: ok ? 0.002 : 0,
        attempts: ok ? 1 : 3,
        acceptable: ok ? i % 3 !== 0 : undefined,
      });
    }
    const { summary: s, timeline } = m.summarize({ durationS: 10 });
    expect(s.requests).toBe(1000);
    expect(s.ok).toBe(900);
    expect(s.errors).toBe(100);
    expect(s.errorRate).toBeCloseTo(0.1, 12);
    expect(s.throughputRps).toBe(100);
    expect(s.errorsByKind).toEqual({ timeout: 50, upstream_error: 50 });
    expect(s.costUsd).toBeCloseTo(1.8, 9);
    expect(s.costPer1kOk).toBeCloseTo(2, 9);
    expect(s.attemptsPerRequest).toBeCloseTo(1.2, 12);
    // x serves i % 4 == 0: 250 requests, of which the 50 multiples of 20 failed → 200 of 900 ok.
    expect(s.providerShare.x).toBeCloseTo(200 / 900, 12);
    expect(s.providerShare.y).toBeCloseTo(700 / 900, 12);
    // HDR at 3 significant digits: within 0.1%.
    expect(s.latencyMs.p50).toBeGreaterThan(499);
    expect(s.latencyMs.p50).toBeLessThan(501.5);
    expect(s.latencyMs.p99).toBeGreaterThan(989);
    expect(s.latencyMs.p99).toBeLessThan(991.5);
    expect(s.latencyMs.max).toBeCloseTo(1000, 0);
    expect(s.ttftMs.p50).toBeCloseTo(50, 0);
    expect(s.failoverS).toBeNull();
    expect(s.recoverS).toBeNull();
    expect(s.qualityOk).toBeCloseTo(600 / 900, 2);
    expect(timeline).toHaveLength(10);
    expect(timeline[0]).toMatchObject({ t: 0, rps: 100, errors: 10 });
    expect(timeline[3]!.costUsd).toBeCloseTo(0.18, 9);
    expect(timeline[9]!.p99).toBeGreaterThan(985);
    expect(Object.values(timeline[5]!.share).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('fills empty seconds up to durationS, ignores warm-up (tMs < 0) and tolerates an empty run', () => {
    const m = createMetrics();
    m.record({ tMs: -5, ok: true, latencyMs: 1 });
    m.record({ tMs: 2500, ok: true, latencyMs: 10, endpointId: 'a' });
    const { summary, timeline } = m.summarize({ durationS: 5 });
    expect(summary.requests).toBe(1);
    expect(timeline.map((p) => p.rps)).toEqual([0, 0, 1, 0, 0]);
    const empty = createMetrics().summarize();
    expect(empty.summary.requests).toBe(0);
    expect(empty.summary.latencyMs.p99).toBe(0);
    expect(empty.timeline).toEqual([]);
  });
});

describe('quantiles never exceed the largest value recorded', () => {
  it('many requests ending exactly at a 20 s deadline: p99/p99.9 = max = 20,000 ms (not the bucket top, ~20,004.9)', () => {
    const m = createMetrics();
    for (let i = 0; i < 3000; i++) m.record({ tMs: i % 2000, ok: i % 10 !== 0, latencyMs: i % 10 === 0 ? 20_000 : 100 + (i % 50) });
    const { summary, timeline } = m.summarize({ durationS: 2 });
    expect(summary.latencyMs.max).toBe(20_000);
    expect(summary.latencyMs.p99).toBe(20_000);
    expect(summary.latencyMs.p999).toBe(20_000);
    for (const w of timeline) expect(w.p99).toBe(20_000); // per-second windows too (1,500 requests each, 10% at 20 s)
    m.dispose();
  });
});

describe('run-wide histograms (WebAssembly build)', () => {
  it('report the same quantiles as the JS build of hdr-histogram-js, and refuse use after dispose()', async () => {
    const hdr = await import('hdr-histogram-js');
    const { wasmReady } = await import('../simulator/histogram.js');
    expect(wasmReady()).toBe(true); // Node 20 has WebAssembly: the fast path is the one tested
    const js = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 2, numberOfSignificantValueDigits: 3, autoResize: true });
    const m = createMetrics();
    let s = 7;
    for (let i = 0; i < 20_000; i++) {
      s = (s * 48271) % 2147483647; // Lehmer generator: fixed values, no Math.random
      const ms = 1 + (s % 1_000_000) / 37; // 1 ms .. ~27 s
      m.record({ tMs: i, ok: true, latencyMs: ms, ttftMs: ms / 2 });
      js.recordValue(Math.max(1, Math.round(ms * 1000)));
    }
    const { summary } = m.summarize({ durationS: 20 });
    expect(summary.latencyMs.p50).toBe(js.getValueAtPercentile(50) / 1000);
    expect(summary.latencyMs.p99).toBe(js.getValueAtPercentile(99) / 1000);
    expect(summary.latencyMs.p999).toBe(js.getValueAtPercentile(99.9) / 1000);
    expect(summary.latencyMs.max).toBe(js.maxValue / 1000);
    m.dispose();
    m.dispose(); // idempotent
    expect(() => m.summarize()).toThrow(/after dispose/);
    expect(() => m.record({ tMs: 0, ok: true, latencyMs: 1 })).toThrow(/after dispose/);
  });
});
