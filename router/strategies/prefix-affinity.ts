/**
 * prefix-affinity: send a request where its prompt prefix is most likely still in the
 * provider's prompt cache, unless that endpoint is too busy. After SGLang's cache-aware
 * router and llm-d's approximate prefix-cache scorer: the router keeps, per endpoint, an
 * approximate index of the prefix blocks it sent there (block hashes only, no text; an
 * LRU of `indexBlocks` blocks per endpoint with the provider's cache TTL), and scores an
 * endpoint by the longest run of this request's leading blocks found in its index.
 *
 *   load_i     = inFlight_i / (weight_i · slowStart_i)          (requests per unit of weight)
 *   eligible_i ⇔ load_i − min_j load_j ≤ maxLoadGap             (the load trade-off rule)
 *   match_i    = leading blocks of the request found in index_i
 *   pick       = argmax match_i over eligible (ties: lower load, then lower index)
 *                if that match < minMatchBlocks: the fallback strategy over all candidates
 *
 * So a conversation stays where its cache is warm while that endpoint is at most
 * `maxLoadGap` requests per unit of weight busier than the least-loaded one; past that it
 * moves (and warms a second cache). Requests with no full block of prefix (a short prompt,
 * no messages) go to the fallback (default least-connections). The picked endpoint's index
 * records the request's blocks at pick time (what was sent, not what the provider kept).
 *
 * Prefix: `request.prefixHashes` when given (the simulator's block ids), else the chained
 * block hashes of `request.messages` (prefix-blocks.ts), so it works in the proxy as is.
 * Memory: at most indexBlocks × endpoints entries (65,536 × 4 endpoints ≈ 15 MB).
 */
import { z } from 'zod';
import { strategyRefSchema } from '../core/config.js';
import { assertCandidates, registerStrategy, type Pick, type PickContext, type Strategy, type StrategyDefinition, type StrategyDeps } from '../core/strategy.js';
import type { Candidate, RouteRequest } from '../core/types.js';
import { BlockLru, DEFAULT_BLOCK_TOKENS, prefixBlockHashes } from './prefix-blocks.js';
import { effectiveWeight } from './util.js';
import { createFallback } from './fallback.js';

const params = z.strictObject({
  /** Tokens per prefix block when hashing messages (match the providers' cache block). */
  blockTokens: z.number().int().positive().default(DEFAULT_BLOCK_TOKENS),
  /** Blocks remembered per endpoint (bounded memory). */
  indexBlocks: z.number().int().positive().max(10_000_000).default(65_536),
  /** A block not sent to an endpoint for this long is assumed evicted there (providers' prompt caches: ~5 min). */
  ttlS: z.number().positive().default(300),
  /** Stay on the warm endpoint while its load is at most this many in-flight requests per unit weight above the least loaded. */
  maxLoadGap: z.number().nonnegative().default(4),
  /** Fewer matched blocks than this: no affinity, use the fallback. */
  minMatchBlocks: z.number().int().positive().default(1),
  /** Strategy for requests without a prefix or without a match. */
  fallback: strategyRefSchema.default('least-connections'),
});

type Params = z.output<typeof params>;

/** In-flight requests per unit of current weight (an endpoint with weight 0 counts as infinitely loaded). */
function loadOf(c: Candidate): number {
  const w = effectiveWeight(c);
  return w > 0 ? c.stats.inFlight / w : Infinity;
}

class PrefixAffinity implements Strategy {
  readonly name = 'prefix-affinity';
  private readonly index = new Map<string, BlockLru>();
  constructor(
    private readonly p: Params,
    private readonly fallback: Strategy,
  ) {}

  pick(candidates: readonly Candidate[], request: RouteRequest, ctx: PickContext): Pick {
    assertCandidates(candidates, this.name);
    const hashes = request.prefixHashes ?? prefixBlockHashes(request.messages, this.p.blockTokens);
    if (hashes.length === 0) return this.viaFallback(candidates, request, ctx, undefined, 'no prefix block');
    let min = Infinity;
    for (const c of candidates) min = Math.min(min, loadOf(c));
    const scores = new Array<number>(candidates.length).fill(0);
    let best = -1;
    let bestMatch = 0;
    let bestLoad = Infinity;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      const load = loadOf(c);
      const m = this.indexOf(c.endpoint.id).match(hashes, ctx.now);
      scores[i] = m;
      if (!(load - min <= this.p.maxLoadGap)) continue;
      if (m > bestMatch || (m === bestMatch && m > 0 && load < bestLoad)) {
        best = i;
        bestMatch = m;
        bestLoad = load;
      }
    }
    if (best < 0 || bestMatch < this.p.minMatchBlocks)
      return this.viaFallback(candidates, request, ctx, hashes, `best match ${bestMatch}/${hashes.length} blocks`, scores);
    this.record(candidates[best]!, hashes, ctx.now);
    return { index: best, scores, reason: `prefix match ${bestMatch}/${hashes.length} blocks within load gap` };
  }

  private viaFallback(
    candidates: readonly Candidate[],
    request: RouteRequest,
    ctx: PickContext,
    hashes: ArrayLike<number> | undefined,
    why: string,
    scores?: number[],
  ): Pick {
    const inner = this.fallback.pick(candidates, request, ctx);
    if (hashes !== undefined) this.record(candidates[inner.index]!, hashes, ctx.now);
    const reason = `${why}; ${this.fallback.name}: ${inner.reason ?? ''}`;
    return scores === undefined ? { ...inner, reason } : { index: inner.index, scores, reason };
  }

  private record(c: Candidate | undefined, hashes: ArrayLike<number>, now: number): void {
    if (c !== undefined) this.indexOf(c.endpoint.id).insert(hashes, now);
  }

  private indexOf(id: string): BlockLru {
    let lru = this.index.get(id);
    if (lru === undefined) {
      lru = new BlockLru(this.p.indexBlocks, this.p.ttlS * 1000);
      this.index.set(id, lru);
    }
    return lru;
  }
}

function createPrefixAffinity(p: Params, deps: StrategyDeps): Strategy {
  return new PrefixAffinity(p, createFallback('prefix-affinity', p.fallback, deps));
}

export const prefixAffinityStrategy: StrategyDefinition<typeof params> = {
  name: 'prefix-affinity',
  optimises: 'prompt-cache hits (cost, TTFT): the endpoint holding most of the prefix, unless it is more than maxLoadGap busier than the least loaded',
  needs: 'request.prefixHashes or messages (hashed by blocks, no text kept), in-flight counts, weights',
  params,
  create: createPrefixAffinity,
};

registerStrategy(prefixAffinityStrategy);
