import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { BUNDLED_FONTS, loadFontMetrics, type FontMetrics } from './font-metrics.js';

/**
 * Vega-Lite spec -> SVG string, headless in Node (vega View with renderer 'none' + toSVG).
 * The loader refuses every load: report specs embed their data, so any attempt to fetch
 * (data URL, image href) is a bug we want to fail loudly, not a silent network call.
 */
interface TextItem {
  fontSize?: number | string;
  fontWeight?: number | string;
}

let metrics: { regular: FontMetrics; bold: FontMetrics } | undefined;

/**
 * Make headless vega measure text with the bundled font's real advance widths (vega's own
 * fallback without node-canvas is 0.8 em per character). Vega supports replacing
 * textMetrics.width for exactly this (vl-convert does the same). Process-wide, idempotent.
 * The `limit` truncation is left to vega, which calls this width for its search.
 */
export function useBundledFontMetrics(): void {
  if (metrics) return;
  const m = { regular: loadFontMetrics(BUNDLED_FONTS.regular), bold: loadFontMetrics(BUNDLED_FONTS.bold) };
  metrics = m;
  const tm = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
  tm.width = (item, text) => {
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    const w = item.fontWeight;
    const bold = w === 'bold' || w === 'bolder' || (typeof w === 'number' && w >= 600) || (typeof w === 'string' && Number(w) >= 600);
    const s = text == null ? '' : String(text).trim();
    return (bold ? m.bold : m.regular).widthEm(s) * size;
  };
}

export function offlineLoader(): vega.Loader {
  const loader = vega.loader();
  const refuse = (what: string) => (uri: string) =>
    Promise.reject(new Error(`report is offline: refused to ${what} "${uri}"`));
  loader.load = refuse('load');
  loader.sanitize = refuse('link');
  loader.http = refuse('fetch');
  loader.file = refuse('read');
  return loader;
}

/** Compile Vega-Lite to Vega; throws on an invalid spec. */
export function toVega(spec: TopLevelSpec): vega.Spec {
  return compile(spec).spec as vega.Spec;
}

export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  useBundledFontMetrics();
  const view = new vega.View(vega.parse(toVega(spec)), { renderer: 'none', loader: offlineLoader() });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
