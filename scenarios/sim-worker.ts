import { parentPort, workerData } from 'node:worker_threads';
import type { ChartSpec } from '../reports/specs.js';
import type { Progress } from './progress.js';
import type { SimJobContext } from './sim-mode.js';
import type { PoolJob, WorkerMessage, WorkerRole } from './worker-pool.js';

/**
 * Worker-thread entry of scenarios/worker-pool.ts. Answers { id, job } with progress
 * messages and then { id, result } or { id, error }. Modules load lazily per job kind;
 * at boot the worker starts loading those of its role, so they are ready (and the
 * loading overlaps the parent's own start-up) by the time the first job arrives.
 */

const port = parentPort;
if (!port) throw new Error('scenarios/sim-worker.ts must run in a worker thread');
const { role } = workerData as { role: WorkerRole };

let simMod: Promise<typeof import('./sim-mode.js')> | undefined;
let renderMod: Promise<typeof import('../reports/render.js')> | undefined;

const loadSim = (): Promise<typeof import('./sim-mode.js')> =>
  (simMod ??= Promise.all([import('./sim-mode.js'), import('../simulator/run.js')]).then(([m]) => m));

/** The renderer plus vega, vega-lite, resvg and the font metrics it uses. */
const loadRender = (): Promise<typeof import('../reports/render.js')> =>
  (renderMod ??= Promise.all([import('../reports/render.js'), import('../reports/svg.js'), import('../reports/png.js')]).then(
    ([m, svg]) => {
      svg.useBundledFontMetrics();
      return m;
    },
  ));

/** A real job has arrived: the warm-up gives way. */
let busy = false;

/**
 * Render a synthetic report in memory (report-warmup.ts) so vega's and resvg's code is
 * compiled before the real charts arrive (~1/3 faster first renders). Chart by chart,
 * yielding to the event loop in between, and it stops as soon as a real job is here:
 * a worker started late goes straight to real work. Best effort: errors are ignored
 * (a real problem shows in the real job).
 */
async function warmUp(): Promise<void> {
  try {
    await loadRender();
    const [svg, png, specs, warm] = await Promise.all([
      import('../reports/svg.js'),
      import('../reports/png.js'),
      import('../reports/specs.js'),
      import('./report-warmup.js'),
    ]);
    port!.postMessage({ ready: 'loaded' } satisfies WorkerMessage);
    for (const chart of specs.buildCharts(warm.warmupResults())) {
      await new Promise((r) => setImmediate(r));
      if (busy) return;
      png.svgToPng(await svg.specToSvg(chart.spec));
    }
    port!.postMessage({ ready: 'warm' } satisfies WorkerMessage);
  } catch {
    // not needed for correctness
  }
}

// Boot-time warm-up; a load failure resurfaces (with its message) in the first job that needs the module.
if (role === 'sim') loadSim().then(() => port.postMessage({ ready: 'loaded' } satisfies WorkerMessage), () => {});
else void warmUp();

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

async function runJob(id: number, job: PoolJob): Promise<unknown> {
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

port.on('message', (msg: { id: number; job: PoolJob }) => {
  busy = true;
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
