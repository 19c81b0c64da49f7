import type { FaultSpec } from '../../simulator/metrics.js';
import type { ResolvedProvider } from './resolve.js';

/**
 * The fault whose handling failoverS/recoverS measure: the earliest timeline phase of
 * any provider (a price change counts: it is when cost-aware strategies should move).
 * undefined when the scenario has none (failoverS is then null, per DESIGN.md).
 */
export function primaryFault(providers: readonly ResolvedProvider[], durationS: number): FaultSpec | undefined {
  let best: FaultSpec | undefined;
  for (const p of providers) {
    for (const ph of p.profile.timeline) {
      if (ph.kind === 'recovery' || ph.at >= durationS) continue;
      if (best && best.startS <= ph.at) continue;
      best = { provider: p.id, startS: ph.at, ...(ph.until !== undefined ? { endS: ph.until } : {}) };
    }
  }
  return best;
}
