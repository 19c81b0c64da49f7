import type { ChartSpec } from '../../reports/specs.js';
import type { StrategyRef } from '../spec/schema.js';
import { WorkerPool } from '../workers/worker-pool.js';
import type { SimJobContext } from './sim-mode.js';

/**
 * The worker pool of one scenario run (workers/worker-pool.ts on sim-worker.ts): sim-mode
 * strategies run on it in parallel, and the report's charts are rendered on it, so a
 * 2-core machine does both halves of the work at once. A 'sim' worker imports the
 * simulator at boot and a 'report' worker vega and resvg, while this thread is still busy
 * with something else. (A warm-up render of a synthetic report was tried: it cost the sim
 * on the main thread more than it saved the charts, ~1 s slower end to end.)
 */

export type SimPoolJob =
  | { kind: 'sim'; ctx: SimJobContext; ref: StrategyRef }
  /** Render one chart to <dir>/<id>.svg and .png; resolves to the SVG text. */
  | { kind: 'chart'; chart: ChartSpec; dir: string };

export type SimRole = 'sim' | 'report';

export type SimPool = WorkerPool<SimPoolJob, SimRole>;

const ENTRY = new URL('./sim-worker.ts', import.meta.url);
/** What reports/svg.ts and png.ts import: loaded before tsx in a report worker (see worker-boot.ts). */
const REPORT_PRELOAD = ['vega', 'vega-lite', '@resvg/resvg-js'];

export function openSimPool(o: { bundle?: boolean } = {}): Promise<SimPool> {
  return WorkerPool.open<SimPoolJob, SimRole>({ entry: ENTRY, ...(o.bundle !== undefined ? { bundle: o.bundle } : {}), preload: { report: REPORT_PRELOAD } });
}
