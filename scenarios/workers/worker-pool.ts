import type { Worker } from 'node:worker_threads';
import type { ChartSpec } from '../../reports/specs.js';
import type { StrategyResult } from '../../reports/contract.js';
import type { SimJobContext } from '../modes/sim-mode.js';
import type { StrategyRef } from '../spec/schema.js';
import { phase } from '../progress/phase-timer.js';
import { prepareWorkerScript, startWorker, tsxScript, type WorkerScript } from './worker-boot.js';

/**
 * The worker threads of one scenario run (scenarios/sim-worker.ts): sim-mode strategies
 * run on them in parallel, and the report's charts are rendered on them, so a 2-core
 * machine does both halves of the work at once. One job per worker at a time, in
 * submission order (a plain FIFO; callers submit the most expensive jobs first).
 * A failed job rejects with the worker's message; a crashed worker rejects its job and
 * leaves the pool. close() terminates every worker (nothing outlives the run).
 */

export type PoolJob =
  | { kind: 'sim'; ctx: SimJobContext; ref: StrategyRef }
  /** Render one chart to <dir>/<id>.svg and .png; resolves to the SVG text. */
  | { kind: 'chart'; chart: ChartSpec; dir: string };

export type WorkerRole = 'sim' | 'report';

/** Messages a worker posts: progress of a job, its result, or its error. */
export type WorkerMessage =
  /** Boot-time modules loaded; for SCENARIO_TIMING. */
  | { ready: 'loaded' }
  | { id: number; progress: number }
  | { id: number; result: unknown }
  | { id: number; error: string; stack?: string };

type JobResult<J extends PoolJob> = J extends { kind: 'sim' } ? StrategyResult : string;

interface Pending {
  id: number;
  job: PoolJob;
  label: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress: ((value: number) => void) | undefined;
}

interface Slot {
  worker: Worker;
  role: WorkerRole;
  job: Pending | undefined;
}

export class WorkerFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailedError';
  }
}

const ENTRY = new URL('../modes/sim-worker.ts', import.meta.url);
/** What reports/svg.ts and png.ts import: loaded before tsx in a report worker (see worker-boot.ts). */
const REPORT_PRELOAD = ['vega', 'vega-lite', '@resvg/resvg-js'];

/** Workers started by any pool and not yet gone (tests check that a run leaves none). */
let live = 0;
export function liveWorkers(): number {
  return live;
}

export class WorkerPool {
  /** A pool whose workers run sim-worker.ts: bundled when esbuild is at hand (see worker-boot.ts), else through tsx (also with bundle: false). */
  static async open(o: { bundle?: boolean } = {}): Promise<WorkerPool> {
    const script =
      o.bundle === false
        ? tsxScript(ENTRY)
        : await prepareWorkerScript(ENTRY, (why) => phase(`worker bundle unavailable (${why}); workers boot through tsx`));
    phase(script.bundled ? 'worker bundle built' : 'workers boot through tsx');
    return new WorkerPool(script);
  }

  private constructor(private readonly script: WorkerScript) {}

  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  /** Workers retired or lost and still shutting down (close() waits for them too). */
  private readonly leaving: Promise<unknown>[] = [];
  private nextId = 0;
  private closed = false;
  /** Set by simDone(): idle sim workers are retired; the first retirement starts `reportAfter` report workers. */
  private retireSim = false;
  private reportAfter = 0;
  /** Why the last worker was lost (for jobs left without any worker). */
  private lastDeath = '';

  /** Workers currently in the pool. */
  get size(): number {
    return this.slots.length;
  }

  /** Workers of a role. */
  count(role: WorkerRole): number {
    return this.slots.filter((s) => s.role === role).length;
  }

  /**
   * Start `n` more workers. A 'sim' worker imports the simulator at boot and a 'report'
   * worker vega and resvg, while this thread is still busy with something else. (A
   * warm-up render of a synthetic report was tried: it cost the sim on the main thread
   * more than it saved the charts, ~1 s slower end to end.)
   */
  spawn(n: number, role: WorkerRole): void {
    if (this.closed) throw new Error('worker pool is closed');
    for (let i = 0; i < n; i++) {
      const worker = startWorker(this.script, { role }, role === 'report' ? REPORT_PRELOAD : []);
      live++;
      const slot: Slot = { worker, role, job: undefined };
      this.slots.push(slot);
      this.attach(slot);
    }
    if (n > 0) phase(`${n} ${role} worker${n > 1 ? 's' : ''} started`);
    this.pump();
  }

  /**
   * Every sim job has been submitted. When the last one has been handed to a worker,
   * `reportWorkers` fresh report workers start, so they have loaded vega by the time the
   * last strategies finish (no start-up left on the report's path); and a sim worker left
   * with nothing to do is terminated (its heap, grown by the runs, goes back to the
   * system). Cheaper in memory than loading vega into the used sim workers, same CPU.
   */
  simDone(reportWorkers = 0): void {
    this.retireSim = true;
    this.reportAfter = reportWorkers;
    this.pump();
  }

  run<J extends PoolJob>(job: J, label: string, onProgress?: (value: number) => void): Promise<JobResult<J>> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    if (this.slots.length === 0) return Promise.reject(new WorkerFailedError(`${label}: no worker thread left${this.lastDeath ? ` (${this.lastDeath})` : ''}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, label, resolve: resolve as (v: unknown) => void, reject, onProgress });
      this.pump();
    });
  }

  /** Terminate every worker; jobs still queued or running reject. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    const why = new Error('worker pool closed before the job finished');
    for (const p of this.queue.splice(0)) p.reject(why);
    for (const s of slots) {
      s.job?.reject(why);
      s.job = undefined;
    }
    await Promise.all([...slots.map((s) => s.worker.terminate()), ...this.leaving]);
    this.script.dispose();
  }

  private attach(slot: Slot): void {
    const { worker } = slot;
    worker.on('message', (m: WorkerMessage) => {
      if ('ready' in m) return phase(`${slot.role} worker ${m.ready}`);
      const p = slot.job;
      if (!p || p.id !== m.id) return;
      if ('progress' in m) {
        p.onProgress?.(m.progress);
        return;
      }
      slot.job = undefined;
      if ('error' in m) {
        const err = new WorkerFailedError(`${p.label}: ${m.error}`);
        if (m.stack) err.stack = `${err.name}: ${err.message}\n(in worker) ${m.stack}`;
        p.reject(err);
      } else p.resolve(m.result);
      this.pump();
    });
    // Only a worker still in the pool can fail a job; a retired or closed one is just leaving.
    worker.on('error', (e: Error) => this.lost(slot, e.message));
    worker.once('exit', (code) => {
      live--;
      this.lost(slot, `exited with code ${code}`);
    });
  }

  /** A worker crashed or exited on its own: its job fails; with no worker left, so do the queued ones. */
  private lost(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    this.lastDeath = why;
    slot.job?.reject(new WorkerFailedError(`${slot.job.label}: worker thread failed: ${why}`));
    slot.job = undefined;
    if (this.slots.length === 0)
      for (const p of this.queue.splice(0)) p.reject(new WorkerFailedError(`${p.label}: no worker thread left (${why})`));
    // A worker that threw may still be running until its 'exit'; make sure it goes.
    this.leaving.push(slot.worker.terminate());
  }

  private pump(): void {
    for (const s of [...this.slots]) {
      if (s.job) continue;
      const next = this.queue.shift();
      if (next) {
        s.job = next;
        s.worker.postMessage({ id: next.id, job: next.job });
      } else if (this.retireSim && s.role === 'sim') {
        this.slots.splice(this.slots.indexOf(s), 1);
        this.leaving.push(s.worker.terminate());
      }
    }
    if (this.retireSim && this.reportAfter > 0 && this.queue.length === 0 && !this.closed) {
      const n = this.reportAfter;
      this.reportAfter = 0;
      this.spawn(n, 'report');
    }
  }
}
