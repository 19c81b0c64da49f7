import type { Config, TopLevelSpec } from 'vega-lite';
import type { FaultWindow } from './contract.js';
import { FAULT_FILL, FAULT_OPACITY, type ColourScale } from './palette.js';

/** Shared look: the bundled font (reports/fonts) so SVG, PNG and HTML agree, white background, readable sizes. */
export const FONT = 'DejaVu Sans';

export const CONFIG: Config = {
  font: FONT,
  background: 'white',
  padding: 12,
  title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'right' },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#ddd' },
  line: { strokeWidth: 1.8 },
};

/** Plot width of the wide charts: the page (max 1400 px) less the legend; the HTML scales SVGs down on narrow screens. */
export const WIDTH = 1000;
export const HEIGHT = 220;

/** One chart of the report: `id` names its files (id.svg, id.png), `spec` is pure Vega-Lite. */
export interface ChartSpec {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

/** A chart that would be all zeros says so in words instead (same id, so the report keeps its files). */
export function noteChart(id: string, title: string, note: string): ChartSpec {
  const spec = top({
    title: { text: title },
    width: WIDTH,
    height: 40,
    data: { values: [{ note }] },
    mark: { type: 'text', fontSize: 14, color: '#2e7d32', align: 'left', baseline: 'middle' },
    encoding: { text: { field: 'note' }, x: { value: 0 }, y: { value: 20 } },
    config: { ...CONFIG, view: { stroke: null } },
  });
  return { id, title, spec };
}

/** Loose building block for layers/facets; the finished TopLevelSpec is checked by compiling it (tests). */
export type Json = Record<string, unknown>;

export function top(body: Json): TopLevelSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...body } as TopLevelSpec;
}

export function colourEncoding(field: string, scale: ColourScale, title: string): Json {
  return { field, type: 'nominal', title, scale: { domain: scale.domain, range: scale.range }, sort: scale.domain };
}

export const TIME_X: Json = { field: 't', type: 'quantitative', title: 'time since start (s)', axis: { tickMinStep: 1 } };

/**
 * Fault windows as translucent rectangles behind the series, each labelled "provider kind".
 * A rect with only x/x2 spans the full plot height. Empty when the run had no faults.
 */
export function faultLayers(faults: readonly FaultWindow[] | undefined, dataName = 'faults'): Json[] {
  if (!faults || faults.length === 0) return [];
  const x = { field: 'start', type: 'quantitative' };
  return [
    {
      data: { name: dataName },
      mark: { type: 'rect', color: FAULT_FILL, opacity: FAULT_OPACITY },
      encoding: { x, x2: { field: 'end' }, tooltip: [{ field: 'provider' }, { field: 'kind' }, { field: 'start', title: 'start (s)' }, { field: 'end', title: 'end (s)' }] },
    },
    {
      data: { name: dataName },
      transform: [{ calculate: "datum.provider + ' ' + datum.kind", as: 'label' }],
      // Label just above the plot area, where it cannot collide with the series.
      mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 2, dy: -3, fontSize: 10, color: '#a31a1b' },
      encoding: { x, y: { value: 0 }, text: { field: 'label' } },
    },
  ];
}

/** Fault windows are shown as [start, end) seconds; the named dataset every layered time chart reads. */
export function faultData(faults: readonly FaultWindow[] | undefined): Json[] {
  return (faults ?? []).map((f) => ({ start: f.start, end: f.end, provider: f.provider, kind: f.kind }));
}
