import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StrategyResult } from '../../reports/contract.js';
import { startWorker, tsxScript } from '../workers/worker-boot.js';
import { evaluate, loadEvalContext, type EvalContext, type EvalTask } from './evaluate.js';

/**
 * Spreads evaluations over cores with node:worker_threads. Each worker runs worker.ts
 * through tsx (scenarios/worker-boot.ts: `execArgv: ['--import', 'tsx']` does not reach a
 * worker's entry module on Node 20). When workers cannot start (no tsx, a sandbox
 * without threads) the pool says why and evaluates in this thread instead: slower, same
 * results (an evaluation is a pure function of its task).
 */

export interface Evaluator {
  run(task: EvalTask): Promise<StrategyResult>;
  close(): Promise<void>;
  readonly mode: 'workers' | 'in-thread';
  readonly size: number;
}

export interface PoolOptions {
  /** Scenario name or path (each worker loads it once). */
  scenario: string;
  /** Worker threads; 0 = evaluate in this thread. Default: the machine's available parallelism. */
  workers?: number;
  log?: (line: string) => void;
  /** Max wait for a worker to load (ms). */
  startTimeoutMs?: number;
}

class InThread implements Evaluator {
  readonly mode = 'in-thread';
  readonly size = 1;
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly ctx: EvalContext) {}
  run(task: EvalTask): Promise<StrategyResult> {
    // One at a time, in submission order (the event loop is the only core here).
    const p = this.chain.then(() => evaluate(this.ctx, task));
    this.chain = p.catch(() => undefined);
    return p;
  }
  async close(): Promise<void> {
    await this.chain;
  }
}

interface Job {
  id: number;
  task: EvalTask;
  resolve: (r: StrategyResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

class Pool implements Evaluator {
  readonly mode = 'workers';
  private readonly queue: Job[] = [];
  private nextId = 0;
  private fallback: InThread | undefined;
  constructor(
    private readonly slots: Slot[],
    private readonly scenario: string,
    private readonly log: (line: string) => void,
  ) {
    for (const s of slots) this.attach(s);
  }
  get size(): number {
    return this.slots.length;
  }

  private attach(slot: Slot): void {
    slot.worker.on('message', (m: { id: number; result?: StrategyResult; error?: string }) => {
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      slot.job = undefined;
      if (m.error !== undefined) job.reject(new Error(m.error));
      else job.resolve(m.result!);
      this.pump();
    });
    const die = (why: string): void => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      slot.job?.reject(new Error(`evaluation worker died: ${why}`));
      slot.job = undefined;
      if (this.slots.length === 0 && this.queue.length) {
        this.log(`tune: every worker died (${why}); evaluating the rest in this thread`);
        this.fallback ??= new InThread(loadEvalContext(this.scenario));
        for (const j of this.queue.splice(0)) this.fallback.run(j.task).then(j.resolve, j.reject);
      }
    };
    slot.worker.on('error', (e) => die(e.message));
    slot.worker.on('exit', (code) => die(`exit code ${code}`));
  }

  private pump(): void {
    for (const s of this.slots) {
      if (s.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      s.job = job;
      s.worker.postMessage({ id: job.id, task: job.task });
    }
  }

  run(task: EvalTask): Promise<StrategyResult> {
    if (this.fallback) return this.fallback.run(task);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    await this.fallback?.close();
  }
}

/** Start one worker and wait until it has loaded the scenario. */
function startEvalWorker(scenario: string, timeoutMs: number): Promise<Worker> {
  const script = tsxScript(new URL('./eval-worker.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = startWorker(script, { scenarioPath: scenario });
    } catch (e) {
      reject(e as Error);
      return;
    }
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`worker did not load within ${timeoutMs} ms`));
    }, timeoutMs);
    // Remove only our own listeners: removeAllListeners() would also drop the Worker's
    // internal 'newListener' hook and later 'message' listeners would never fire.
    const onMessage = (m: { ready?: boolean; fatal?: string }): void => {
      done();
      if (m.ready) resolve(worker);
      else {
        void worker.terminate();
        reject(new Error(m.fatal ?? 'worker failed to load'));
      }
    };
    const onError = (e: Error): void => {
      done();
      reject(e);
    };
    const onExit = (code: number): void => {
      done();
      reject(new Error(`worker exited with code ${code} while loading`));
    };
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

export async function createEvaluator(o: PoolOptions): Promise<Evaluator> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const n = o.workers ?? availableParallelism();
  if (n <= 0) return new InThread(loadEvalContext(o.scenario));
  const started = await Promise.allSettled(Array.from({ length: n }, () => startEvalWorker(o.scenario, o.startTimeoutMs ?? 60_000)));
  const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (workers.length === 0) {
    const why = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason as Error | undefined;
    log(`tune: worker threads unavailable (${why?.message ?? 'unknown'}); evaluating in this thread`);
    return new InThread(loadEvalContext(o.scenario));
  }
  if (workers.length < n) log(`tune: ${n - workers.length} of ${n} workers failed to start; using ${workers.length}`);
  return new Pool(workers.map((worker) => ({ worker, job: undefined })), o.scenario, log);
}
