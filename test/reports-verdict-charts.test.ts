/** Report fixes of the verdict issue: no all-zero charts, quality vs cost, labels that do not overprint, the verdict section. */
import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import { coincidentLabels, labelSlots, paretoRows } from '../reports/data.js';
import { qualityRows } from '../reports/specs-quality.js';
import { buildCharts } from '../reports/specs.js';
import { verdictHtml } from '../reports/verdict-html.js';
import { buildVerdict } from '../scenarios/stats/verdict.js';
import { sample } from './reports-helpers.js';

describe('report charts', () => {
  it('says "no errors" instead of drawing an all-zero errors chart', () => {
    const r = sample();
    for (const s of r.strategies) {
      s.summary.errors = 0;
      s.summary.errorRate = 0;
      for (const p of s.timeline) p.errors = 0;
    }
    const errors = buildCharts(r).find((c) => c.id === 'errors')!;
    expect(JSON.stringify(errors.spec)).toContain('no errors');
    expect(JSON.stringify(errors.spec)).not.toContain('errorRate');
    expect(() => compile(errors.spec)).not.toThrow();
    expect(JSON.stringify(buildCharts(sample()).find((c) => c.id === 'errors')!.spec)).toContain('errorRate');
  });

  it('adds a quality-vs-cost chart with its Pareto front only when requests were judged for quality', () => {
    expect(buildCharts(sample()).some((c) => c.id === 'quality-vs-cost')).toBe(false);
    const r = sample();
    const [a, b, c] = r.strategies;
    Object.assign(a!.summary, { qualityOk: 0.9, costPer1kOk: 1 }); // best quality, dearest
    Object.assign(b!.summary, { qualityOk: 0.7, costPer1kOk: 0.1 }); // cheapest
    Object.assign(c!.summary, { qualityOk: 0.6, costPer1kOk: 0.5 }); // dominated by b
    const rows = qualityRows(r);
    expect(rows.filter((x) => x.pareto).map((x) => x.strategy).sort()).toEqual([a!.strategy, b!.strategy].sort());
    const chart = buildCharts(r).find((x) => x.id === 'quality-vs-cost');
    expect(chart).toBeDefined();
    expect(() => compile(chart!.spec)).not.toThrow();
  });

  it('labels coinciding points once ("cost, classifier ★") and moves nearby labels to another row', () => {
    const pts = [{ x: 1, y: 1 }, { x: 1, y: 1 }, { x: 1.01, y: 1.01 }, { x: 10, y: 10 }];
    const labels = coincidentLabels(['cost', 'classifier', 'near', 'far'], pts, [0, 1]);
    expect(labels).toEqual(['cost, classifier ★', '', 'near', 'far']);
    expect(labelSlots(pts, labels)).toEqual([0, 0, 1, 0]);
    const r = sample();
    r.strategies[1]!.summary = { ...r.strategies[0]!.summary };
    const rows = paretoRows(r);
    expect(rows[0]!.label).toContain(`${r.strategies[0]!.strategy}, ${r.strategies[1]!.strategy}`);
    expect(rows[1]!.label).toBe('');
  });
});

describe('verdict section of report.html', () => {
  it('states the question, the method and each comparison; without seeds it says why there is none', () => {
    const r = sample();
    expect(verdictHtml(r)).toContain('No verdict: this run has one seed');
    const seeds = [1, 2, 3];
    const perSeed = seeds.map((k) =>
      r.strategies.map((s, i) => ({ ...s, summary: { ...s.summary, latencyMs: { ...s.summary.latencyMs, p99: (1000 + 10 * k) * (i + 1) } } })),
    );
    r.verdict = buildVerdict({ question: 'Which is <fastest>?', metrics: ['latencyMs.p99'], seeds }, perSeed);
    const html = verdictHtml(r);
    expect(html).toContain('Which is &#60;fastest&#62;?');
    expect(html).toContain('Bonferroni-corrected over the 10 pairs of each metric');
    expect(html).toContain(`${r.strategies[0]!.strategy} beats ${r.strategies[1]!.strategy} on p99 by`);
    expect(html).toContain(`${r.strategies[0]!.strategy} is significantly best`);
  });
});
