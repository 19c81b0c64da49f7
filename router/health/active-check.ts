import type { Clock, Timer } from '../core/clock.js';
import type { Endpoint, Transport } from '../core/types.js';
import type { EndpointHealth } from './breaker.js';

/** What a check needs of one endpoint's slot (the router's EndpointSlot is one). */
export interface CheckedEndpoint {
  readonly endpoint: Endpoint;
  readonly health: Pick<EndpointHealth, 'checkPassed' | 'checkFailed'>;
}

/**
 * Active health checks (Envoy's health checker): every intervalMs, ask the transport
 * whether each endpoint answers. A pass revives an ejected endpoint (with slow start);
 * a failure (false, an error, or no answer within timeoutMs) counts as one endpoint
 * failure. Timers run on the injected clock, so tests and the simulator drive them.
 */
export interface ActiveChecks {
  stop(): void;
}

export function startActiveChecks(
  clock: Clock,
  transport: Transport,
  slots: readonly CheckedEndpoint[],
  intervalMs: number,
  timeoutMs: number,
): ActiveChecks {
  const inFlight = new Map<CheckedEndpoint, AbortController>();
  let timer: Timer | null = null;
  let stopped = false;

  const checkOne = (slot: CheckedEndpoint): void => {
    if (inFlight.has(slot)) return; // the previous check is still running
    const ctrl = new AbortController();
    inFlight.set(slot, ctrl);
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      deadline?.cancel();
      inFlight.delete(slot);
      if (stopped) return;
      const now = clock.now();
      if (ok) slot.health.checkPassed(now);
      else slot.health.checkFailed(now);
    };
    const deadline = timeoutMs > 0 ? clock.setTimeout(() => (ctrl.abort(), done(false)), timeoutMs) : null;
    let p: Promise<boolean>;
    try {
      p = transport.check!(slot.endpoint, { signal: ctrl.signal });
    } catch {
      p = Promise.resolve(false);
    }
    p.then(
      (ok) => done(ok === true),
      () => done(false),
    );
  };

  const tick = (): void => {
    if (stopped) return;
    for (const s of slots) checkOne(s);
    timer = clock.setTimeout(tick, intervalMs);
  };
  timer = clock.setTimeout(tick, intervalMs);

  return {
    stop() {
      stopped = true;
      timer?.cancel();
      for (const c of inFlight.values()) c.abort();
      inFlight.clear();
    },
  };
}
