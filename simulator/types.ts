import type { OutcomeKind } from './fault-kinds.js';

/**
 * Contracts shared by the simulator's parts (profile/model, engine, workload, oracle,
 * HTTP servers, msw handlers). Plain data.
 */

/** One request of a workload, drawn at arrival time from seeded streams. */
export interface SimRequest {
  /** Sequence number in the workload (0-based); also keys the per-request random draws. */
  readonly id: number;
  /** Scenario time of arrival, ms. */
  readonly arrivalMs: number;
  readonly promptClass: string;
  /** Realistic prompt text (so a classifier has something to read). */
  readonly prompt: string;
  readonly inputTokens: number;
  /** How many tokens a full answer has. */
  readonly outputTokens: number;
  readonly stream: boolean;
  readonly sessionKey: string;
  /**
   * Prompt prefix as chained block hashes (Mooncake `hash_ids`, the conversation generator,
   * or hashed message text on the wire); absent = no reusable prefix. See prompt-cache.ts.
   */
  readonly prefix?: ArrayLike<number>;
  /**
   * A repeated question (workload `faq`): its index among the workload's questions. Every
   * request with the same index has the same prompt, token counts and class, is sent
   * non-streaming at temperature 0, so an exact-match response cache can answer it.
   */
  readonly faq?: number;
  /** Outcome replay: provider id → the judged score of its answer to this prompt (>= 0.5 = acceptable). */
  readonly outcomes?: Readonly<Record<string, number>>;
}

/**
 * What a client declares as `max_tokens` (scenario `load.maxTokens`): `exact` the answer's own
 * length (the default, a client that knows it: the router may then read the answer's length
 * ahead, which flatters any rule that does); `pow2` the answer's length rounded up to a power
 * of two (a client with a rough cap, e.g. 256 or 1024); `none` no max_tokens at all. The
 * answer's length itself is the same in every mode.
 */
export type MaxTokensMode = 'exact' | 'pow2' | 'none';

/** The max_tokens a request of `outputTokens` declares under `mode` (undefined: none). */
export function declaredMaxTokens(mode: MaxTokensMode, outputTokens: number): number | undefined {
  const n = Math.max(1, outputTokens);
  if (mode === 'exact') return n;
  if (mode === 'none') return undefined;
  return 2 ** Math.ceil(Math.log2(n));
}

/** What one provider does with one request: one table with the failure kinds (fault-kinds.ts). */
export type { OutcomeKind } from './fault-kinds.js';

/** What one provider does with one request. */
export interface ProviderOutcome {
  readonly kind: OutcomeKind;
  /** HTTP status: 200, 429, 5xx; 0 for connection-level kinds. */
  readonly status: number;
  /** ms from send until the first token (for a failure: until the failure shows). */
  readonly ttftMs: number;
  /** ms from send until completion or failure; Infinity for `hang`. */
  readonly totalMs: number;
  readonly inputTokens: number;
  /** Tokens produced (for stream_cut: before the cut). */
  readonly outputTokens: number;
  readonly retryAfterMs?: number;
  /** `stall` only: ms from send until the last token before the silence. */
  readonly stallAtMs?: number;
  /** Quality draw: would the answer be acceptable for the request's class. */
  readonly acceptable: boolean;
  /** USD billed (0 when nothing was produced). */
  readonly costUsd: number;
  /** Input tokens served from the provider's prompt cache (set only when the provider has one and the request a prefix). */
  readonly cachedTokens?: number;
  /** USD the cache saved against list input price (cache writes at a premium count negative). */
  readonly cacheSavingsUsd?: number;
}

/**
 * Longest scenario the simulator accepts: 7 days of scenario time. The metrics timeline
 * has one point per second (604,800 points at this bound, ~90 MB while summarizing, ~43 MB
 * of JSON), so a longer (or infinite) durationS is rejected up front instead of exhausting memory.
 */
export const MAX_DURATION_S = 7 * 24 * 3600;
