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
 *   in-process "Redis", with the Redis store's timing (router/store/batch.ts, health-sync.ts):
 *   - a charge is sent after the batch window and reaches the shared GCRA counter then
 *     (atomic); its reply (the shared level) comes back one round trip later
 *     (CHARGE_BATCH_MS + ROUND_TRIP_MS after the pick, not the sync interval);
 *   - every replica polls the shared health every `syncDelayMs` (the store's
 *     sync_interval_ms), each at its own phase (replica i at (i + 1/2)/N of the interval),
 *     and re-reads the shared rate-limit levels at each poll (SharedAdmission.refresh);
 *   - an ejection, cooldown or recovery (a passed half-open probe) on one replica is
 *     written at once (one round trip) and applied on each other replica at that replica's
 *     next poll plus a round trip: between a round trip and syncDelayMs + 2 round trips
 *     later, half an interval on average (the detecting replica itself: at once). An
 *     ejection arrives as an ejection (panic mode may override it; the receiver probes when
 *     it ends), a cooldown as a cooldown.
 *
 * Everything runs on the engine's clock: deterministic for a seed.
 */
export interface ReplicaSharing {
  mode: 'local' | 'shared';
  /** The Redis store's sync_interval_ms: how often each replica reads the shared health (and re-reads shared limits). */
  syncDelayMs: number;
}

/**
 * The charge batch window the scenarios model (http mode sets the proxies' store.batch_ms to it,
 * divided by the speed; the proxy's own default is 20 ms) and a loopback round trip, ms.
 */
export const CHARGE_BATCH_MS = 5;
export const ROUND_TRIP_MS = 1;

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
  const interval = sharing.syncDelayMs;
  // Charges: sent when the batch window closes, counted in "Redis" half a round trip later,
  // the reply back after the other half (one GCRA call per charge: the sum is the same).
  const charger: Charger = {
    add(key, gcraInterval, cost, apply) {
      clock.setTimeout(() => {
        const sentAt = clock.now();
        clock.setTimeout(() => {
          const backlog = counters.charge(key, gcraInterval, cost, clock.now());
          clock.setTimeout(() => apply(backlog, cost, sentAt), ROUND_TRIP_MS / 2);
        }, ROUND_TRIP_MS / 2);
      }, CHARGE_BATCH_MS);
    },
  };
  /** Replica i's first poll after `t`: polls at (i + 1/2)/n of the interval, then every interval. */
  const nextPoll = (i: number, t: number): number => {
    if (interval <= 0) return t;
    const phase = ((i + 0.5) / n) * interval;
    return phase + Math.max(0, Math.ceil((t - phase) / interval)) * interval;
  };
  const admissions: SharedAdmission[][] = Array.from({ length: n }, () => []);
  const up = { up: true };

  // Each replica's last recovery already published, per endpoint (so one is published once).
  const seenRecovery: Array<Map<string, number>> = Array.from({ length: n }, () => new Map());
  // Written to "Redis" one round trip after the event; each other replica applies it when the
  // reply to its next read after that arrives (a read is sent at its poll, answered a round trip later).
  const toOthers = (from: number, apply: (t: StoreTarget, now: number) => void): void => {
    const written = clock.now() + ROUND_TRIP_MS;
    targets.forEach((_, i) => {
      if (i === from) return;
      const at = nextPoll(i, written) + ROUND_TRIP_MS;
      clock.setTimeout(() => {
        const t = targets[i]!;
        t.applying = true;
        try {
          apply(t, clock.now());
        } finally {
          t.applying = false;
        }
      }, at - clock.now());
    });
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
    admission(endpoint, c) {
      if (!endpoint.limits.rpm && !endpoint.limits.tpm) return null;
      const a = new SharedAdmission(endpoint.limits, up, c, charger, { rpm: `rpm|${endpoint.id}`, tpm: `tpm|${endpoint.id}` }, 1 / n);
      admissions[i]!.push(a);
      return a;
    },
    attach(target) {
      targets[i] = { ...target, applying: false };
      const off = target.bus.on((e) => publish(i, e));
      // The poll loop's other half: re-read the shared limit levels every interval (health
      // arrives through toOthers at these same instants). Stopped with the router.
      let timer: { cancel(): void } | null = null;
      const poll = (): void => {
        for (const a of admissions[i]!) a.refresh();
        timer = clock.setTimeout(poll, interval);
      };
      if (interval > 0 && admissions[i]!.length > 0) timer = clock.setTimeout(poll, nextPoll(i, clock.now()) - clock.now());
      return () => {
        off();
        timer?.cancel();
      };
    },
  }));
}
