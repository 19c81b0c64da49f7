import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ResultsFile } from './contract.js';
import { buildHtml, type HtmlChart } from './html.js';
import { loadLibs } from './libs.js';
import { buildCharts, type ChartSpec } from './specs.js';

export interface WrittenReport {
  /** Absolute path of report.html. */
  html: string;
  /** Absolute paths, one per chart, in chart order. */
  svgs: string[];
  pngs: string[];
}

/**
 * Renders charts to <dir>/<id>.svg and <dir>/<id>.png and resolves to each chart's SVG
 * text, in the order given. The default renders in this thread one after another; the
 * scenario runner passes one that spreads charts over worker threads that loaded vega meanwhile. Either way
 * each chart goes through renderChartFiles, so the files are the same byte for byte.
 */
export type ChartRenderer = (charts: readonly ChartSpec[], dir: string) => Promise<string[]>;

export interface WriteReportOptions {
  render?: ChartRenderer;
}

/**
 * One chart -> <dir>/<id>.svg and .png; returns the SVG. vega and resvg are imported on
 * first use (~0.5 s), so a caller that renders elsewhere never pays for them.
 */
export async function renderChartFiles(chart: ChartSpec, dir: string): Promise<string> {
  const [{ specToSvg }, { svgToPng }] = await Promise.all([import('./svg.js'), import('./png.js')]);
  const svg = await specToSvg(chart.spec);
  await Promise.all([writeFile(join(dir, `${chart.id}.svg`), svg), writeFile(join(dir, `${chart.id}.png`), svgToPng(svg))]);
  return svg;
}

/** Charts one after another in this thread, which keeps peak memory low (~1 s for a report). */
export const renderInThread: ChartRenderer = async (charts, dir) => {
  const svgs: string[] = [];
  for (const chart of charts) svgs.push(await renderChartFiles(chart, dir));
  return svgs;
};

/**
 * Render a validated ResultsFile into `outDir`: report.html (self-contained, offline) plus
 * <chart-id>.svg and <chart-id>.png per chart. Callers validate first (parseResults).
 */
export async function writeReport(results: ResultsFile, outDir: string, opts: WriteReportOptions = {}): Promise<WrittenReport> {
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const libs = loadLibs();
  libs.catch(() => {}); // awaited below; do not let an early failure count as unhandled
  const charts = buildCharts(results);
  const svgTexts = await (opts.render ?? renderInThread)(charts, dir);
  const rendered: HtmlChart[] = charts.map((chart, i) => ({ chart, svg: svgTexts[i]!, files: [`${chart.id}.svg`, `${chart.id}.png`] }));
  const html = join(dir, 'report.html');
  await writeFile(html, buildHtml(results, rendered, await libs));
  return {
    html,
    svgs: charts.map((c) => join(dir, `${c.id}.svg`)),
    pngs: charts.map((c) => join(dir, `${c.id}.png`)),
  };
}
