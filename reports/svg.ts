import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Vega-Lite spec -> SVG string, headless in Node (vega View with renderer 'none' + toSVG).
 * The loader refuses every load: report specs embed their data, so any attempt to fetch
 * (data URL, image href) is a bug we want to fail loudly, not a silent network call.
 */
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
  const view = new vega.View(vega.parse(toVega(spec)), { renderer: 'none', loader: offlineLoader() });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
