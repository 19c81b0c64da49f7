import { basename, extname } from 'node:path';
import { normaliseKeys } from '../../router/http/config.js';
import { profileFor } from './common.js';
import type { GatewayImport } from './common.js';
import { importLiteLlm } from './litellm-import.js';
import { importPortkey } from './portkey-import.js';

/**
 * A scenario that simulates an imported gateway: one provider per endpoint, played by the
 * shipped profile of the same model (else the same provider) with the endpoint's price,
 * limits and context window; the gateway's own algorithm (its baseline strategy and router
 * settings) first, then two of ours on the same traffic. A scenario file may also *be* a
 * LiteLLM or Portkey config: setup/load.ts converts it with gatewayScenario on the fly.
 */

type Obj = Record<string, unknown>;

/** Which gateway a parsed file is, or null for one of ours. */
export function detectGateway(raw: unknown): 'litellm' | 'portkey' | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const o = raw as Obj;
  if ('providers' in o || 'endpoints' in o) return null;
  if ('model_list' in o) return 'litellm';
  if ('targets' in o || (typeof o.strategy === 'object' && o.strategy !== null && 'mode' in o.strategy)) return 'portkey';
  return null;
}

/** Import a parsed gateway config of the given kind. */
export function importGateway(kind: 'litellm' | 'portkey', raw: unknown, where: string): GatewayImport {
  return kind === 'litellm' ? importLiteLlm(raw, where) : importPortkey(raw, where);
}

const safeId = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'p';

/** The scenario (as a raw object, validated by load.ts) for an imported gateway config. */
export function gatewayScenario(g: GatewayImport, file: string): Obj {
  const c = normaliseKeys(structuredClone(g.config)) as Obj;
  const endpoints = c.endpoints as Obj[];
  const providers = endpoints.map((e) => {
    const { profile } = profileFor(String(e.provider), String(e.upstreamModel));
    const overrides: Obj = {};
    if (e.price !== undefined) overrides.price = e.price;
    if (e.limits !== undefined) overrides.limits = e.limits;
    if (e.contextWindow !== undefined) overrides.contextWindow = e.contextWindow;
    const endpoint: Obj = {};
    for (const k of ['weight', 'priority', 'region'] as const) if (e[k] !== undefined) endpoint[k] = e[k];
    if (e.model !== g.primaryModel) endpoint.model = e.model;
    return { profile: profile.name, id: safeId(String(e.id)), overrides, endpoint };
  });
  const strategies = [c.strategy, 'adaptive', 'latency'];
  const name = safeId(basename(file, extname(file)));
  const { endpoints: _e, strategy: _s, ...router } = c;
  return {
    name,
    description: `${g.from === 'litellm' ? 'LiteLLM' : 'Portkey'} config ${basename(file)}, simulated with its own algorithm (${typeof c.strategy === 'string' ? c.strategy : (c.strategy as Obj).name}) and two of ours`,
    question: `Do our adaptive and latency strategies beat the gateway's own algorithm on this config?`,
    // Required by every scenario file: what the verdict ranks first; adaptive is the recommended default.
    headline: { metrics: ['errorRate', 'latencyMs.p99', 'costPer1kOk'], expectedWinner: 'adaptive' },
    seed: 1,
    model: g.primaryModel,
    providers,
    load: {
      arrivals: 'poisson',
      rate: 20,
      durationS: 60,
      mix: [{ class: 'general', inputTokens: { median: 300, sigma: 0.8 }, outputTokens: { median: 100, sigma: 0.5 } }],
    },
    strategies,
    router,
  };
}
