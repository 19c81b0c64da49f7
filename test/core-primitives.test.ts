import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { parseRouterConfig } from '../router/core/config.js';
import { RouterError, errorFromStatus, parseRetryAfter, toRouterError } from '../router/core/errors.js';
import { EventHeap } from '../router/core/heap.js';
import { deriveRandom, seededRandom, twoDistinct } from '../router/core/random.js';
import { EndpointStats, PeakEwma, WindowedCounter } from '../router/core/stats.js';
import { normalizeEndpoint, endpointSchema, statsSchema } from '../router/core/config.js';

describe('EventHeap', () => {
  it('pops by time, then insertion order', () => {
    const h = new EventHeap<{ time: number; seq: number; tag: string }>();
    const items = [
      { time: 5, seq: 0, tag: 'a' },
      { time: 1, seq: 1, tag: 'b' },
      { time: 5, seq: 2, tag: 'c' },
      { time: 0, seq: 3, tag: 'd' },
      { time: 1, seq: 4, tag: 'e' },
    ];
    items.forEach((i) => h.push(i));
    const out: string[] = [];
    while (h.size) out.push(h.pop()!.tag);
    expect(out).toEqual(['d', 'b', 'e', 'a', 'c']);
  });

  it('stays ordered over many random pushes', () => {
    const r = seededRandom(7);
    const h = new EventHeap<{ time: number; seq: number }>();
    for (let i = 0; i < 5000; i++) h.push({ time: Math.floor(r.next() * 100), seq: i });
    let prev = { time: -1, seq: -1 };
    while (h.size) {
      const x = h.pop()!;
      expect(x.time > prev.time || (x.time === prev.time && x.seq > prev.seq)).toBe(true);
      prev = x;
    }
  });
});

describe('ManualClock', () => {
  it('fires timers in order only when advanced, and cancels', async () => {
    const c = new ManualClock();
    const fired: string[] = [];
    c.setTimeout(() => fired.push('b'), 20);
    c.setTimeout(() => fired.push('a'), 10);
    const t = c.setTimeout(() => fired.push('x'), 15);
    t.cancel();
    await c.advance(9);
    expect(fired).toEqual([]);
    await c.advance(11);
    expect(fired).toEqual(['a', 'b']);
    expect(c.now()).toBe(20);
  });

  it('sleep resolves at the right virtual time and rejects on abort', async () => {
    const c = new ManualClock(100);
    let woke = -1;
    void c.sleep(50).then(() => (woke = c.now()));
    await c.advance(49);
    expect(woke).toBe(-1);
    await c.advance(1);
    expect(woke).toBe(150);
    const ac = new AbortController();
    const p = c.sleep(10, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });

  it('runs async continuations scheduled by timers before later timers', async () => {
    const c = new ManualClock();
    const order: number[] = [];
    void (async () => {
      await c.sleep(10);
      order.push(c.now());
      await c.sleep(5); // scheduled by a continuation: must fire at 15, before the 20 timer
      order.push(c.now());
    })();
    c.setTimeout(() => order.push(c.now()), 20);
    await c.advance(30);
    expect(order).toEqual([10, 15, 20]);
  });
});

describe('Random', () => {
  it('is reproducible per seed and independent per derived label', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(deriveRandom(42, 'x').next()).not.toBe(deriveRandom(42, 'y').next());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('twoDistinct draws two different indices, uniformly (seed 1, 30k draws, ±2%)', () => {
    const r = seededRandom(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) {
      const [x, y] = twoDistinct(r, 3);
      expect(x).not.toBe(y);
      counts[x]! += 1;
      counts[y]! += 1;
    }
    for (const c of counts) expect(Math.abs(c / 60_000 - 1 / 3)).toBeLessThan(0.02);
  });
});

describe('PeakEwma', () => {
  it('jumps to a peak at once and decays toward new samples with time', () => {
    const e = new PeakEwma(1000);
    expect(e.read(0)).toBeNull();
    e.observe(100, 0);
    e.observe(500, 10); // peak: immediate
    expect(e.read(10)).toBeCloseTo(500, 6);
    e.observe(100, 1010); // one tau later: w = e^-1
    const w = Math.exp(-1);
    expect(e.read(1010)).toBeCloseTo(500 * w + 100 * (1 - w), 6);
    // idle decay: cost * exp(-dt/tau)
    expect(e.read(2010)!).toBeCloseTo((500 * w + 100 * (1 - w)) * w, 6);
  });
});

describe('WindowedCounter', () => {
  it('forgets outcomes older than the window', () => {
    const w = new WindowedCounter(1000, 10);
    w.record(true, 0);
    w.record(false, 50);
    w.record(false, 950);
    expect(w.totals(999)).toEqual({ ok: 1, bad: 2, cut: 0 });
    expect(w.totals(1050)).toEqual({ ok: 0, bad: 1, cut: 0 }); // buckets 0 (0-99) rotated out
    expect(w.totals(5000)).toEqual({ ok: 0, bad: 0, cut: 0 });
  });
});

describe('EndpointStats', () => {
  const ep = normalizeEndpoint(endpointSchema.parse({ id: 'e', provider: 'p', model: 'm', price: { input: 1, output: 2 } }));
  it('tracks in-flight, success rate, consecutive failures, tokens and cost from outcomes only', () => {
    const s = new EndpointStats(ep, statsSchema.parse({}));
    s.onStart();
    s.onStart();
    expect(s.snapshot(0).inFlight).toBe(2);
    s.onEnd({ ok: true, latencyMs: 100, usage: { inputTokens: 1_000_000, outputTokens: 500_000 } }, 10);
    s.onEnd({ ok: false, latencyMs: 30 }, 20);
    s.onStart();
    s.onEnd({ ok: false, latencyMs: 5, countsForHealth: false }, 30); // a 4xx: not the endpoint's fault
    const snap = s.snapshot(30);
    expect(snap.inFlight).toBe(0);
    expect(snap.successRate).toBe(0.5);
    expect(snap.consecutiveFailures).toBe(1);
    expect(snap.costUsd).toBeCloseTo(1 + 1, 9); // 1M in at $1 + 0.5M out at $2
    expect(snap.recentLatenciesMs).toEqual([100]);
    expect(snap.lastFailureAt).toBe(20);
  });

  it('keeps the start of the latest-started answered attempt and its answer lag (answers to older starts move neither)', () => {
    const s = new EndpointStats(ep, statsSchema.parse({}));
    expect(s.snapshot(0).answeredStartAt).toBeNull();
    expect(s.snapshot(0).answerLagMs).toBeNull();
    s.onAnswer(100, 400); // a stream's first byte: started 100, answered 400
    expect(s.snapshot(400).answeredStartAt).toBe(100);
    expect(s.snapshot(400).answerLagMs).toBe(300);
    // A JSON reply to an attempt started at 50 lands at 1,200: older than the mark, ignored.
    s.onEnd({ ok: true, latencyMs: 1_150 }, 1_200);
    expect(s.snapshot(1_200).answeredStartAt).toBe(100);
    expect(s.snapshot(1_200).answerLagMs).toBe(300);
    // A JSON reply to a newer start (500, at 1,500) moves the mark; lag 300 + 0.1 (1,000 - 300).
    s.onEnd({ ok: true, latencyMs: 1_000 }, 1_500);
    expect(s.snapshot(1_500).answeredStartAt).toBe(500);
    expect(s.snapshot(1_500).answerLagMs).toBeCloseTo(370, 9);
    // A stream's end (after its first byte) and a failure are no answers.
    s.onEnd({ ok: true, latencyMs: 100, afterFirstByte: true }, 1_700);
    s.onEnd({ ok: false, latencyMs: 10 }, 1_800);
    expect(s.snapshot(1_800).answeredStartAt).toBe(500);
  });

  it('gives the start of the 4th attempt started after the latest answered start (unansweredSinceAt; null under 4)', () => {
    const s = new EndpointStats(ep, statsSchema.parse({}));
    for (const t of [0, 10, 20]) s.onStart(t);
    expect(s.snapshot(30).unansweredSinceAt).toBeNull(); // 3 waiting
    s.onStart(30);
    expect(s.snapshot(30).unansweredSinceAt).toBe(30); // 0, 10, 20, 30: the 4th started at 30
    for (const t of [40, 50]) s.onStart(t);
    s.onAnswer(10, 300); // the attempt started at 10 answers: 20, 30, 40, 50 still wait
    expect(s.snapshot(300).unansweredSinceAt).toBe(50);
    s.onAnswer(0, 310); // an older start answering moves nothing
    expect(s.snapshot(310).unansweredSinceAt).toBe(50);
    s.onAnswer(20, 320); // 30, 40, 50: three
    expect(s.snapshot(320).unansweredSinceAt).toBeNull();
    // More than the 64 kept starts since the last answer: the 4th of those still kept.
    for (let t = 1_000; t < 1_100; t++) s.onStart(t);
    expect(s.snapshot(1_100).unansweredSinceAt).toBe(1_100 - 64 + 3);
    // Starts recorded without a time (onStart()) are not counted.
    const q = new EndpointStats(ep, statsSchema.parse({}));
    for (let i = 0; i < 5; i++) q.onStart();
    expect(q.snapshot(0).unansweredSinceAt).toBeNull();
  });

  it('keeps the mean of the last 10 successful latencies in the snapshot (recentMeanMs; null before any; failures not in it)', () => {
    const s = new EndpointStats(ep, statsSchema.parse({}));
    expect(s.snapshot(0).recentMeanMs).toBeNull();
    s.onEnd({ ok: false, latencyMs: 5_000 }, 1);
    expect(s.snapshot(1).recentMeanMs).toBeNull();
    for (let i = 1; i <= 12; i++) s.onEnd({ ok: true, latencyMs: 100 * i }, 1 + i);
    const snap = s.snapshot(20);
    expect(snap.recentLatenciesMs).toHaveLength(10);
    expect(snap.recentMeanMs).toBe((300 + 1200) / 2); // 300..1200, the last 10
  });

  it('lists the last 10 latencies oldest first and sums them in that order (fractional values, past a wrap of the ring)', () => {
    const s = new EndpointStats(ep, statsSchema.parse({}));
    const all = Array.from({ length: 23 }, (_, i) => 0.1 + i * 1.37 + (i % 3) * 1e-9);
    all.forEach((ms, i) => s.onEnd({ ok: true, latencyMs: ms }, i));
    const last = all.slice(-10);
    let sum = 0;
    for (const x of last) sum += x;
    const snap = s.snapshot(30);
    expect(snap.recentLatenciesMs).toEqual(last);
    expect(snap.recentMeanMs).toBe(sum / 10); // the same float as a sum in arrival order
    expect(s.snapshot(31).recentLatenciesMs).not.toBe(snap.recentLatenciesMs); // a copy each time
  });

  it('weighs a failure after the first byte cutWeight times in the success rate (not in windowRequests or latency)', () => {
    const run = (afterFirstByte: boolean, cutWeight: number) => {
      const s = new EndpointStats(ep, statsSchema.parse({ cutWeight }));
      for (let i = 0; i < 9; i++) s.onEnd({ ok: true, latencyMs: 100 }, i);
      s.onEnd({ ok: false, latencyMs: 100, afterFirstByte }, 9);
      return s.snapshot(10);
    };
    expect(statsSchema.parse({}).cutWeight).toBe(10);
    expect(run(false, 10).successRate).toBeCloseTo(0.9, 12); // before the first byte: 9 / 10
    expect(run(true, 10).successRate).toBeCloseTo(9 / 19, 12); // a cut: 9 / (10 + 9)
    expect(run(true, 1).successRate).toBeCloseTo(0.9, 12);
    expect(run(true, 10).windowRequests).toBe(10);
    expect(run(true, 10).latencyMs).toBe(run(false, 10).latencyMs);
  });
});

describe('config validation', () => {
  it('names the field path and the expected shape', () => {
    expect(() =>
      parseRouterConfig({ endpoints: [{ provider: 'a', model: 'm' }, { provider: 'b', model: 'm', weight: -1 }] }),
    ).toThrow(/config\.endpoints\[1\]\.weight/);
    expect(() => parseRouterConfig({ endpoints: [] })).toThrow(/config\.endpoints: .*at least one endpoint/);
    expect(() => parseRouterConfig({ endpoints: [{ provider: 'a', model: 'm', bogus: 1 }] })).toThrow(/bogus/);
  });

  it('rejects duplicate ids and fallbacks to unknown models', () => {
    expect(() => parseRouterConfig({ endpoints: [{ provider: 'a', model: 'm' }, { provider: 'a', model: 'm' }] })).toThrow(
      /duplicate endpoint id "a\/m"/,
    );
    expect(() => parseRouterConfig({ endpoints: [{ provider: 'a', model: 'm' }], fallbacks: { m: ['nope'] } })).toThrow(
      /config\.fallbacks\.m\[0\]/,
    );
  });

  it('fills safe defaults', () => {
    const { config, endpoints } = parseRouterConfig({ endpoints: [{ provider: 'a', model: 'm' }] });
    expect(endpoints[0]!.id).toBe('a/m');
    expect(endpoints[0]!.weight).toBe(1);
    expect(config.retry.maxAttempts).toBeGreaterThan(1);
    expect(config.strategy).toBe('round-robin');
  });
});

describe('errors', () => {
  it('have stable codes, statuses and retryable flags', () => {
    expect(errorFromStatus(503, 'e', 2000)).toMatchObject({ code: 'upstream_error', retryable: true, retryAfterMs: 2000 });
    expect(errorFromStatus(429, 'e')).toMatchObject({ code: 'upstream_rate_limited', retryable: true, status: 429 });
    expect(errorFromStatus(400, 'e')).toMatchObject({ code: 'upstream_client_error', retryable: false, status: 400 });
    expect(new RouterError('stream_cut', 'x', { committed: true }).retryable).toBe(false);
    expect(toRouterError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).code).toBe('connect_failed');
    expect(toRouterError(Object.assign(new Error('x'), { code: 'ECONNRESET' })).code).toBe('connection_reset');
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter('garbage')).toBeUndefined();
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:10 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'))).toBe(10_000);
  });
});
