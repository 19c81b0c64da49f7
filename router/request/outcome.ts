import type { ErrorCode, RouterError } from '../core/errors.js';
import { costOf } from '../core/stats.js';
import type { AttemptRecord, EndpointFault, Usage } from '../core/types.js';
import type { Attempt } from './attempt.js';
import { estimateTokens } from '../core/rate-limit.js';

/**
 * Recording what one attempt taught us: stats, health (breaker + cooldown), the rate-limit
 * bucket's real token count, the trace record and the `attempt-end` event. The only place
 * outcomes enter the router's state, so every path (success, error status, timeout,
 * abort, stream end) is counted the same way.
 */

/** Failures that say something about the endpoint. A bad request (upstream 4xx, or one that could not even be encoded) or a client that left does not. */
export function countsForHealth(err: RouterError): boolean {
  return err.code !== 'upstream_client_error' && err.code !== 'aborted' && err.code !== 'invalid_request';
}

/** Errors that are configuration faults at the provider: a long ejection, not the usual few seconds. */
const FAULTS: Partial<Record<ErrorCode, EndpointFault>> = {
  upstream_auth_error: 'provider_auth',
  upstream_not_found: 'provider_model_not_found',
};

/** Statuses whose answer means "come back later": they start a cooldown even without Retry-After. */
function isCooldownStatus(status: number | undefined): boolean {
  return status === 429 || status === 503 || status === 529;
}

export interface OutcomeDetail {
  readonly ok: boolean;
  readonly err: RouterError | undefined;
  /** The upstream HTTP status, when one arrived. */
  readonly status: number | undefined;
  readonly usage: Usage | undefined;
  /** Transport-reported TTFT, else first-chunk time, else latency. */
  readonly ttftMs: number | undefined;
}

/** Builds the trace record of an attempt. */
export function attemptRecord(a: Attempt, endedAt: number, d: OutcomeDetail): AttemptRecord {
  return {
    endpointId: a.slot.endpoint.id,
    model: a.model,
    startedAt: a.startedAt,
    endedAt,
    ok: d.ok,
    errorCode: d.err?.code,
    status: d.status,
    reason: a.reason,
  };
}

export function recordOutcome(a: Attempt, d: OutcomeDetail): void {
  const { rt, slot, ctx } = a;
  const now = rt.clock.now();
  const latencyMs = now - a.startedAt;
  const counts = d.ok || (d.err !== undefined && countsForHealth(d.err));
  const ttftMs = d.ok ? (d.ttftMs ?? latencyMs) : d.ttftMs;
  slot.stats.onEnd({ ok: d.ok, latencyMs, ttftMs, usage: d.usage, countsForHealth: counts }, now);
  slot.statsVersion++;
  slot.health.endAttempt(now, a.probe, d.ok, counts);
  if (d.err !== undefined) {
    const fault = FAULTS[d.err.code];
    if (fault !== undefined) slot.health.faultEject(now, rt.config.health.providerFaultEjectionMs, fault);
    const retryAfter = d.err.retryAfterMs;
    if (retryAfter !== undefined) slot.health.cooldown(now, retryAfter);
    else if (isCooldownStatus(d.status)) slot.health.cooldown(now, rt.config.health.defaultCooldownMs);
  }
  if (d.usage !== undefined && slot.admission !== null)
    slot.admission.settle(estimateTokens(ctx.req), d.usage.inputTokens + d.usage.outputTokens);
  const record = attemptRecord(a, now, d);
  if (a.recordIndex >= 0) ctx.attempts[a.recordIndex] = record;
  else ctx.addAttempt(record);
  if (rt.bus.active)
    rt.bus.emit({
      type: 'attempt-end',
      at: now,
      requestId: ctx.id,
      endpointId: slot.endpoint.id,
      model: a.model,
      reason: a.reason,
      ok: d.ok,
      errorCode: d.err?.code,
      status: d.status,
      latencyMs,
      ttftMs,
      usage: d.usage,
      costUsd: d.usage === undefined ? 0 : (d.usage.costUsd ?? costOf(slot.endpoint, d.usage)),
      retryAfterMs: d.err?.retryAfterMs,
    });
}
