import { gatewayError, issueLines, NO_HEALTH, NO_RETRY_BUDGET, profileFor, PROVIDER_BASE_URLS, uniqueId, unknownKeys, type GatewayImport } from './common.js';
import { KNOWN_TARGET_KEYS, PORTKEY_RETRY_STATUSES, targetSchema, type PortkeyTarget } from './portkey-schema.js';

/**
 * Portkey gateway config -> our proxy config (snake_case), simulating Portkey's algorithm.
 * The target tree is flattened into a fallback chain of load-balanced groups:
 *   leaf         one group of one target
 *   loadbalance  one group: its targets, weight_leaf = weight_child x (leaf share in child)
 *   fallback     the children's chains, one after the other
 * Group 0 is the model clients ask for (`model`), group k is `<model>-fallback-<k>`, chained
 * with router fallbacks; the pick inside a group is baseline-portkey-loadbalance. Portkey
 * has no outlier detection, cooldown or slow start: those are switched off (NO_HEALTH).
 *   attempts = (1 + retry.attempts) x groups
 */

type Obj = Record<string, unknown>;

interface Leaf {
  target: PortkeyTarget;
  path: string;
  weight: number;
  /** override_params inherited from the parents, then the target's own. */
  model: string | undefined;
}

/** The fallback chain of load-balanced groups a (sub)tree stands for. */
function chainOf(t: PortkeyTarget, path: string, inherited: string | undefined, warnings: string[]): Leaf[][] {
  const model = t.override_params?.model ?? inherited;
  if (!t.targets) return [[{ target: t, path: path || '(top)', weight: t.weight ?? 1, model }]];
  const at = path ? `${path}.` : '';
  const mode = t.strategy?.mode;
  if (mode === undefined) throw gatewayError('Portkey config', [`${at}strategy.mode: required with targets; one of single, loadbalance, fallback, conditional`]);
  if (path && (t.retry || t.request_timeout !== undefined)) warnings.push(`${at}retry/request_timeout: only the top level's are carried`);
  const children = t.targets.map((c, i) => chainOf(c, `${at}targets[${i}]`, model, warnings));
  if (mode === 'fallback') return children.flat(1);
  if (mode === 'single') {
    if (children.length > 1) warnings.push(`${at}targets: mode single uses the first target only; ${children.length - 1} more not carried`);
    return children[0]!;
  }
  if (mode === 'conditional') warnings.push(`${at}strategy.mode: conditional routing is not carried; its targets are load balanced by weight`);
  const group: Leaf[] = [];
  children.forEach((chain, i) => {
    const w = t.targets![i]!.weight ?? 1;
    if (w === 0) return void warnings.push(`${at}targets[${i}].weight: 0 (never chosen by Portkey): left out`);
    if (chain.length > 1) warnings.push(`${at}targets[${i}]: a fallback inside a loadbalance is not carried; only its first group is`);
    const first = chain[0]!;
    const total = first.reduce((s, l) => s + l.weight, 0);
    for (const l of first) group.push({ ...l, weight: (w * l.weight) / total });
  });
  if (group.length === 0) throw gatewayError('Portkey config', [`${at}targets: every weight is 0; nothing to route to`]);
  return [group];
}

function endpointFor(l: Leaf, model: string, ids: Set<string>, warnings: string[]): Obj {
  const t = l.target;
  const provider = (t.provider ?? t.virtual_key ?? 'openai').replace(/^@/, '');
  const upstream = l.model ?? model;
  const e: Obj = { id: uniqueId(t.name ?? provider, ids), provider, model, upstream_model: upstream };
  const base = t.custom_host ?? PROVIDER_BASE_URLS[provider];
  if (base !== undefined) e.base_url = base;
  else warnings.push(`${l.path}: no custom_host and no known OpenAI-compatible URL for provider "${provider}": set base_url before serving`);
  if (t.api_key !== undefined || t.virtual_key !== undefined)
    warnings.push(`${l.path}.${t.api_key !== undefined ? 'api_key' : 'virtual_key'}: keys are never written out; set api_key_env`);
  if (Math.abs(l.weight - 1) > 1e-12) e.weight = Number(l.weight.toPrecision(12));
  const { profile, exact } = profileFor(provider, upstream);
  if (exact) {
    e.price = { ...profile.price };
    if (profile.contextWindow !== undefined) e.context_window = profile.contextWindow;
  } else warnings.push(`${l.path}: no known price for "${upstream}": price 0`);
  return e;
}

function notCarried(t: PortkeyTarget, path: string, out: string[]): string[] {
  out.push(...unknownKeys(t, KNOWN_TARGET_KEYS, path));
  const codes = t.retry?.on_status_codes;
  if (codes && codes.join() !== PORTKEY_RETRY_STATUSES.join()) out.push(`${path ? `${path}.` : ''}retry.on_status_codes`);
  if (t.strategy?.on_status_codes) out.push(`${path ? `${path}.` : ''}strategy.on_status_codes`);
  t.targets?.forEach((c, i) => notCarried(c, `${path ? `${path}.` : ''}targets[${i}]`, out));
  return out;
}

/** Validate a parsed Portkey config and convert it; throws a ScenarioError (exit 2) naming the key path. */
export function importPortkey(raw: unknown, where = 'Portkey config', model = 'chat'): GatewayImport {
  // A Portkey config is a target (provider, or strategy + targets); a LiteLLM file is not one, though every Portkey key is optional.
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const keys = Object.keys(raw);
    if (keys.includes('model_list') || keys.includes('router_settings'))
      throw gatewayError(where, ['model_list / router_settings: this is a LiteLLM config (use --from litellm)']);
    if (!keys.some((k) => ['provider', 'strategy', 'targets', 'virtual_key', 'api_key'].includes(k)))
      throw gatewayError(where, [`(root): a Portkey config needs "provider" or "strategy" with "targets"; found ${keys.join(', ') || 'no keys'}`]);
  }
  const r = targetSchema.safeParse(raw);
  if (!r.success) throw gatewayError(where, issueLines(r.error));
  const top = r.data;
  const warnings: string[] = [];
  const chain = chainOf(top, '', undefined, warnings);
  const ids = new Set<string>();
  const groupName = (k: number) => (k === 0 ? model : `${model}-fallback-${k}`);
  const endpoints = chain.flatMap((g, k) => g.map((l) => endpointFor(l, groupName(k), ids, warnings)));
  const attempts = top.retry?.attempts ?? 0;
  const config: Obj = {
    endpoints,
    strategy: 'baseline-portkey-loadbalance',
    fallbacks: chain.length > 1 ? { [model]: chain.slice(1).map((_, k) => groupName(k + 1)) } : {},
    health: { ...NO_HEALTH },
    retry: { max_attempts: (1 + attempts) * chain.length, ...NO_RETRY_BUDGET },
    ...(top.request_timeout !== undefined ? { timeouts: { ttft_ms: top.request_timeout } } : {}),
    hedging: { enabled: false },
  };
  if (top.request_timeout !== undefined) warnings.push('request_timeout: bounds each attempt until its first byte here (ttft_ms), the whole attempt in Portkey');
  if (attempts > 0 && chain.length > 1) warnings.push('retry.attempts: here retries follow the fallback chain; Portkey retries each target before falling back');
  const skipped = notCarried(top, '', []);
  if (skipped.length) warnings.unshift(`not carried (no equivalent here): ${skipped.join(', ')}`);
  return { from: 'portkey', config, primaryModel: model, warnings };
}
