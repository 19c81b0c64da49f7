import type { Clock } from '../router/core/clock.js';
import type { RouterEvent } from '../router/core/events.js';
import { SharedAdmission, type Charger } from '../router/store/shared-admission.js';
import { memoryStore, type Store, type StoreTarget } from '../router/store/store.js';

/**
 * N router replicas in virtual time, with state local or shared (issue #16): the stand-in
 * for the Redis store, with its propagation delay made explicit.
 *
 * - `local`: every replica is a plain in-memory router (memoryStore): each finds an outage
 *   on its own and admits up to the full endpoint limit on its own.
 * - `shared`: the same mechanism as router/store (SharedAdmission, health holds), over an
 *   in-process "Redis": a charge reaches the shared GCRA counter at once (atomic), its
 *   reply (the shared level) reaches the replica `syncDelayMs` later; an ejection or
 *   cooldown on one replica is applied on the others `syncDelayMs` later, and so is a
 *   recovery (a passed half-open probe): an ejection arrives as an ejection (panic mode may
 *   override it; the receiver probes when it ends), a cooldown as a cooldown.
 *
 * Everything runs on the engine's clock: deterministic for a seed.
 */
export interface ReplicaSharing {
  mode: 'local' | 'shared';
  /** Propagation delay of shared state (the Redis store's sync_interval_ms + round trip). */
  syncDelayMs: number;
}

/** GCRA counters (the Lua script's arithmetic): key -> theoretical arrival time. */
class SharedCounters {
  private readonly tat = new Map<string, number>();
  charge(key: string, interval: number, cost: number, now: number): number {
    const t = Math.max(this.tat.get(key) ?? now, now);
    const next = Math.max(now, t + cost * interval);
    this.tat.set(key, next);
    return next - now;
  }
}

export function createReplicaStores(n: number, sharing: ReplicaSharing, clock: Clock): Store[] {
  if (sharing.mode === 'local') return Array.from({ length: n }, () => memoryStore);
  const counters = new SharedCounters();
  const targets: Array<StoreTarget & { applying: boolean }> = [];
  const delay = sharing.syncDelayMs;
  const charger: Charger = {
    add(key, interval, cost, apply) {
      const sentAt = clock.now();
      const backlog = counters.charge(key, interval, cost, sentAt);
      clock.setTimeout(() => apply(backlog, cost, sentAt), delay);
    },
  };
  const up = { up: true };

  // Each replica's last recovery already published, per endpoint (so one is published once).
  const seenRecovery: Array<Map<string, number>> = Array.from({ length: n }, () => new Map());
  const toOthers = (from: number, apply: (t: StoreTarget, now: number) => void): void => {
    clock.setTimeout(() => {
      const now = clock.now();
      targets.forEach((t, i) => {
        if (i === from) return;
        t.applying = true;
        try {
          apply(t, now);
        } finally {
          t.applying = false;
        }
      });
    }, delay);
  };

  const publish = (from: number, e: RouterEvent): void => {
    if (e.type !== 'health') return;
    const src = targets[from]!;
    const h = src.health.get(e.endpointId)!;
    const id = e.endpointId;
    // A recovery (a probe or health check passed): noticed on whatever transition follows it.
    const rec = h.lastRecovery();
    if (rec > (seenRecovery[from]!.get(id) ?? -Infinity)) {
      seenRecovery[from]!.set(id, rec);
      if (!src.applying) toOthers(from, (t, now) => t.health.get(id)?.remoteRecovered(now, rec));
    }
    if (src.applying || (e.to !== 'ejected' && e.to !== 'cooldown')) return;
    const now = clock.now();
    // Ejections travel as ejections (panic mode may override them, the receiver probes when
    // they end); an upstream's cooldown travels as a cooldown.
    if (e.to === 'ejected') {
      const end = h.ejectionEnd();
      if (end !== null && end > now) toOthers(from, (t, at) => t.health.get(id)?.remoteEject(at, end));
      return;
    }
    const end = h.cooldownEnd(now);
    if (end !== null && end > now) toOthers(from, (t, at) => t.health.get(id)?.cooldown(at, end - at));
  };

  return Array.from({ length: n }, (_, i): Store => ({
    kind: 'memory',
    admission: (endpoint, c) =>
      endpoint.limits.rpm || endpoint.limits.tpm
        ? new SharedAdmission(endpoint.limits, up, c, charger, { rpm: `rpm|${endpoint.id}`, tpm: `tpm|${endpoint.id}` }, 1 / n)
        : null,
    attach(target) {
      targets[i] = { ...target, applying: false };
      return target.bus.on((e) => publish(i, e));
    },
  }));
}
