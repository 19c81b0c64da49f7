import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildHtml, type HtmlChart } from '../../reports/html.js';
import { loadLibs } from '../../reports/libs.js';
import { svgToPng } from '../../reports/png.js';
import { quantilesChart, paretoChart } from '../../reports/specs-summary.js';
import { latencyChart, shareChart } from '../../reports/specs-time.js';
import { providersOf } from '../../reports/data.js';
import { providerScale, strategyScale } from '../../reports/palette.js';
import type { ChartSpec } from '../../reports/specs-common.js';
import { specToSvg } from '../../reports/svg.js';
import { escapeHtml } from '../../reports/table.js';
import { latestEvaluations, tuneCiChart, tuneParetoChart } from './specs.js';
import type { TuneOutcome } from './tune.js';

/**
 * report.html of a tune run: the reports/ page (offline, vega inlined, a pre-rendered SVG
 * per chart, the summary table of default vs tuned with ± CIs) with a tuning section in
 * front: objective, plan, parameters default → tuned, held-out verdict. Charts: every
 * evaluated config (Pareto), default vs tuned CIs, then the usual per-strategy charts.
 * Each chart is also written as SVG and PNG next to the page.
 */

const fmtV = (v: unknown): string =>
  typeof v === 'number' ? String(Number(v.toPrecision(4))) : typeof v === 'boolean' ? String(v) : JSON.stringify(v);

function tuneSection(o: TuneOutcome): string {
  const def = o.search.candidates[0]!.values;
  const rows = o.space
    .map((p) => {
      const a = def[p.name];
      const b = o.best.values[p.name];
      const changed = fmtV(a) !== fmtV(b);
      const how = o.pins[p.name] !== undefined ? 'pinned' : o.searched.includes(p) ? `${p.kind} ${p.kind === 'bool' ? '' : `${p.min}..${p.max}`}` : 'not searched';
      return `<tr><th scope="row">${escapeHtml(p.name)}</th><td>${escapeHtml(fmtV(a))}</td><td${changed ? ' class="best"' : ''}>${escapeHtml(fmtV(b))}</td><td>${escapeHtml(how)}</td><td style="text-align:left">${escapeHtml(p.what)}</td></tr>`;
    })
    .join('\n');
  const plan = o.search.rungs
    .map((r) => `rung ${r.index + 1}: ${r.configs} configs × ${r.seeds} seed${r.seeds > 1 ? 's' : ''} × ${r.durationS} s`)
    .join(' → ');
  const h = o.holdout;
  const better = h.tuned.feasible === h.default.feasible ? h.tuned.value <= h.default.value : h.tuned.feasible;
  const verdict = o.holdoutSeeds.length
    ? `<p class="meta">held-out seeds ${escapeHtml(o.holdoutSeeds.join(', '))}: tuned <b>${fmtV(h.tuned.value)}</b>${h.tuned.feasible ? '' : ' (breaks a constraint)'} vs default <b>${fmtV(h.default.value)}</b>${h.default.feasible ? '' : ' (breaks a constraint)'} → ${better ? 'the tuned config holds up on seeds it never saw' : '<span class="err">the tuned config does NOT beat the default on held-out seeds (overfitted to the search seeds?)</span>'}</p>`
    : '<p class="meta">no held-out check (--holdout 0)</p>';
  const status = o.satisfied
    ? `<p class="meta">winner: config <b>#${o.best.id}</b> of ${latestEvaluations(o.search.evaluations).length} evaluated${o.best.id === 0 ? ' (the default: nothing beat it)' : ''}</p>`
    : '<p class="meta err">no evaluated config met the constraints; the closest is shown as "tuned" and no tuned-config.yaml was written</p>';
  return `<h2>Tuning</h2>
<p class="meta">strategy <b>${escapeHtml(o.strategy)}</b> · objective: <b>${escapeHtml(o.objectiveText)}</b></p>
<p class="meta">random search (seed ${o.seed}), ${o.budget} candidates, successive halving (eta ${o.eta}) on search seeds ${escapeHtml(o.searchSeeds.join(', '))}: ${escapeHtml(plan)} · ${o.mode === 'workers' ? `${o.workers} worker threads` : 'in-thread'} · ${o.wallS.toFixed(1)} s</p>
${status}
${verdict}
<div class="table-wrap"><table class="summary wrap-last"><thead><tr><th>parameter</th><th>default</th><th>tuned</th><th>search</th><th style="text-align:left">meaning</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
}

export function tuneCharts(o: TuneOutcome): ChartSpec[] {
  const r = o.comparison;
  const strategies = strategyScale(r.strategies.map((s) => s.strategy));
  const providers = providerScale(providersOf(r));
  return [tuneParetoChart(o), tuneCiChart(r), quantilesChart(r, strategies), paretoChart(r, strategies), latencyChart(r, strategies), shareChart(r, strategies, providers)];
}

export async function writeTuneReport(o: TuneOutcome): Promise<string[]> {
  await mkdir(o.outDir, { recursive: true });
  const libs = loadLibs();
  const rendered: HtmlChart[] = [];
  const files: string[] = [];
  for (const chart of tuneCharts(o)) {
    const svg = await specToSvg(chart.spec);
    await writeFile(join(o.outDir, `${chart.id}.svg`), svg);
    await writeFile(join(o.outDir, `${chart.id}.png`), svgToPng(svg));
    files.push(join(o.outDir, `${chart.id}.svg`), join(o.outDir, `${chart.id}.png`));
    rendered.push({ chart, svg, files: [`${chart.id}.svg`, `${chart.id}.png`] });
  }
  const page = buildHtml(o.comparison, rendered, await libs)
    .replace(/<title>[^<]*<\/title>/, `<title>Tune report: ${escapeHtml(o.scenario)} (${escapeHtml(o.strategy)})</title>`)
    .replace(/<h1>[^<]*<\/h1>/, `<h1>Tune report: ${escapeHtml(o.scenario)} · ${escapeHtml(o.strategy)}</h1>`)
    .replace('</header>', () => `</header>\n${tuneSection(o)}`);
  const html = join(o.outDir, 'report.html');
  await writeFile(html, page);
  return [html, ...files];
}
