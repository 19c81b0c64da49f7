import type { ManualClock, Clock, Timer } from '../../router/core/clock.js';

/** The manual clock, with every timer firing `late` ms after it is due (a busy machine). */
export function lateClock(base: ManualClock, late: number): Clock {
  return {
    now: () => base.now(),
    setTimeout: (fn: () => void, ms: number): Timer => base.setTimeout(fn, ms + late),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const t = base.setTimeout(resolve, ms + late);
        signal?.addEventListener('abort', () => (t.cancel(), reject(signal.reason)), { once: true });
      }),
  };
}
