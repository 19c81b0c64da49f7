import type { Clock } from '../core/clock.js';
import { RouterError, toRouterError } from '../core/errors.js';

/**
 * When every candidate is cooling down or ejected, a request that can afford to wait
 * should wait for the earliest recovery instead of failing at once (a 429 with
 * Retry-After: 2 is not an outage). Waits only when that moment falls before `deadline`
 * (the request's deadline, or sooner: health.maxRecoveryWaitMs from now); otherwise fails
 * fast with no_healthy_endpoint (503) and tells the caller when to come back (retryAfterMs).
 */
export async function waitForRecovery(
  clock: Clock,
  earliest: number,
  deadline: number,
  enabled: boolean,
  model: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const now = clock.now();
  const known = Number.isFinite(earliest);
  if (!enabled || !known || earliest > deadline) {
    const when = known ? `; the first recovers in ${Math.ceil(earliest - now)} ms` : '';
    const why = !enabled ? '' : known ? ', later than this request waits' : '';
    throw new RouterError('no_healthy_endpoint', `no endpoint of "${model}" is available${when}${why}`, {
      retryAfterMs: known ? Math.max(0, Math.ceil(earliest - now)) : undefined,
    });
  }
  try {
    // A tiny floor keeps float rounding (token buckets) from spinning at zero delay.
    await clock.sleep(Math.max(1e-3, earliest - now), signal);
  } catch (e) {
    throw toRouterError(e);
  }
}
