import { RouterError } from '../core/errors.js';
import { ModelGroup } from './select.js';
import type { RouteRequest } from '../core/types.js';

/**
 * Routing on two fields users already set on endpoints: `contextWindow` and `region`.
 * Both only narrow or reorder the request's list of model groups, so failover, fallback,
 * health and the strategy work unchanged:
 *   context  need = input tokens (request.inputTokens, else ~chars / 4 of the messages)
 *                   + max_tokens;  endpoints with contextWindow < need are left out of the
 *                   group ("chat [context > 8192]"); a group none of whose endpoints fits
 *                   is dropped; when no group is left: 400 naming the need and the largest
 *                   window.
 *   region   the group's endpoints in request.region go first, as a group of their own
 *            ("chat [region eu-west]"), followed by the whole group: when none of them is
 *            usable the request falls back to the rest, as a 'fallback-model' attempt whose
 *            model (in the trace, the events and the metrics) is the whole group.
 * Derived groups share the endpoints' slots (stats, health, limits) and are built once
 * per distinct subset. A request with neither a large need nor a region costs one
 * comparison per group.
 */

/** ~4 characters per token: the usual rough estimate for English text and code. */
const CHARS_PER_TOKEN = 4;

/** Input tokens of a request: the caller's count, else its text length / 4. */
export function inputTokenEstimate(req: RouteRequest): number {
  if (req.inputTokens !== undefined) return req.inputTokens;
  let chars = 0;
  for (const m of req.messages ?? []) {
    const c = m.content;
    if (typeof c === 'string') chars += c.length;
    else if (Array.isArray(c)) for (const part of c) if (typeof (part as { text?: unknown })?.text === 'string') chars += (part as { text: string }).text.length;
  }
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

export class GroupRefiner {
  private readonly derived = new Map<string, ModelGroup>();
  /** Per base group: its smallest context window (Infinity when none is set). */
  private readonly minWindow = new Map<string, number>();
  /** Whether any endpoint sets a context window (else refine() only looks at the region). */
  private readonly anyWindow: boolean;

  /** `groups` is the router's map; derived groups are added to it under their own names. */
  constructor(private readonly groups: Map<string, ModelGroup>) {
    for (const [name, g] of groups) this.minWindow.set(name, Math.min(...g.slots.map((s) => s.endpoint.contextWindow ?? Infinity)));
    this.anyWindow = [...this.minWindow.values()].some((w) => w < Infinity);
  }

  /** The request's model list, narrowed by context window and reordered by region; `models` itself when neither applies. */
  refine(models: readonly string[], req: RouteRequest): readonly string[] {
    const region = req.region;
    // Hot path (every request): no windows configured and no region asked for.
    if (!this.anyWindow && region === undefined) return models;
    const sized = models.some((m) => this.minWindow.get(m)! < Infinity);
    const need = sized ? inputTokenEstimate(req) + (req.maxTokens ?? 0) : -1;
    const tooBig = need >= 0 && models.some((m) => need > this.minWindow.get(m)!);
    if (!tooBig && region === undefined) return models;
    const out: string[] = [];
    for (const m of models) {
      const fit = tooBig ? this.fitting(m, need) : m;
      if (fit === null) continue;
      if (region !== undefined) {
        const local = this.inRegion(fit, region);
        if (local !== null) out.push(local);
      }
      out.push(fit);
    }
    if (out.length === 0) throw this.noneFits(models, need);
    return out;
  }

  private group(name: string, slots: ModelGroup['slots']): string {
    if (!this.derived.has(name)) {
      const g = new ModelGroup(name, slots);
      this.derived.set(name, g);
      this.groups.set(name, g);
    }
    return name;
  }

  /** The group without the endpoints too small for `need` (null: none fits). */
  private fitting(model: string, need: number): string | null {
    const slots = this.groups.get(model)!.slots;
    const fit = slots.filter((s) => (s.endpoint.contextWindow ?? Infinity) >= need);
    if (fit.length === slots.length) return model;
    if (fit.length === 0) return null;
    const largestLeftOut = Math.max(...slots.filter((s) => !fit.includes(s)).map((s) => s.endpoint.contextWindow!));
    return this.group(`${model} [context > ${largestLeftOut}]`, fit);
  }

  /** The group's endpoints in `region`, when some but not all are there. */
  private inRegion(model: string, region: string): string | null {
    const slots = this.groups.get(model)!.slots;
    const local = slots.filter((s) => s.endpoint.region === region);
    if (local.length === 0 || local.length === slots.length) return null;
    return this.group(`${model} [region ${region}]`, local);
  }

  private noneFits(models: readonly string[], need: number): RouterError {
    const windows = models.flatMap((m) => this.groups.get(m)!.slots.map((s) => s.endpoint.contextWindow ?? Infinity));
    return new RouterError(
      'invalid_request',
      `request needs ~${need} tokens (input estimate + max_tokens) but the largest context window of model ${models.join(', ')} is ${Math.max(...windows)}; shorten the messages or lower max_tokens`,
    );
  }
}
