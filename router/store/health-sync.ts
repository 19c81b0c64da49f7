import type { Timer } from '../core/clock.js';
import type { RouterEvent } from '../core/events.js';
import type { RedisLink } from './redis-client.js';
import type { StoreTarget } from './store.js';

/**
 * Endpoint health shared by replicas, never read on the pick path.
 *
 * Publish: when this replica ejects an endpoint or an upstream puts it in a cooldown
 * (429/503 Retry-After), the remaining time goes to one Redis hash (a Lua call that never
 * shortens a hold; times are Redis TIME, so replica clocks need not agree).
 * Apply: every `syncIntervalMs` the replica reads the holds other replicas published and
 * applies each as a local cooldown of the remaining time. Staleness bound: a hold
 * published by one replica is in force on every other within syncIntervalMs + one
 * round trip (+ commandTimeoutMs at worst). A remote ejection is applied as a cooldown
 * (the breaker's only outside input): unlike a local ejection, panic mode does not
 * override it, and it ends without a half-open probe here (the ejecting replica probes).
 * While Redis is down nothing is applied: health fails open to local state.
 */
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

  const onEvent = (e: RouterEvent): void => {
    if (e.type !== 'health' || applying || !link.up) return;
    if (e.to !== 'ejected' && e.to !== 'cooldown') return;
    const h = health.get(e.endpointId);
    if (h === undefined) return;
    const now = clock.now();
    const end = e.to === 'ejected' ? h.ejectionEnd() : h.cooldownEnd(now);
    if (end === null || end <= now) return;
    link.redis.hold(hashKey, 'put', e.endpointId, Math.ceil(end - now), origin).catch((err) => link.failed('health_put', err));
  };
  const off = bus.on(onEvent);

  async function syncNow(): Promise<void> {
    if (!link.up) return;
    tick();
    let reply: unknown;
    try {
      reply = await link.redis.hold(hashKey, 'read');
    } catch (e) {
      link.failed('health_read', e);
      return;
    }
    const r = reply as string[];
    const now = clock.now();
    for (let i = 0; i + 2 < r.length; i += 3) {
      const h = health.get(r[i]!);
      if (h === undefined || r[i + 2] === origin) continue;
      applying = true;
      try {
        h.cooldown(now, Number(r[i + 1]));
      } finally {
        applying = false;
      }
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
