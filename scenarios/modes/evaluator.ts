import { availableParallelism } from 'node:os';
import type { StrategyResult } from '../../reports/contract.js';
import { NoWorkerError, WorkerPool } from '../workers/worker-pool.js';
import { evaluate, loadEvalContext, type EvalContext, type EvalTask } from './evaluate.js';

/**
 * Spreads evaluations (one config, one seed: evaluate.ts) over cores, on the harness's
 * worker pool (workers/worker-pool.ts) with eval-worker.ts as the entry, booted through
 * tsx. Each worker loads the scenario once and says when it is ready. When no worker can
 * start (no tsx, a sandbox without threads), or every worker has died, the evaluator
 * says why and evaluates in this thread instead: slower, same results (an evaluation is
 * a pure function of its task).
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

class OnWorkers implements Evaluator {
  readonly mode = 'workers';
  private fallback: InThread | undefined;
  constructor(
    private readonly pool: WorkerPool<EvalTask, 'eval'>,
    private readonly scenario: string,
    private readonly log: (line: string) => void,
  ) {}
  get size(): number {
    return this.pool.size;
  }

  run(task: EvalTask): Promise<StrategyResult> {
    if (this.fallback) return this.fallback.run(task);
    return this.pool.run<StrategyResult>(task, `evaluation ${task.label}`).catch((e: unknown) => {
      // Queued when the last worker died: this thread takes over the rest.
      if (!(e instanceof NoWorkerError)) throw e;
      if (!this.fallback) {
        this.log(`tune: every worker died (${this.pool.lastFailure}); evaluating the rest in this thread`);
        this.fallback = new InThread(loadEvalContext(this.scenario));
      }
      return this.fallback.run(task);
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.fallback?.close();
  }
}

const ENTRY = new URL('./eval-worker.ts', import.meta.url);

export async function createEvaluator(o: PoolOptions): Promise<Evaluator> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const n = o.workers ?? availableParallelism();
  if (n <= 0) return new InThread(loadEvalContext(o.scenario));
  const pool = await WorkerPool.open<EvalTask, 'eval'>({ entry: ENTRY, bundle: false });
  let started: number;
  try {
    pool.spawn(n, 'eval', { scenarioPath: o.scenario });
    started = await pool.ready(o.startTimeoutMs ?? 60_000);
  } catch (e) {
    await pool.close();
    log(`tune: worker threads unavailable (${(e as Error).message}); evaluating in this thread`);
    return new InThread(loadEvalContext(o.scenario));
  }
  if (started === 0) {
    const why = pool.lastFailure;
    await pool.close();
    log(`tune: worker threads unavailable (${why || 'unknown'}); evaluating in this thread`);
    return new InThread(loadEvalContext(o.scenario));
  }
  if (started < n) log(`tune: ${n - started} of ${n} workers failed to start; using ${started}`);
  return new OnWorkers(pool, o.scenario, log);
}
