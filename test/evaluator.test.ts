import { describe, expect, it } from 'vitest';
import { createEvaluator } from '../scenarios/modes/evaluator.js';
import { liveWorkers } from '../scenarios/workers/worker-pool.js';

/**
 * The seeded evaluator (multi-seed runs, tune) on the shared worker pool: a result from a
 * worker thread is the in-thread result, and when no worker loads in time it says why
 * and evaluates in this thread instead.
 */
const task = { config: { strategy: { name: 'round-robin', params: {} }, router: {} }, seed: 3, durationS: 4, label: 'rr', noTimeline: true };

describe('evaluator', () => {
  it('a worker gives the in-thread result, byte for byte', async () => {
    const inThread = await createEvaluator({ scenario: 'brownout', workers: 0 });
    const onWorker = await createEvaluator({ scenario: 'brownout', workers: 1 });
    try {
      expect(inThread.mode).toBe('in-thread');
      expect(onWorker.mode).toBe('workers');
      expect(JSON.stringify(await onWorker.run(task))).toBe(JSON.stringify(await inThread.run(task)));
    } finally {
      await Promise.all([inThread.close(), onWorker.close()]);
    }
    expect(liveWorkers()).toBe(0);
  });

  it('no worker ready in time: says why, evaluates in this thread', async () => {
    const lines: string[] = [];
    const e = await createEvaluator({ scenario: 'brownout', workers: 2, startTimeoutMs: 1, log: (l) => lines.push(l) });
    try {
      expect(e.mode).toBe('in-thread');
      expect(lines).toEqual(['tune: worker threads unavailable (did not load within 1 ms); evaluating in this thread']);
      expect((await e.run(task)).summary.requests).toBeGreaterThan(0);
    } finally {
      await e.close();
    }
    expect(liveWorkers()).toBe(0);
  });
});
