import { parentPort, workerData } from 'node:worker_threads';
import { evaluate, loadEvalContext, type EvalTask } from './evaluate.js';

/**
 * Worker-thread entry of the evaluation pool (pool.ts): loads the scenario once, then
 * answers { id, task } messages with { id, result } or { id, error }. Posts
 * { ready: true } when loaded, or { fatal } when it cannot load.
 */

const port = parentPort;
if (!port) throw new Error('scenarios/modes/eval-worker.ts must run in a worker thread');
const { scenarioPath } = workerData as { scenarioPath: string };

try {
  const ctx = loadEvalContext(scenarioPath);
  port.on('message', (msg: { id: number; task: EvalTask }) => {
    evaluate(ctx, msg.task).then(
      (result) => port.postMessage({ id: msg.id, result }),
      (e: unknown) => port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) }),
    );
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ fatal: e instanceof Error ? e.message : String(e) });
}
