import type { Timer } from '../core/clock.js';
import type { RouterEvent } from '../core/events.js';
import type { RedisLink } from './redis-client.js';
import type { StoreTarget } from './store.js';

/**
 * Endpoint health shared by replicas, never read on the pick path.
 *
 * Publish: when this replica ejects an endpoint, or an upstream puts it in a cooldown
 * (429/503 Retry-After), the remaining time goes to one Redis hash (a Lua call that never
 * shortens a hold; times are Redis TIME, so replica clocks need not agree); when a
 * half-open probe or a health check here finds it recovered, that goes there too (and ends
 * the shared ejection).
 * Apply: every `syncIntervalMs` the replica reads what the other replicas published:
 * - an ejection is applied as an ejection (EndpointHealth.remoteEject): soft, so panic mode
 *   may override it as it does a local one; when it ends this replica probes;
 * - a cooldown as a cooldown (the upstream's word: panic never overrides it);
 * - a recovery ends an ejection here that began no later than it (remoteRecovered).
 * Staleness bound: published state is in force on every other replica within
 * syncIntervalMs + one round trip (+ commandTimeoutMs at worst). A recovery stays listed
 * for RECOVERY_KEEP_INTERVALS sync intervals, so a replica that misses a read still sees it.
 * While Redis is down nothing is applied: health fails open to local state.
 */
const RECOVERY_KEEP_INTERVALS = 10;

export function startHealthSync(
  link: RedisLink,
  target: StoreTarget,
  hashKey: string,
  origin: string,
  syncIntervalMs: number,
  /** Also run every interval (re-read shared rate-limit levels). */
  tick: () => void = () => {},
): { stop(): void; syncNow(): Promise<void> } {
  const { clock, bus, health } = target;
  let applying = false;
  let stopped = false;
  let timer: Timer | null = null;
  // Per endpoint, the last recovery already seen (published, or applied from another replica).
  const seenRecovery = new Map<string, number>();
  const keepMs = Math.max(RECOVERY_KEEP_INTERVALS * syncIntervalMs, 1_000);

  const put = (kind: 'c' | 'e', id: string, ms: number): void => {
    link.redis.hold(hashKey, 'put', kind, id, Math.ceil(ms), origin).catch((err) => link.failed('health_put', err));
  };

  const onEvent = (e: RouterEvent): void => {
    if (e.type !== 'health') return;
    const h = health.get(e.endpointId);
    if (h === undefined) return;
    const rec = h.lastRecovery();
    if (rec > (seenRecovery.get(e.endpointId) ?? -Infinity)) {
      seenRecovery.set(e.endpointId, rec);
      if (!applying && link.up) link.redis.hold(hashKey, 'recover', e.endpointId, origin).catch((err) => link.failed('health_put', err));
    }
    if (applying || !link.up) return;
    const now = clock.now();
    if (e.to === 'ejected') {
      const end = h.ejectionEnd();
      if (end !== null && end > now) put('e', e.endpointId, end - now);
    } else if (e.to === 'cooldown') {
      const end = h.cooldownEnd(now);
      if (end !== null && end > now) put('c', e.endpointId, end - now);
    }
  };
  const off = bus.on(onEvent);

  async function syncNow(): Promise<void> {
    if (!link.up) return;
    tick();
    let reply: unknown;
    try {
      reply = await link.redis.hold(hashKey, 'read', keepMs);
    } catch (e) {
      link.failed('health_read', e);
      return;
    }
    const r = reply as string[];
    const now = clock.now();
    applying = true;
    try {
      // A recovery deletes the ejection hold, so an ejection listed beside a recovery was
      // published after it: that endpoint's recovery is stale and not applied.
      const ejected = new Set<string>();
      for (let i = 0; i + 3 < r.length; i += 4) if (r[i] === 'e') ejected.add(r[i + 1]!);
      for (let i = 0; i + 3 < r.length; i += 4) {
        const [kind, id, ms, from] = [r[i]!, r[i + 1]!, Number(r[i + 2]), r[i + 3]];
        const h = health.get(id);
        if (h === undefined || from === origin) continue;
        if (kind === 'c') h.cooldown(now, ms);
        else if (kind === 'e') h.remoteEject(now, now + ms);
        else if (kind === 'r' && !ejected.has(id)) h.remoteRecovered(now, now - ms);
      }
    } finally {
      applying = false;
    }
  }

  const loop = (): void => {
    if (stopped) return;
    void syncNow().finally(() => {
      if (!stopped) timer = clock.setTimeout(loop, syncIntervalMs);
    });
  };
  loop();

  return {
    syncNow,
    stop() {
      stopped = true;
      timer?.cancel();
      off();
    },
  };
}
