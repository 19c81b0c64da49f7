import { deriveRandom } from '../router/core/random.js';
import type { SimRequest } from './types.js';
import type { Workload } from './workload.js';

/**
 * Seeded arrival jitter: every request arrives up to ±`ms` from its planned time (uniform),
 * and requests are handed out in their new arrival order, so two requests planned within
 * 2·ms of each other may swap. Over real sockets, near-simultaneous requests reach the proxy
 * in an order the scheduler picks; the fidelity check (scenarios/fidelity) reruns the
 * simulator with several jitter seeds to see how far a metric moves with that order alone.
 *
 * Lazy like the workload: it reads ahead only while the next planned arrival could still
 * land before the earliest jittered one held (planned − ms < held min).
 */
export interface ArrivalJitter {
  /** Largest shift of an arrival, scenario ms (> 0). */
  readonly ms: number;
  readonly seed: string | number;
  /**
   * Also delay every provider answer by a seeded uniform [0, ms) (first byte, end and the
   * provider's slot with it): over real sockets the mock providers' own timers fire late by
   * up to the same lateness, so which of two answers due a few ms apart completes first, and
   * whether a slot frees before the next arrival at a full queue, is decided by the
   * scheduler. A refused connection (the kernel's answer) is not delayed; an outage's cut
   * reaches each delayed stream at its own delayed time. Default false (arrivals only).
   */
  readonly completions?: boolean;
}

/** The seeded delay (scenario ms) added to each provider answer when `jitter.completions` is set; undefined otherwise. */
export function completionDelays(jitter: ArrivalJitter | undefined): (() => number) | undefined {
  if (!jitter?.completions) return undefined;
  const r = deriveRandom(jitter.seed, 'completion-jitter');
  return () => r.next() * jitter.ms;
}

export function jitterArrivals(workload: Workload, jitter: ArrivalJitter): Workload {
  if (!(jitter.ms > 0) || !Number.isFinite(jitter.ms)) throw new Error(`arrival jitter: ms must be a positive number of ms, got ${jitter.ms}`);
  const r = deriveRandom(jitter.seed, 'arrival-jitter');
  const held: SimRequest[] = []; // sorted by jittered arrivalMs, then id
  let ahead: SimRequest | undefined = workload.next();
  const insert = (s: SimRequest): void => {
    let i = held.length;
    while (i > 0 && held[i - 1]!.arrivalMs > s.arrivalMs) i--;
    held.splice(i, 0, s);
  };
  const next = (): SimRequest | undefined => {
    // Take in every planned request that could still arrive before the earliest held one.
    while (ahead !== undefined && (held.length === 0 || ahead.arrivalMs - jitter.ms <= held[0]!.arrivalMs)) {
      const shifted = Math.max(0, ahead.arrivalMs + (2 * r.next() - 1) * jitter.ms);
      insert({ ...ahead, arrivalMs: shifted });
      ahead = workload.next();
    }
    return held.shift();
  };
  return {
    next,
    *[Symbol.iterator]() {
      for (let s = next(); s !== undefined; s = next()) yield s;
    },
  };
}
