import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { top, type ChartSpec, type Json } from '../../reports/specs-common.js';
import { escapeHtml } from '../../reports/table.js';
import type { ProfileFit } from './fit-profile.js';
import type { HoldoutResult } from './holdout.js';
import { modelCdf, modelQuantile } from './mixture.js';
import { lognormalCdf, lognormalQuantile } from './stats.js';

/**
 * The calibration report: Vega-Lite charts of data vs fitted model, one panel per
 * endpoint/file: a QQ plot of TTFT against the fitted model (lognormal or mixture), the ECDF of TTFT with
 * the fitted CDF, and, with --holdout, ECDFs of the held-out TTFT and end-to-end latency
 * against the simulated profile's. Rendered with reports/ (specToSvg, svgToPng) into
 * calibration.html (SVGs inline: offline, no scripts) plus one SVG and PNG per chart.
 */

export interface ReportEntry {
  fit: ProfileFit;
  holdout: HoldoutResult | null;
}

/** At most this many points per curve (ECDFs of big samples are thinned evenly). */
const MAX_POINTS = 200;

function ecdf(xs: readonly number[], group: string, series: string): Json[] {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const step = Math.max(1, Math.floor(n / MAX_POINTS));
  const out: Json[] = [];
  for (let i = 0; i < n; i += step) out.push({ group, series, x: s[i], p: (i + 1) / n });
  if ((n - 1) % step !== 0) out.push({ group, series, x: s[n - 1], p: 1 });
  return out;
}

const FACET: Json = { field: 'group', type: 'nominal', title: null };
const COLUMNS = 4;
const PANEL = { width: 220, height: 160 };

export function qqChart(entries: readonly ReportEntry[]): ChartSpec {
  const values: Json[] = [];
  for (const { fit } of entries) {
    const d = fit.dists.find((x) => x.name === 'ttft_ms');
    if (!d) continue;
    const mu = Math.log(d.median);
    const s = [...d.sample].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(s.length / MAX_POINTS));
    for (let i = 0; i < s.length; i += step)
      values.push({ group: fit.group, fitted: d.model ? modelQuantile(d.model, (i + 0.5) / s.length) : d.shift + lognormalQuantile((i + 0.5) / s.length, mu, d.sigma), data: s[i] });
  }
  const x = { field: 'fitted', type: 'quantitative', title: 'fitted quantile (ms)', scale: { zero: false } };
  return {
    id: 'ttft-qq',
    title: 'TTFT: QQ plot of the data against the fitted model: lognormal or mixture (on the line = a perfect fit)',
    spec: top({
      title: { text: 'TTFT QQ plot', subtitle: 'data quantile vs fitted quantile (ms); the line is y = x' },
      data: { values },
      facet: FACET,
      columns: COLUMNS,
      resolve: { scale: { x: 'independent', y: 'independent' } },
      spec: {
        ...PANEL,
        layer: [
          { mark: { type: 'line', color: '#999', strokeDash: [4, 3] }, encoding: { x, y: { field: 'fitted', type: 'quantitative', scale: { zero: false } } } },
          { mark: { type: 'point', filled: true, size: 14, opacity: 0.7 }, encoding: { x, y: { field: 'data', type: 'quantitative', title: 'data quantile (ms)', scale: { zero: false } } } },
        ],
      },
    }),
  };
}

function ecdfSpec(id: string, title: string, subtitle: string, xTitle: string, values: Json[]): ChartSpec {
  return {
    id,
    title,
    spec: top({
      title: { text: title, subtitle },
      data: { values },
      facet: FACET,
      columns: COLUMNS,
      resolve: { scale: { x: 'independent' } },
      spec: {
        ...PANEL,
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: xTitle, scale: { type: 'log' } },
          y: { field: 'p', type: 'quantitative', title: 'ECDF' },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' } },
        },
      },
    }),
  };
}

export function ttftEcdfChart(entries: readonly ReportEntry[]): ChartSpec {
  const values: Json[] = [];
  for (const { fit } of entries) {
    const d = fit.dists.find((x) => x.name === 'ttft_ms');
    if (!d) continue;
    values.push(...ecdf(d.sample, fit.group, 'data (fitted part)'));
    const mu = Math.log(d.median);
    const s = [...d.sample].sort((a, b) => a - b);
    const lo = s[0]!;
    const hi = s[s.length - 1]!;
    for (let i = 0; i <= 60; i++) {
      const x = lo * (hi / lo) ** (i / 60);
      values.push({ group: fit.group, series: 'fitted model', x, p: d.model ? modelCdf(d.model, x) : lognormalCdf(x - d.shift, mu, d.sigma) });
    }
  }
  return ecdfSpec('ttft-ecdf', 'TTFT: data vs fitted model', 'empirical CDF of the fitted part and the fitted CDF', 'TTFT (ms, log scale)', values);
}

export function holdoutChart(entries: readonly ReportEntry[], which: 'ttft' | 'e2e'): ChartSpec | null {
  const values: Json[] = [];
  for (const { fit, holdout } of entries) {
    const c = holdout?.[which];
    if (!c) continue;
    values.push(...ecdf(c.heldOut, fit.group, 'held-out data'), ...ecdf(c.simulated, fit.group, 'simulated (fitted profile)'));
  }
  if (values.length === 0) return null;
  const name = which === 'ttft' ? 'TTFT' : 'end-to-end latency';
  return ecdfSpec(`holdout-${which}-ecdf`, `Holdout: ${name}, held-out half vs the simulated profile`, 'the fitted profile run through the simulator on the held-out requests', `${name} (ms, log scale)`, values);
}

export function calibrationCharts(entries: readonly ReportEntry[]): ChartSpec[] {
  return [qqChart(entries), ttftEcdfChart(entries), holdoutChart(entries, 'ttft'), holdoutChart(entries, 'e2e')].filter((c): c is ChartSpec => c !== null);
}

/** Writes calibration.html and each chart's SVG and PNG into `dir`; returns the files. */
export async function writeCalibrationReport(dir: string, entries: readonly ReportEntry[], summary: string): Promise<string[]> {
  const [{ specToSvg }, { svgToPng }] = await Promise.all([import('../../reports/svg.js'), import('../../reports/png.js')]);
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const figures: string[] = [];
  for (const chart of calibrationCharts(entries)) {
    const svg = await specToSvg(chart.spec);
    await writeFile(join(dir, `${chart.id}.svg`), svg);
    await writeFile(join(dir, `${chart.id}.png`), svgToPng(svg));
    files.push(join(dir, `${chart.id}.svg`), join(dir, `${chart.id}.png`));
    figures.push(`<figure>${svg}<figcaption>${escapeHtml(chart.title)} · <a href="${chart.id}.svg">${chart.id}.svg</a> · <a href="${chart.id}.png">${chart.id}.png</a></figcaption></figure>`);
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Calibration report</title>
<style>body{font-family:'DejaVu Sans',system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222}pre{font-size:12px;background:#f6f6f6;padding:10px;overflow-x:auto}figure{margin:18px 0 30px}figcaption{font-size:12px;color:#777}svg{max-width:100%;height:auto}</style>
</head><body><h1>Calibration report</h1>
<h2>Goodness of fit</h2><pre>${escapeHtml(summary)}</pre>
<h2>Charts</h2>
${figures.join('\n')}
</body></html>
`;
  const page = join(dir, 'calibration.html');
  await writeFile(page, html);
  return [page, ...files];
}
