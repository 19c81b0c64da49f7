/**
 * Colours: one fixed colour per strategy and one per provider, decided once per report and
 * passed to every chart as an explicit scale domain+range. Vega would otherwise assign colours
 * per chart in data order, so "adaptive" could be blue in one chart and orange in the next.
 */

/** Tableau 10: distinct, colour-blind-friendlier than the default category10 order. */
const STRATEGY_COLOURS = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
];

/** A separate, darker set for providers so a provider is never mistaken for a strategy. */
const PROVIDER_COLOURS = [
  '#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e',
  '#e6ab02', '#a6761d', '#666666', '#17becf', '#8c564b',
];

export interface ColourScale {
  domain: string[];
  range: string[];
}

/** Colours cycle after 10 names; beyond that, labels still disambiguate. */
function scaleOf(names: string[], palette: string[]): ColourScale {
  return { domain: names, range: names.map((_, i) => palette[i % palette.length] as string) };
}

/** Strategies keep the order they were run in (the order the results list them). */
export function strategyScale(strategies: string[]): ColourScale {
  return scaleOf(strategies, STRATEGY_COLOURS);
}

/** Providers are sorted by name so the same provider gets the same colour in every report. */
export function providerScale(providers: Iterable<string>): ColourScale {
  return scaleOf([...new Set(providers)].sort(), PROVIDER_COLOURS);
}

/** Fault windows: a neutral red wash that does not compete with the series colours. */
export const FAULT_FILL = '#d62728';
export const FAULT_OPACITY = 0.12;
