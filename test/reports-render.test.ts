import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '../reports/render.js';
import { tableText } from '../reports/table.js';
import { parseResults } from '../reports/validate.js';
import { httpLike, sample } from './reports-helpers.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'reports-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('writeReport', () => {
  it('writes report.html plus a non-empty SVG and PNG per chart', async () => {
    const dir = join(tmp(), 'nested', 'out');
    const out = await writeReport(sample(), dir);
    expect(out.html).toBe(join(dir, 'report.html'));
    expect(out.svgs).toHaveLength(7);
    expect(out.pngs).toHaveLength(7);
    expect(statSync(out.html).size).toBeGreaterThan(500_000); // the inlined libraries alone are ~830 kB
    for (const f of out.svgs) {
      const svg = readFileSync(f, 'utf8');
      expect(svg.startsWith('<svg'), f).toBe(true);
      expect(svg, f).toContain('</svg>');
      expect(svg, f).toContain('DejaVu Sans');
    }
    for (const f of out.pngs) {
      const png = readFileSync(f);
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE), f).toBe(true);
      // IHDR: width and height are big-endian u32 at bytes 16 and 20; charts are rendered at 2x.
      expect(png.readUInt32BE(16), f).toBeGreaterThan(800);
      expect(png.readUInt32BE(20), f).toBeGreaterThan(300);
    }
  });

  it('renders an http-mode run (no regret chart) too', async () => {
    const out = await writeReport(httpLike(), tmp());
    expect(out.svgs.map((f) => f.split('/').pop())).toEqual([
      'throughput.svg',
      'latency.svg',
      'errors.svg',
      'provider-share.svg',
      'latency-percentiles.svg',
      'cost-vs-p99.svg',
    ]);
  });

  it('survives a degenerate run: one strategy, no requests, empty timeline', async () => {
    const r = parseResults(
      {
        scenario: 'empty', mode: 'http', seed: 1, durationS: 0,
        strategies: [{
          strategy: 'solo',
          summary: {
            requests: 0, ok: 0, errors: 0, errorRate: 0, throughputRps: 0,
            latencyMs: { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 }, ttftMs: { p50: 0, p99: 0 },
            costUsd: 0, costPer1kOk: 0, attemptsPerRequest: 0, providerShare: {}, failoverS: null, recoverS: null,
          },
          timeline: [],
        }],
      },
      'empty',
    );
    const out = await writeReport(r, tmp());
    expect(out.pngs).toHaveLength(6);
    expect(tableText(r)).toMatch(/solo\s+0\s+—/);
  });

  it('prints a text summary; a cell is marked best only when the verdict finds it significantly best', () => {
    const r = sample();
    const lines = tableText(r).split('\n');
    expect(lines[0]).toMatch(/^strategy\s+requests\s+ok %\s+goodput \/ s\s+p50 ms\s+p99 ms\s+p99\.9 ms\s+USD \/ 1k ok\s+failover s/);
    expect(lines).toHaveLength(2 + 5);
    expect(tableText(r)).not.toContain('*'); // lowest p99, but no verdict: not marked
    expect(lines.find((l) => l.startsWith('round-robin'))).toMatch(/never/); // never failed over
    const metric = { metric: 'latencyMs.p99', label: 'p99', better: 'lower', diff: 'relative', unit: 'ms', ranking: [], pairs: [], leaders: [] } as const;
    r.verdict = { question: 'q', seeds: [1, 2], level: 0.95, correction: 'bonferroni', metrics: [{ ...metric, ranking: [], pairs: [], leaders: [], winner: 'latency' }] };
    expect(tableText(r).split('\n').find((l) => l.startsWith('latency'))).toMatch(/1,002\*/);
    r.verdict.metrics[0]!.winner = null;
    expect(tableText(r)).not.toContain('*');
  });

  it('reads a percentile at the total deadline as "≥ deadline (N timeouts)"', () => {
    const r = sample();
    r.deadlineMs = 20_000;
    const s = r.strategies[0]!.summary;
    s.latencyMs.p999 = 19_990; // HDR bucket just under the deadline
    s.errorsByKind = { timeout: 3 };
    expect(tableText(r).split('\n').find((l) => l.startsWith(r.strategies[0]!.strategy))).toContain('≥ 20,000 ms (3 timeouts)');
  });

  it('adds a quality column only when the run judged quality', () => {
    expect(tableText(sample())).not.toContain('quality');
    const r = sample();
    r.strategies[0]!.summary.qualityOk = 0.9;
    r.strategies[1]!.summary.qualityOk = 0.75;
    const lines = tableText(r).split('\n');
    expect(lines[0]).toContain('quality ok %');
    expect(lines[2]).toMatch(/90\.0/);
    expect(lines[3]).toMatch(/75\.0/);
  });
});
