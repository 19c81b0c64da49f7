import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import { CI_KEYS, downsample, paretoRows, quantileRows, shareRows } from '../reports/data.js';
import { paretoFront } from '../reports/pareto.js';
import { buildCharts, type ChartSpec } from '../reports/specs.js';
import { httpLike, longRun, sample } from './reports-helpers.js';

/** Compile with a logger that records vega-lite's warnings (bad channels, ignored props...). */
function compileStrict(spec: ChartSpec['spec']): string[] {
  const msgs: string[] = [];
  const logger = {
    level: () => logger,
    info: () => logger,
    debug: () => logger,
    warn: (...a: unknown[]) => (msgs.push(a.join(' ')), logger),
    error: (...a: unknown[]) => (msgs.push(a.join(' ')), logger),
  };
  compile(spec, { logger: logger as never });
  return msgs;
}

/** Every key/value pair anywhere in a JSON value. */
function* walk(v: unknown, key = ''): Generator<[string, unknown]> {
  yield [key, v];
  if (Array.isArray(v)) for (const x of v) yield* walk(x, key);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) yield* walk(x, k);
}

describe('report chart specs', () => {
  it('builds the full chart set for a sim run, each compiling without errors or warnings', () => {
    const charts = buildCharts(sample());
    expect(charts.map((c) => c.id)).toEqual(['throughput', 'latency', 'errors', 'provider-share', 'latency-percentiles', 'cost-vs-p99', 'regret']);
    for (const c of charts) {
      expect(() => compile(c.spec), c.id).not.toThrow();
      expect(compileStrict(c.spec), c.id).toEqual([]);
    }
  });

  it('the warning check is not vacuous: a bad spec does warn', () => {
    const bad = { data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, shape: { field: 'a', type: 'quantitative', aggregate: 'nope' } } };
    expect(compileStrict(bad as never).length).toBeGreaterThan(0);
  });

  it('leaves out regret, fault shading and whiskers when the run has none (http mode)', () => {
    const charts = buildCharts(httpLike());
    expect(charts.map((c) => c.id)).not.toContain('regret');
    for (const c of charts) {
      expect(compileStrict(c.spec), c.id).toEqual([]);
      const marks = [...walk(c.spec)].filter(([k]) => k === 'mark').map(([, v]) => (typeof v === 'string' ? v : (v as { type: string }).type));
      expect(marks, c.id).not.toContain('rule'); // no CI whiskers, no SLO rules
      expect(marks, c.id).not.toContain('rect'); // no fault windows
    }
  });

  it('shades fault windows and draws CI whiskers when present', () => {
    const charts = Object.fromEntries(buildCharts(sample()).map((c) => [c.id, JSON.stringify(c.spec)]));
    for (const id of ['throughput', 'latency', 'errors']) expect(charts[id], id).toContain('"rect"');
    expect(charts['latency-percentiles']).toContain('"rule"');
    expect(charts['cost-vs-p99']).toContain('p99Lo');
  });

  it('embeds all data inline: no spec reads a URL', () => {
    for (const c of buildCharts(sample())) {
      const urls = [...walk(c.spec)].filter(([k, v]) => k === 'url' && typeof v === 'string');
      expect(urls, c.id).toEqual([]);
    }
  });

  it('gives each strategy the same colour in every chart', () => {
    const scales = buildCharts(sample()).flatMap((c) =>
      [...walk(c.spec)]
        .filter(([k, v]) => k === 'color' && (v as { field?: string })?.field === 'strategy')
        .map(([, v]) => JSON.stringify((v as { scale: unknown }).scale)),
    );
    expect(scales.length).toBeGreaterThanOrEqual(6);
    expect(new Set(scales).size).toBe(1);
  });

  it('labels axes with units', () => {
    const text = buildCharts(sample()).map((c) => JSON.stringify(c.spec)).join('\n');
    for (const unit of ['(req/s)', '(ms)', '(USD)', '(s)']) expect(text).toContain(unit);
  });

  it('keeps a long run readable and fast: an hour of seconds becomes <= 600 points', () => {
    const r = longRun(3600);
    const charts = buildCharts(r);
    const rows = shareRows(r);
    expect(rows.length).toBeLessThanOrEqual(600 * r.strategies.length * 3);
    for (const c of charts) expect(() => compile(c.spec), c.id).not.toThrow();
  });
});

describe('report data helpers', () => {
  it('downsample averages rates and keeps the worst p99 of each bucket', () => {
    const tl = Array.from({ length: 1200 }, (_, t) => ({ t, rps: t % 2 === 0 ? 10 : 20, p50: 100, p99: t === 601 ? 9000 : 500, errors: 1, costUsd: 0.5, share: { a: 1 } }));
    const out = downsample(tl, 600);
    expect(out).toHaveLength(600);
    expect(out[0]).toMatchObject({ t: 0, rps: 15, p50: 100, p99: 500, errors: 1, costUsd: 0.5, share: { a: 1 } });
    expect(out[300]!.p99).toBe(9000); // seconds 600-601
  });

  it('paretoFront keeps the non-dominated points, ordered along x', () => {
    const pts = [
      { x: 1000, y: 1.0 }, // front
      { x: 1200, y: 1.2 }, // dominated by 0
      { x: 1400, y: 0.9 }, // front
      { x: 3000, y: 0.9 }, // dominated by 2 (same y, slower)
      { x: 900, y: 2.0 }, // front
    ];
    expect(paretoFront(pts)).toEqual([4, 0, 2]);
    expect(paretoFront([])).toEqual([]);
    expect(paretoFront([{ x: 1, y: 1 }, { x: 1, y: 1 }])).toEqual([0, 1]); // ties dominate nobody
  });

  it('marks the sample run\'s Pareto set and carries CIs into the rows', () => {
    const rows = paretoRows(sample());
    const front = rows.filter((r) => r.pareto).map((r) => r.strategy);
    expect(front).toEqual(['cost', 'latency']);
    expect(rows.every((r) => r.p99Lo !== undefined && r.costLo !== undefined)).toBe(true);
    const q = quantileRows(sample());
    expect(q).toHaveLength(5 * 3);
    expect(q.every((x) => x.lo !== undefined && x.hi !== undefined)).toBe(true);
    expect(CI_KEYS.p99).toBe('latencyMs.p99');
  });
});
