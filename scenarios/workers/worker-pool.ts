import type { Worker } from 'node:worker_threads';
import { phase } from '../progress/phase-timer.js';
import { prepareWorkerScript, startWorker, tsxScript, type WorkerScript } from './worker-boot.js';

/**
 * The harness's one pool of worker threads, whatever the job: a scenario run's sim
 * strategies and report charts (modes/sim-pool.ts) and the seeded evaluations of
 * multi-seed runs and the tuner (modes/evaluator.ts). The pool knows nothing of the
 * jobs: it starts workers on an entry module, hands out one job per worker at a time
 * in submission order (a plain FIFO; callers submit the most expensive jobs first) and
 * relays progress. A failed job rejects with the worker's message; a crashed worker
 * rejects its job and leaves the pool; with no worker left, queued jobs reject with
 * NoWorkerError. close() terminates every worker (nothing outlives the run).
 */

/** What a worker posts; every pool entry speaks it. */
export type WorkerMessage =
  /** Boot-time modules (or the scenario) loaded; see ready() and SCENARIO_TIMING. */
  | { ready: string }
  /** The worker cannot load: it leaves the pool with this reason. */
  | { fatal: string }
  | { id: number; progress: number }
  | { id: number; result: unknown }
  | { id: number; error: string; stack?: string };

/** What the pool posts to a worker: one job. */
export interface JobMessage<Job> {
  id: number;
  job: Job;
}

export class WorkerFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerFailedError';
  }
}

/** A job that found no worker to run it: every worker crashed or failed to load. */
export class NoWorkerError extends WorkerFailedError {
  constructor(message: string) {
    super(message);
    this.name = 'NoWorkerError';
  }
}

export interface PoolOptions<Role extends string> {
  /** The workers' entry module (a .ts file URL). */
  entry: URL;
  /** Bundle the entry with esbuild when at hand (default; see worker-boot.ts), else boot through tsx. */
  bundle?: boolean;
  /** Packages a worker of a role imports before tsx is registered (worker-boot.ts startWorker). */
  preload?: Partial<Record<Role, readonly string[]>>;
}

interface Pending<Job> {
  id: number;
  job: Job;
  label: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress: ((value: number) => void) | undefined;
}

interface Slot<Job, Role> {
  worker: Worker;
  role: Role;
  job: Pending<Job> | undefined;
  ready: boolean;
  /** Settles when the worker has loaded or left the pool. */
  settled: Promise<void>;
  settle: () => void;
}

/** Workers started by any pool and not yet gone (tests check that a run leaves none). */
let live = 0;
export function liveWorkers(): number {
  return live;
}

export class WorkerPool<Job, Role extends string = string> {
  /** A pool whose workers run `entry`: bundled when esbuild is at hand (see worker-boot.ts), else through tsx (also with bundle: false). */
  static async open<Job, Role extends string = string>(o: PoolOptions<Role>): Promise<WorkerPool<Job, Role>> {
    const script =
      o.bundle === false
        ? tsxScript(o.entry)
        : await prepareWorkerScript(o.entry, (why) => phase(`worker bundle unavailable (${why}); workers boot through tsx`));
    phase(script.bundled ? 'worker bundle built' : 'workers boot through tsx');
    return new WorkerPool<Job, Role>(script, o.preload ?? {});
  }

  private constructor(
    private readonly script: WorkerScript,
    private readonly preload: Partial<Record<Role, readonly string[]>>,
  ) {}

  private readonly slots: Slot<Job, Role>[] = [];
  private readonly queue: Pending<Job>[] = [];
  /** Workers retired or lost and still shutting down (close() waits for them too). */
  private readonly leaving: Promise<unknown>[] = [];
  private nextId = 0;
  private closed = false;
  /** Set by allSubmitted(): idle workers of this role are retired; the first retirement starts `startAfter`. */
  private retire: Role | undefined;
  private startAfter: { n: number; role: Role } | undefined;
  private lastDeath = '';

  /** Workers currently in the pool. */
  get size(): number {
    return this.slots.length;
  }

  /** Why the last worker left the pool ('' while none has). */
  get lastFailure(): string {
    return this.lastDeath;
  }

  /** Workers of a role. */
  count(role: Role): number {
    return this.slots.filter((s) => s.role === role).length;
  }

  /** Start `n` more workers of `role`; each gets `{ ...data, role }` as its workerData. */
  spawn(n: number, role: Role, data: Record<string, unknown> = {}): void {
    if (this.closed) throw new Error('worker pool is closed');
    for (let i = 0; i < n; i++) {
      const worker = startWorker(this.script, { ...data, role }, this.preload[role] ?? []);
      live++;
      let settle!: () => void;
      const settled = new Promise<void>((r) => (settle = r));
      const slot: Slot<Job, Role> = { worker, role, job: undefined, ready: false, settled, settle };
      this.slots.push(slot);
      this.attach(slot);
    }
    if (n > 0) phase(`${n} ${role} worker${n > 1 ? 's' : ''} started`);
    this.pump();
  }

  /**
   * Wait until every worker has posted `ready`. One that cannot load (`fatal`), dies, or
   * is not ready within `timeoutMs` leaves the pool. Resolves to the number of workers left.
   */
  async ready(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([Promise.all(this.slots.map((s) => s.settled)), timeout]);
    clearTimeout(timer);
    for (const s of [...this.slots]) if (!s.ready) this.lost(s, `did not load within ${timeoutMs} ms`);
    return this.slots.length;
  }

  /**
   * Every job has been submitted. Once the queue is empty, an idle worker of role `retire`
   * is terminated (its heap, grown by the runs, goes back to the system), and with the
   * first retirement `start.n` fresh workers of `start.role` start, so they have loaded by
   * the time the last jobs finish. (Used by a scenario run: sim workers make room for
   * report workers; cheaper in memory than loading vega into the used sim workers, same CPU.)
   */
  allSubmitted(retire: Role, start?: { n: number; role: Role }): void {
    this.retire = retire;
    this.startAfter = start && start.n > 0 ? start : undefined;
    this.pump();
  }

  run<R = unknown>(job: Job, label: string, onProgress?: (value: number) => void): Promise<R> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    if (this.slots.length === 0) return Promise.reject(new NoWorkerError(`${label}: no worker thread left${this.lastDeath ? ` (${this.lastDeath})` : ''}`));
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
      s.settle();
    }
    await Promise.all([...slots.map((s) => s.worker.terminate()), ...this.leaving]);
    this.script.dispose();
  }

  private attach(slot: Slot<Job, Role>): void {
    const { worker } = slot;
    worker.on('message', (m: WorkerMessage) => {
      if ('ready' in m) {
        slot.ready = true;
        slot.settle();
        return phase(`${slot.role} worker ${m.ready}`);
      }
      if ('fatal' in m) return this.lost(slot, m.fatal);
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

  /** A worker crashed, exited or could not load: its job fails; with no worker left, so do the queued ones. */
  private lost(slot: Slot<Job, Role>, why: string): void {
    slot.settle();
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    this.lastDeath = why;
    slot.job?.reject(new WorkerFailedError(`${slot.job.label}: worker thread failed: ${why}`));
    slot.job = undefined;
    if (this.slots.length === 0)
      for (const p of this.queue.splice(0)) p.reject(new NoWorkerError(`${p.label}: no worker thread left (${why})`));
    // A worker that threw may still be running until its 'exit'; make sure it goes.
    this.leaving.push(slot.worker.terminate());
  }

  private pump(): void {
    for (const s of [...this.slots]) {
      if (s.job) continue;
      const next = this.queue.shift();
      if (next) {
        s.job = next;
        s.worker.postMessage({ id: next.id, job: next.job } satisfies JobMessage<Job>);
      } else if (this.retire !== undefined && s.role === this.retire) {
        this.slots.splice(this.slots.indexOf(s), 1);
        this.leaving.push(s.worker.terminate());
      }
    }
    if (this.startAfter && this.queue.length === 0 && !this.closed) {
      const { n, role } = this.startAfter;
      this.startAfter = undefined;
      this.spawn(n, role);
    }
  }
}
