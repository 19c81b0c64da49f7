import type { RoutingVsBaselines, StrategyResult } from '../../reports/contract.js';
import { createWorkload, type WorkloadSpec } from '../../simulator/workload.js';
import type { ResolvedProvider } from '../setup/resolve.js';

/**
 * Outcome replay with one cheap and one strong provider: the quality of the baselines on
 * exactly the requests the strategies saw (the workload is seeded, so it is replayed
 * here without a router): all-weak, all-strong and the oracle (strong only where the
 * weak model is wrong and the strong one right). Each strategy's result then gains its
 * strong share, random routing at that share and its performance gap recovered (PGR).
 */

export interface OutcomeBaselines {
  weak: string;
  strong: string;
  qualityWeak: number;
  qualityStrong: number;
  qualityOracle: number;
}

/** Undefined unless the workload replays outcomes and there are exactly two providers with different prices. */
export function outcomeBaselines(workload: WorkloadSpec, providers: readonly ResolvedProvider[], seed: number): OutcomeBaselines | undefined {
  if (!workload.outcomes || providers.length !== 2) return undefined;
  // Blended list price, as the router's strategies compare it (router/strategies/util.ts).
  const [a, b] = providers.map((p) => ({ id: p.id, price: (p.profile.price.input + p.profile.price.output) / 2 }));
  if (a!.price === b!.price) return undefined;
  const [weak, strong] = a!.price < b!.price ? [a!.id, b!.id] : [b!.id, a!.id];
  let n = 0;
  let w = 0;
  let s = 0;
  let o = 0;
  for (const req of createWorkload(workload, seed)) {
    const ow = (req.outcomes?.[weak] ?? 0) >= 0.5 ? 1 : 0;
    const os = (req.outcomes?.[strong] ?? 0) >= 0.5 ? 1 : 0;
    n++;
    w += ow;
    s += os;
    o += Math.max(ow, os);
  }
  if (n === 0) return undefined;
  return { weak, strong, qualityWeak: w / n, qualityStrong: s / n, qualityOracle: o / n };
}

export function routingVsBaselines(r: StrategyResult, b: OutcomeBaselines): RoutingVsBaselines | undefined {
  const quality = r.summary.qualityOk;
  if (quality === undefined) return undefined;
  const strongShare = r.summary.providerShare[b.strong] ?? 0;
  const gap = b.qualityStrong - b.qualityWeak;
  return {
    ...b,
    strongShare,
    quality,
    qualityRandomAtShare: b.qualityWeak + strongShare * gap,
    pgr: gap === 0 ? 0 : (quality - b.qualityWeak) / gap,
  };
}
