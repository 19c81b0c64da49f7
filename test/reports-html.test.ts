import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineSvg, jsonForScript } from '../reports/html.js';
import { writeReport } from '../reports/render.js';
import { sample } from './reports-helpers.js';

/**
 * "No external URL" made concrete: (1) nothing in the markup loads from the network (no
 * src/href/url() to http(s) or protocol-relative URLs, no <link>, no @import); (2) outside the
 * three inlined library scripts the page holds no http(s) string at all; (3) the inlined
 * libraries really run from the page alone, and rendering every embedded spec with them makes
 * zero fetch calls (checked against a spec that does fetch, so the spy is known to work).
 */

let dir: string;
let html: string;
let scripts: { attrs: string; body: string }[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reports-html-'));
  html = readFileSync((await writeReport(sample(), dir)).html, 'utf8');
  scripts = [...html.matchAll(/<script(?<attrs>[^>]*)>(?<body>[\s\S]*?)<\/script>/g)].map((m) => ({ attrs: m.groups!.attrs!, body: m.groups!.body! }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LIB_BANNER = /^\/\* (vega|vega-lite|vega-embed) [\d.]+ \(BSD-3-Clause\), inlined for offline viewing \*\//;
const libScripts = (): { attrs: string; body: string }[] => scripts.filter((s) => LIB_BANNER.test(s.body));

/** A vm realm standing in for the browser window: only what the libraries need, plus a fetch spy. */
function browserish(fetches: string[]): vm.Context {
  const ctx: Record<string, unknown> = {
    console, structuredClone, TextEncoder, TextDecoder, URL, performance, queueMicrotask, setTimeout, clearTimeout, setInterval, clearInterval,
    fetch: (u: unknown) => {
      fetches.push(String(u));
      return Promise.reject(new Error('network disabled in test'));
    },
  };
  ctx.window = ctx;
  ctx.self = ctx;
  return vm.createContext(ctx);
}

describe('report.html is self-contained and offline', () => {
  it('loads nothing from the network in its markup', () => {
    // Match results (not the 1 MB page) go into the assertions, so failures stay readable.
    expect(scripts.filter((s) => /\bsrc\s*=/i.test(s.attrs)).map((s) => s.attrs)).toEqual([]);
    const markup = html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '');
    expect(markup.match(/<(link|img|iframe|object|embed|source|video|audio|base)\b[^>]*>/gi)).toBeNull();
    expect(markup.match(/@import[^;]*/gi)).toBeNull();
    const attrs = [...markup.matchAll(/\b(?:src|href|xlink:href|action|data)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]!);
    expect(attrs.length).toBeGreaterThan(0); // the sibling .svg/.png download links
    expect(attrs.filter((a) => /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(a))).toEqual([]); // relative paths only
    expect(markup.match(/url\(\s*["']?(?:[a-z]+:)?\/\/[^)]*\)/gi)).toBeNull();
  });

  it('holds no http(s) URL anywhere outside the inlined library code', () => {
    expect(libScripts().map((s) => LIB_BANNER.exec(s.body)![1])).toEqual(['vega', 'vega-lite', 'vega-embed']);
    let rest = html;
    for (const s of libScripts()) rest = rest.replace(s.body, '');
    expect(rest.match(/.{0,60}https?:\/\/.{0,60}/gi)).toBeNull();
    expect(rest.length).toBeLessThan(html.length / 2);
  });

  it('runs the inlined libraries alone and renders every embedded chart without a single fetch', async () => {
    const fetches: string[] = [];
    const ctx = browserish(fetches);
    for (const s of libScripts()) vm.runInContext(s.body, ctx);
    const g = ctx as unknown as { vega: any; vegaLite: any; vegaEmbed: unknown };
    expect(typeof g.vegaEmbed).toBe('function');
    const data = scripts.find((s) => s.attrs.includes('id="report-charts"'))!;
    const charts = JSON.parse(data.body) as { id: string; spec: Record<string, unknown> }[];
    expect(charts.map((c) => c.id)).toEqual(['throughput', 'latency', 'errors', 'provider-share', 'latency-percentiles', 'cost-vs-p99', 'regret']);
    for (const c of charts) {
      expect(c.spec.$schema, c.id).toBeUndefined();
      // The page's own copy of vega's default loader: it would fetch a URL if a spec had one.
      const view = new g.vega.View(g.vega.parse(g.vegaLite.compile(c.spec).spec), { renderer: 'none' });
      expect(await view.toSVG(), c.id).toContain('<svg');
      view.finalize();
    }
    expect(fetches).toEqual([]);

    // Positive control: the same setup does notice a spec that loads data from a URL.
    const remote = { data: { url: 'https://example.invalid/data.csv' }, mark: 'point' };
    const view = new g.vega.View(g.vega.parse(g.vegaLite.compile(remote).spec), { renderer: 'none' });
    await view.runAsync().catch(() => undefined);
    view.finalize();
    expect(fetches).toEqual(['https://example.invalid/data.csv']);
  });

  it('inlines a static SVG per chart (readable with scripts off) and the summary table', () => {
    expect(html.match(/<div class="vis" id="vis-[\w-]+"><svg/g)).toHaveLength(7);
    expect(html).toContain('<table class="summary">');
    expect(html).toContain('Scenario report: brownout');
  });

  it('escapes embedded JSON and namespaces inlined SVG ids', () => {
    expect(jsonForScript({ s: '</script><b>' })).toBe('{"s":"\\u003c/script>\\u003cb>"}');
    expect(JSON.parse(jsonForScript({ s: '</script>' }))).toEqual({ s: '</script>' });
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><clipPath id="clip1"></clipPath><g clip-path="url(#clip1)"></g></svg>';
    expect(inlineSvg(svg, 'latency')).toBe('<svg><clipPath id="latency-clip1"></clipPath><g clip-path="url(#latency-clip1)"></g></svg>');
  });
});
