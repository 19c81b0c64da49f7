import type { ResultsFile } from './contract.js';
import { scriptSafe, type InlineLib } from './libs.js';
import type { ChartSpec } from './specs-common.js';
import { escapeHtml, tableHtml } from './table.js';
import { verdictHtml } from './verdict-html.js';

/**
 * One self-contained, offline report.html: the vega/vega-lite/vega-embed builds inlined,
 * chart specs embedded as JSON (data inline), and each chart's pre-rendered SVG in place so
 * the page reads even with scripts off. vega-embed then swaps in the live chart (tooltips).
 * Nothing in the page points to a network URL; the vega loader is told to refuse all loads.
 */

export interface HtmlChart {
  chart: ChartSpec;
  /** Pre-rendered SVG (from svg.ts), inlined as the no-script fallback. */
  svg: string;
  /** Sibling file names for the download links, relative to report.html. */
  files: string[];
}

const CSS = `
body { font-family: 'DejaVu Sans', system-ui, sans-serif; margin: 24px auto; max-width: 1400px; padding: 0 16px; color: #222; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; }
.meta { color: #555; margin: 0 0 4px; } .meta b { color: #222; }
table.summary { border-collapse: collapse; font-size: 13px; }
table.summary th, table.summary td { border-bottom: 1px solid #e3e3e3; padding: 5px 10px; text-align: right; white-space: nowrap; }
table.summary thead th { border-bottom: 2px solid #999; vertical-align: bottom; white-space: normal; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table.summary.wrap-last td:last-child { white-space: normal; text-align: left; }
table.summary th[scope=row], table.summary thead th:first-child { text-align: left; }
table.summary td.best { font-weight: bold; background: #eef7ee; }
table.summary td.breach { color: #b3261e; } table.summary td.breach::after { content: ' !'; }
.ci { color: #777; font-size: 11px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 7px; vertical-align: -1px; }
.legend-note { color: #666; font-size: 12px; margin-top: 6px; }
figure { margin: 18px 0 30px; } figcaption { font-size: 12px; color: #777; }
figcaption a { color: #555; } .vis svg { max-width: 100%; height: auto; }
.err { color: #b3261e; }
h3 { font-size: 14px; margin: 14px 0 4px; } .question { font-size: 15px; font-weight: bold; margin: 0 0 4px; }
ul.verdict { margin: 4px 0; font-size: 13px; } ul.verdict li.ns { color: #777; }
details { font-size: 13px; margin: 2px 0 8px; } summary { cursor: pointer; color: #555; }
`;

/** The page script: embed every chart with an offline loader; on failure keep the static SVG. */
const BOOT = `
(function () {
  var charts = JSON.parse(document.getElementById('report-charts').textContent);
  var loader = vega.loader();
  var refuse = function (uri) { return Promise.reject(new Error('offline report: refused to load ' + uri)); };
  loader.load = refuse; loader.sanitize = refuse; loader.http = refuse; loader.file = refuse;
  charts.forEach(function (c) {
    var el = document.getElementById('vis-' + c.id);
    var fallback = el.innerHTML;
    vegaEmbed(el, c.spec, { mode: 'vega-lite', renderer: 'svg', actions: false, loader: loader }).catch(function (e) {
      el.innerHTML = fallback;
      var p = document.createElement('p'); p.className = 'err'; p.textContent = 'interactive chart failed: ' + e.message;
      el.appendChild(p);
    });
  });
})();
`;

/** JSON inside <script type="application/json">: "<" escaped so no string can close the tag. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * Prepare a standalone SVG for inlining: drop the XML namespace declarations (HTML does not
 * need them, and they are the only http:// strings vega writes) and prefix ids, so clip-path
 * ids from several charts cannot collide on one page.
 */
export function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/\s+xmlns(:\w+)?="[^"]*"/g, '')
    .replace(/xlink:href=/g, 'href=')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

/** Fault bounds may be fractions of the run (e.g. 20/3 s): one decimal is enough to read. */
const secs = (x: number): string => String(Math.round(x * 10) / 10);

function metaHtml(r: ResultsFile): string {
  const seeds = r.seeds && r.seeds.length > 1 ? `seeds <b>${escapeHtml(r.seeds.join(', '))}</b> (95% CIs shown)` : `seed <b>${r.seed}</b>`;
  const parts = [
    `mode <b>${escapeHtml(r.mode)}</b>`,
    seeds,
    `<b>${r.durationS}</b> s`,
    `<b>${r.strategies.length}</b> strategies`,
  ];
  const lines = [`<p class="meta">${parts.join(' · ')}</p>`];
  if (r.faults?.length)
    lines.push(`<p class="meta">faults: ${r.faults.map((f) => `<b>${escapeHtml(f.provider)}</b> ${escapeHtml(f.kind)} ${secs(f.start)}–${secs(f.end)} s`).join('; ')}</p>`);
  const slo = r.slo;
  if (slo && (slo.p99Ms !== undefined || slo.errorRate !== undefined || slo.costPer1kOk !== undefined)) {
    const s = [
      slo.p99Ms !== undefined ? `p99 ≤ ${slo.p99Ms} ms` : '',
      slo.errorRate !== undefined ? `error rate ≤ ${(slo.errorRate * 100).toFixed(2)} %` : '',
      slo.costPer1kOk !== undefined ? `cost ≤ ${slo.costPer1kOk} USD / 1k ok` : '',
    ].filter(Boolean);
    lines.push(`<p class="meta">SLOs: ${escapeHtml(s.join(', '))}</p>`);
  }
  const oracle = r.strategies.find((s) => s.summary.oracleCachedTokenShare !== undefined)?.summary.oracleCachedTokenShare;
  if (oracle !== undefined)
    lines.push(`<p class="meta">prompt cache: the oracle placement (one cache with every endpoint's capacity) would serve ${(100 * oracle).toFixed(1)} % of input tokens from cache</p>`);
  if (r.generatedBy) lines.push(`<p class="meta">generated by ${escapeHtml(r.generatedBy)}</p>`);
  return lines.join('\n');
}

export function buildHtml(r: ResultsFile, charts: HtmlChart[], libs: InlineLib[]): string {
  const title = `Scenario report: ${r.scenario}`;
  // Specs go in without "$schema" (a URL vega-embed would only use to guess the mode; we pass it).
  const specs = charts.map(({ chart }) => {
    const { $schema: _drop, ...spec } = chart.spec as { $schema?: string };
    return { id: chart.id, spec };
  });
  const figures = charts
    .map(({ chart, svg, files }) => {
      const links = files.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f)}</a>`).join(' · ');
      return `<figure id="fig-${chart.id}">\n<div class="vis" id="vis-${chart.id}">${inlineSvg(svg, chart.id)}</div>\n<figcaption>${escapeHtml(chart.title)} · ${links}</figcaption>\n</figure>`;
    })
    .join('\n');
  const scripts = libs.map((l) => `<script>/* ${l.name} ${l.version} (BSD-3-Clause), inlined for offline viewing */\n${scriptSafe(l.code)}\n</script>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
${metaHtml(r)}
</header>
${verdictHtml(r)}
<h2>Summary</h2>
<div class="table-wrap">${tableHtml(r)}</div>
<p class="legend-note">bold on green: significantly better than every other strategy on that metric (verdict below; never from one seed) · red with !: breaks the scenario SLO · ± : half-width of the 95% CI across seeds · goodput: ok requests within the p99 SLO per second · ≥ deadline: that percentile is a timeout, not a measurement · failover: seconds from fault onset until the faulty provider's share stays under 5 % for 3 s</p>
<h2>Charts</h2>
${figures}
<script type="application/json" id="report-charts">${jsonForScript(specs)}</script>
${scripts}
<script>${BOOT}</script>
</body>
</html>
`;
}
