import { afterEach, describe, expect, it } from 'vitest';
import { liveWorkers, NoWorkerError, WorkerFailedError, WorkerPool } from '../scenarios/workers/worker-pool.js';

/**
 * The harness's one worker pool (scenarios/workers/worker-pool.ts), on a tiny echo entry:
 * workers that cannot load leave it (ready() counts the rest), a failed job rejects with
 * its label and the worker's message, a dead worker fails its job, queued jobs with no
 * worker left reject with NoWorkerError (the evaluator's cue to go in-thread), and no
 * worker outlives close().
 */
const entry = new URL('./fixtures/workers/echo-worker.ts', import.meta.url);
const open = () => WorkerPool.open<string, 'echo'>({ entry, bundle: false });

afterEach(() => {
  expect(liveWorkers()).toBe(0);
});

describe('worker pool', () => {
  it('ready() drops a worker that cannot load and says why; jobs run on the rest, with progress', async () => {
    const pool = await open();
    try {
      pool.spawn(1, 'echo');
      pool.spawn(1, 'echo', { fail: 'scenario not found' });
      expect(await pool.ready(60_000)).toBe(1);
      expect(pool.lastFailure).toBe('scenario not found');
      const seen: number[] = [];
      await expect(pool.run<string>('a', 'job a', (v) => seen.push(v))).resolves.toBe('echo a');
      expect(seen).toEqual([1]);
      await expect(pool.run('throw', 'job t')).rejects.toThrow(/^job t: no such job$/);
    } finally {
      await pool.close();
    }
    await expect(pool.run('late', 'late')).rejects.toThrow(/closed/);
  });

  it('a dead worker fails its job; with none left, queued jobs reject with NoWorkerError', async () => {
    const pool = await open();
    try {
      pool.spawn(1, 'echo');
      expect(await pool.ready(60_000)).toBe(1);
      const dying = pool.run('exit', 'job x');
      const queued = pool.run('b', 'job b');
      await expect(dying).rejects.toThrow(WorkerFailedError);
      await expect(dying).rejects.toThrow(/job x: worker thread failed: exited with code 7/);
      await expect(queued).rejects.toThrow(NoWorkerError);
      expect(pool.size).toBe(0);
      await expect(pool.run('c', 'job c')).rejects.toThrow(/no worker thread left \(exited with code 7\)/);
    } finally {
      await pool.close();
    }
  });
});
