import { parentPort, workerData } from 'node:worker_threads';
import type { ChartSpec } from '../../reports/specs.js';
import type { Progress } from '../progress/progress.js';
import type { SimJobContext } from './sim-mode.js';
import type { JobMessage, WorkerMessage } from '../workers/worker-pool.js';
import type { SimPoolJob, SimRole } from './sim-pool.js';

/**
 * Worker-thread entry of the scenario run's pool (sim-pool.ts). Answers { id, job } with progress
 * messages and then { id, result } or { id, error }. Modules load lazily per job kind;
 * at boot the worker starts loading those of its role, so they are ready (and the
 * loading overlaps the parent's own start-up) by the time the first job arrives.
 */

const port = parentPort;
if (!port) throw new Error('scenarios/modes/sim-worker.ts must run in a worker thread');
const { role } = workerData as { role: SimRole };

let simMod: Promise<typeof import('./sim-mode.js')> | undefined;
let renderMod: Promise<typeof import('../../reports/render.js')> | undefined;

const loadSim = (): Promise<typeof import('./sim-mode.js')> =>
  (simMod ??= Promise.all([import('./sim-mode.js'), import('../../simulator/run.js')]).then(([m]) => m));

/** The renderer plus vega, vega-lite, resvg and the font metrics it uses. */
const loadRender = (): Promise<typeof import('../../reports/render.js')> =>
  (renderMod ??= Promise.all([import('../../reports/render.js'), import('../../reports/svg.js'), import('../../reports/png.js')]).then(
    ([m, svg]) => {
      svg.useBundledFontMetrics();
      return m;
    },
  ));

// Boot-time loading; a failure resurfaces (with its message) in the first job that needs the module.
const loaded = (): void => port.postMessage({ ready: 'loaded' } satisfies WorkerMessage);
if (role === 'sim') loadSim().then(loaded, () => {});
else loadRender().then(loaded, () => {});

/** Progress of one sim job, posted at most ~100 times per run. */
function progressFor(id: number, durationS: number): Progress {
  const step = Math.max(1, durationS / 100);
  let posted = 0;
  return {
    start() {},
    update(value) {
      if (value - posted >= step || value >= durationS) {
        posted = value;
        port!.postMessage({ id, progress: value } satisfies WorkerMessage);
      }
    },
    stop() {},
  };
}

async function runJob(id: number, job: SimPoolJob): Promise<unknown> {
  switch (job.kind) {
    case 'sim': {
      const { runOne } = await loadSim();
      const ctx: SimJobContext = job.ctx;
      return runOne({ ...ctx, progress: progressFor(id, ctx.durationS), log: () => {} }, job.ref);
    }
    case 'chart': {
      const { renderChartFiles } = await loadRender();
      return renderChartFiles(job.chart as ChartSpec, job.dir);
    }
  }
}

port.on('message', (msg: JobMessage<SimPoolJob>) => {
  runJob(msg.id, msg.job).then(
    (result) => port.postMessage({ id: msg.id, result } satisfies WorkerMessage),
    (e: unknown) =>
      port.postMessage({
        id: msg.id,
        error: e instanceof Error ? e.message : String(e),
        ...(e instanceof Error && e.stack ? { stack: e.stack } : {}),
      } satisfies WorkerMessage),
  );
});
