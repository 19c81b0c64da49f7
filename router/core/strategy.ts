import type { z } from 'zod';
import { parseOrThrow } from './config.js';
import { RouterError } from './errors.js';
import type { Random } from './random.js';
import type { Candidate, RouteRequest } from './types.js';

/** Classifies prompt text into a class label (e.g. "coding", "math", "writing"). */
export interface Classifier {
  readonly classes: readonly string[];
  classify(text: string): { label: string; scores: Readonly<Record<string, number>> };
}

/** What a strategy may read besides the candidates: the time and the seeded random stream. */
export interface PickContext {
  readonly now: number;
  readonly random: Random;
}

/** A strategy's answer: the index into `candidates`, optional per-candidate scores and a reason (for the trace). */
export interface Pick {
  readonly index: number;
  readonly scores?: readonly number[];
  readonly reason?: string;
}

/**
 * A load-balancing policy: a pure pick over an immutable snapshot. It may keep small
 * state of its own (a cursor, current weights), keyed by endpoint id. The router has
 * already removed unavailable endpoints (health before load), unless in panic mode.
 * `candidates` is never empty when the router calls pick; strategies must still throw
 * RouterError('no_candidates') when it is.
 */
export interface Strategy {
  readonly name: string;
  pick(candidates: readonly Candidate[], request: RouteRequest, ctx: PickContext): Pick;
}

/** Dependencies a strategy factory may use. */
export interface StrategyDeps {
  /** The prompt classifier (classifier strategy); the shipped default when absent. */
  classifier?: Classifier;
  /** The router's endpoint ids: params naming an endpoint (endpointRefs) must name one of these. */
  endpointIds?: readonly string[];
}

export interface StrategyDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  /** One line: what it optimises. */
  readonly optimises: string;
  /** One line: what it needs (stats, prices, keys...). */
  readonly needs: string;
  /** Validates `params` (plain JSON). */
  readonly params: S;
  create(params: z.output<S>, deps: StrategyDeps): Strategy;
  /** The endpoint ids the params name, with their paths (e.g. ['weights.gpt', 'gpt']): checked against the router's endpoints. */
  endpointRefs?(params: z.output<S>): Array<readonly [path: string, id: string]>;
}

const registry = new Map<string, StrategyDefinition>();

/** Register a strategy under its name. Re-registering a name replaces it. */
export function registerStrategy<S extends z.ZodType>(def: StrategyDefinition<S>): void {
  const d = def as Partial<StrategyDefinition> | null;
  if (typeof d?.name !== 'string' || d.name === '') throw new RouterError('invalid_config', 'registerStrategy: expected a definition with a non-empty name');
  if (typeof d.params?.safeParse !== 'function')
    throw new RouterError('invalid_config', `registerStrategy("${d.name}"): params must be a zod schema (z.strictObject({}) for none)`);
  if (typeof d.create !== 'function') throw new RouterError('invalid_config', `registerStrategy("${d.name}"): create must be a function`);
  registry.set(def.name, def as unknown as StrategyDefinition);
}

export function strategyNames(): string[] {
  return [...registry.keys()].sort();
}

export function strategyDefinitions(): StrategyDefinition[] {
  return strategyNames().map((n) => registry.get(n)!);
}

/**
 * Build a strategy from its name and plain-JSON params. Unknown names list the valid
 * ones; bad params name the field path.
 */
export function createStrategy(
  ref: string | { name: string; params?: Record<string, unknown> },
  deps: StrategyDeps = {},
): Strategy {
  const name = typeof ref === 'string' ? ref : ref.name;
  const params = typeof ref === 'string' ? {} : (ref.params ?? {});
  const def = registry.get(name);
  if (!def)
    throw new RouterError('unknown_strategy', `unknown strategy "${name}"; valid strategies: ${strategyNames().join(', ')}`);
  const parsed = parseOrThrow(def.params, params, `strategy "${name}" params`);
  const ids = deps.endpointIds;
  // A misspelt id would otherwise be ignored in silence (weights of 100 that change nothing).
  if (ids !== undefined && def.endpointRefs !== undefined)
    for (const [path, id] of def.endpointRefs(parsed))
      if (!ids.includes(id))
        throw new RouterError('invalid_config', `strategy "${name}" params.${path}: no endpoint has id "${id}"; endpoint ids: ${ids.join(', ')}`);
  return def.create(parsed, deps);
}

/** Throw the standard error for an empty candidate set. */
export function assertCandidates(candidates: readonly Candidate[], strategy: string): void {
  if (candidates.length === 0)
    throw new RouterError('no_candidates', `strategy "${strategy}" was given no candidate endpoints`);
}
