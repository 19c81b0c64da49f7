import type { FailureKind, Phase, ProviderProfile } from './profile.js';
import { kindTable, type KindTable } from './faults.js';
import { OUTAGE_MODES, type OutageMode } from './fault-kinds.js';

/**
 * A profile's timeline compiled into non-overlapping segments of scenario time, each
 * with the combined effect of every phase active in it. Lookups are O(1) for the
 * usual monotone access (a cached cursor) and O(log n) otherwise, so the model can
 * ask "what is in force at t?" on every request.
 *
 * Combination rules inside one segment:
 * - outage: the latest-starting outage's mode wins;
 * - brownout: factors multiply (latency x k1 x k2);
 * - error_burst: rates combine as 1 - Π(1 - r_i); kinds from the latest burst that has them;
 * - price_change: applied in start order (factor multiplies, input/output replace);
 * - limit_drop: the tightest wins (factor multiplies the profile's limit; rpm/tpm replace);
 * - recovery at R: every phase that started before R ends at R.
 */

export type { OutageMode } from './fault-kinds.js';

export interface Effects {
  /** Segment start, ms of scenario time. */
  readonly startMs: number;
  readonly outage: OutageMode | null;
  readonly latencyX: number;
  readonly burstRate: number;
  readonly burstKinds: KindTable | null;
  readonly priceInput: number;
  readonly priceOutput: number;
  readonly rpm: number; // Infinity = no limit
  readonly tpm: number;
}

/** One fault window for reports (shading) and the oracle: scenario seconds. */
export interface FaultWindow {
  readonly kind: Phase['kind'];
  readonly startS: number;
  readonly endS: number | null;
}

type Windowed = Exclude<Phase, { kind: 'recovery' }>;

/** Apply recovery points: phases that started before R and are still open end at R. */
export function effectivePhases(timeline: readonly Phase[]): Array<Windowed & { until: number | undefined }> {
  const recoveries = timeline.filter((p) => p.kind === 'recovery').map((p) => p.at);
  return timeline
    .filter((p): p is Windowed => p.kind !== 'recovery')
    .map((p) => {
      let until = p.until;
      for (const r of recoveries) if (r > p.at && (until === undefined || until > r)) until = r;
      return { ...p, until };
    });
}

export function faultWindows(profile: ProviderProfile): FaultWindow[] {
  return effectivePhases(profile.timeline)
    .map((p) => ({ kind: p.kind, startS: p.at, endS: p.until ?? null }))
    .sort((a, b) => a.startS - b.startS);
}

export class Timeline {
  private readonly starts: Float64Array;
  private readonly segs: Effects[];
  private cursor = 0;
  /** Segment starts where a connection-dropping outage begins (from any other state), ascending. */
  private readonly drops: Float64Array;

  constructor(profile: ProviderProfile) {
    const phases = effectivePhases(profile.timeline).sort((a, b) => a.at - b.at);
    const bounds = new Set<number>([0]);
    for (const p of phases) {
      bounds.add(p.at * 1000);
      if (p.until !== undefined) bounds.add(p.until * 1000);
    }
    const sorted = [...bounds].sort((a, b) => a - b);
    this.segs = sorted.map((startMs) => combine(profile, phases, startMs));
    this.starts = Float64Array.from(sorted);
    this.drops = Float64Array.from(
      this.segs.filter((seg, i) => seg.outage !== null && OUTAGE_MODES[seg.outage].dropsConnections && seg.outage !== this.segs[i - 1]?.outage).map((seg) => seg.startMs),
    );
  }

  /**
   * The first instant after `ms` at which a refuse/reset outage begins (Infinity: none):
   * every connection open then is dropped, so a request in flight ends there (model.ts).
   */
  nextDrop(ms: number): number {
    const d = this.drops;
    for (let i = 0; i < d.length; i++) if (d[i]! > ms) return d[i]!;
    return Infinity;
  }

  /** Effects in force at `ms` (times before 0 use the first segment). */
  at(ms: number): Effects {
    const s = this.starts;
    let i = this.cursor;
    if (!(s[i]! <= ms && (i + 1 >= s.length || ms < s[i + 1]!))) {
      let lo = 0;
      let hi = s.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (s[mid]! <= ms) lo = mid;
        else hi = mid - 1;
      }
      i = lo;
      this.cursor = i;
    }
    return this.segs[i]!;
  }

  get segments(): readonly Effects[] {
    return this.segs;
  }
}

function combine(profile: ProviderProfile, phases: ReturnType<typeof effectivePhases>, startMs: number): Effects {
  let outage: OutageMode | null = null;
  let latencyX = 1;
  let keep = 1; // Π(1 - r)
  let burstKinds: KindTable | null = null;
  let priceInput = profile.price.input;
  let priceOutput = profile.price.output;
  const baseRpm = profile.limits.rpm ?? Infinity;
  const baseTpm = profile.limits.tpm ?? Infinity;
  let rpm = baseRpm;
  let tpm = baseTpm;
  const t = startMs / 1000;
  for (const p of phases) {
    if (!(p.at <= t && (p.until === undefined || t < p.until))) continue;
    switch (p.kind) {
      case 'outage':
        outage = p.mode;
        break;
      case 'brownout':
        latencyX *= p.factor;
        break;
      case 'error_burst':
        keep *= 1 - p.rate;
        if (p.kinds) burstKinds = kindTable(p.kinds as Partial<Record<FailureKind, number>>);
        break;
      case 'price_change':
        if (p.factor !== undefined) {
          priceInput *= p.factor;
          priceOutput *= p.factor;
        }
        if (p.input !== undefined) priceInput = p.input;
        if (p.output !== undefined) priceOutput = p.output;
        break;
      case 'limit_drop':
        if (p.factor !== undefined) {
          rpm = Math.min(rpm, Math.max(1, Math.floor(baseRpm * p.factor)));
          tpm = Math.min(tpm, Math.max(1, Math.floor(baseTpm * p.factor)));
        }
        if (p.rpm !== undefined) rpm = Math.min(rpm, p.rpm);
        if (p.tpm !== undefined) tpm = Math.min(tpm, p.tpm);
        break;
    }
  }
  return { startMs, outage, latencyX, burstRate: 1 - keep, burstKinds, priceInput, priceOutput, rpm, tpm };
}
