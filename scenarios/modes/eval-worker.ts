import { parentPort, workerData } from 'node:worker_threads';
import type { JobMessage, WorkerMessage } from '../workers/worker-pool.js';
import { evaluate, loadEvalContext, type EvalTask } from './evaluate.js';

/**
 * Worker-thread entry of the evaluator (evaluator.ts): loads the scenario once, then
 * answers { id, job } messages with { id, result } or { id, error }. Posts
 * { ready } when loaded, or { fatal } when it cannot load.
 */

const port = parentPort;
if (!port) throw new Error('scenarios/modes/eval-worker.ts must run in a worker thread');
const { scenarioPath } = workerData as { scenarioPath: string };

try {
  const ctx = loadEvalContext(scenarioPath);
  port.on('message', (msg: JobMessage<EvalTask>) => {
    evaluate(ctx, msg.job).then(
      (result) => port.postMessage({ id: msg.id, result } satisfies WorkerMessage),
      (e: unknown) => port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) } satisfies WorkerMessage),
    );
  });
  port.postMessage({ ready: 'scenario loaded' } satisfies WorkerMessage);
} catch (e) {
  port.postMessage({ fatal: e instanceof Error ? e.message : String(e) } satisfies WorkerMessage);
}
