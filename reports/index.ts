/**
 * reports/: results.json -> charts and report. The entry points other modules use;
 * the contract types live in ./contract.ts.
 */
export type * from './contract.js';
export { writeReport, type WrittenReport } from './render.js';
export { parseResults, resultsSchema, ResultsError } from './validate.js';
export { buildCharts, type ChartSpec } from './specs.js';
export { summaryRows, tableHtml, tableText } from './table.js';
export { CI_KEYS } from './data.js';
export { specToSvg } from './svg.js';
export { svgToPng } from './png.js';
