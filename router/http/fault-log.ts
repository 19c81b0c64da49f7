import type { RouterEvent } from '../core/events.js';
import type { Candidate } from '../core/types.js';

/**
 * Provider-side configuration faults (the provider refused the endpoint's key, or does not
 * know its model) are for the operator, not the client: the router fails over and ejects the
 * endpoint for long (health.providerFaultEjectionMs). This logs each one once, naming the
 * endpoint and the environment variable that holds its key (never the key), and again only
 * after the endpoint answered successfully in between. /health lists the same as `alerts`.
 */

const WHAT: Record<string, string> = {
  upstream_auth_error: 'the provider refused its API key',
  upstream_not_found: 'the provider does not serve its model (404)',
};

export function faultLogger(candidates: () => readonly Candidate[], log: (line: string) => void): (e: RouterEvent) => void {
  const logged = new Set<string>();
  return (e) => {
    if (e.type !== 'attempt-end') return;
    if (e.ok) {
      if (logged.size > 0) logged.delete(e.endpointId);
      return;
    }
    const what = e.errorCode === undefined ? undefined : WHAT[e.errorCode];
    if (what === undefined || logged.has(e.endpointId)) return;
    logged.add(e.endpointId);
    const ep = candidates().find((c) => c.endpoint.id === e.endpointId)?.endpoint;
    const key = ep?.apiKeyEnv === undefined ? 'no api_key_env is configured' : `check the key in env var ${ep.apiKeyEnv}`;
    const fix = e.errorCode === 'upstream_auth_error' ? key : `check upstream_model "${ep?.upstreamModel ?? '?'}" and base_url`;
    log(`endpoint ${e.endpointId}: ${what} (HTTP ${e.status ?? '?'}); ejected, traffic fails over; ${fix}`);
  };
}

/** /health's `alerts`: one per endpoint that is out for a provider-side configuration fault. */
export function faultAlerts(cands: readonly Candidate[]): Array<{ endpoint: string; fault: string; apiKeyEnv?: string }> {
  const out: Array<{ endpoint: string; fault: string; apiKeyEnv?: string }> = [];
  for (const c of cands) {
    const f = c.health.fault;
    if (f === undefined) continue;
    out.push(f === 'provider_auth' && c.endpoint.apiKeyEnv !== undefined ? { endpoint: c.endpoint.id, fault: f, apiKeyEnv: c.endpoint.apiKeyEnv } : { endpoint: c.endpoint.id, fault: f });
  }
  return out;
}
