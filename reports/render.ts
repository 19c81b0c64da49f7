import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ResultsFile } from './contract.js';
import { buildHtml, type HtmlChart } from './html.js';
import { loadLibs } from './libs.js';
import { svgToPng } from './png.js';
import { buildCharts } from './specs.js';
import { specToSvg } from './svg.js';

export interface WrittenReport {
  /** Absolute path of report.html. */
  html: string;
  /** Absolute paths, one per chart, in chart order. */
  svgs: string[];
  pngs: string[];
}

/**
 * Render a validated ResultsFile into `outDir`: report.html (self-contained, offline) plus
 * <chart-id>.svg and <chart-id>.png per chart. Callers validate first (parseResults);
 * the charts are rendered one after another, which keeps peak memory low and takes ~1 s.
 */
export async function writeReport(results: ResultsFile, outDir: string): Promise<WrittenReport> {
  const dir = resolve(outDir);
  await mkdir(dir, { recursive: true });
  const libs = loadLibs();
  const rendered: HtmlChart[] = [];
  const svgs: string[] = [];
  const pngs: string[] = [];
  for (const chart of buildCharts(results)) {
    const svg = await specToSvg(chart.spec);
    const svgPath = join(dir, `${chart.id}.svg`);
    const pngPath = join(dir, `${chart.id}.png`);
    await writeFile(svgPath, svg);
    await writeFile(pngPath, svgToPng(svg));
    svgs.push(svgPath);
    pngs.push(pngPath);
    rendered.push({ chart, svg, files: [`${chart.id}.svg`, `${chart.id}.png`] });
  }
  const html = join(dir, 'report.html');
  await writeFile(html, buildHtml(results, rendered, await libs));
  return { html, svgs, pngs };
}
