import type { ChatMessage } from '../core/types.js';
import { fmix32 } from '../core/hash.js';

/**
 * Prompt prefixes as chains of block hashes, and a bounded LRU of blocks with a TTL.
 * Shared by the prefix-aware strategy (an approximate per-endpoint index of what the
 * router sent) and the simulator's provider prompt cache (what a provider holds).
 *
 * A prefix is cut into fixed blocks (vLLM's automatic prefix caching, Mooncake's
 * `hash_ids`: 512 tokens). Block k's hash chains over blocks 0..k, so equal hashes at k
 * mean equal prefixes up to k, and a request's cache hit is its longest run of leading
 * blocks present. Only full blocks count (a partial last block is never cached).
 */

/** Tokens per prefix block (Mooncake's hash_ids, vLLM's default page is smaller but the same idea). */
export const DEFAULT_BLOCK_TOKENS = 512;
/** Characters per token of the usual English rule of thumb (simulator/openai-wire.ts approxTokens). */
export const CHARS_PER_TOKEN = 4;

/** The text of a message's content: a string, or the text parts of a list of parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .join(' ');
  return '';
}

/**
 * Chained block hashes of a chat prompt: the messages' roles and texts, in order, cut into
 * blocks of `blockTokens` × 4 characters; block k's hash is FNV-1a over its characters
 * starting from block k−1's hash (finalised with murmur3's fmix32), so it depends on the
 * whole prefix. Returns the full blocks only. No text is kept: only the 32-bit hashes.
 *
 * Memory: O(number of blocks) numbers; time: one pass over the text.
 */
export function prefixBlockHashes(messages: readonly ChatMessage[] | undefined, blockTokens = DEFAULT_BLOCK_TOKENS): number[] {
  const out: number[] = [];
  if (!Array.isArray(messages) || messages.length === 0) return out;
  const blockChars = blockTokens * CHARS_PER_TOKEN;
  let h = 0x811c9dc5;
  let n = 0;
  const feed = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      if (++n === blockChars) {
        h = fmix32(h);
        out.push(h);
        n = 0;
      }
    }
  };
  for (const m of messages) {
    if (m === null || typeof m !== 'object') continue;
    feed(typeof m.role === 'string' ? m.role : '');
    feed('\u0000');
    feed(contentText(m.content));
    feed('\u0001');
  }
  return out;
}

/**
 * A bounded LRU of block hashes, each with the time it was last used, expiring `ttlMs`
 * after that. A JS Map keeps insertion order, so re-inserting a block moves it to the
 * end: the first entries are the least recently used, and (time never goes backwards)
 * also the oldest, so eviction by capacity and by TTL both take from the front.
 *
 * match() only reads (an expired block counts as absent); insert() touches and evicts.
 * Memory: at most `capacity` entries (~50-80 bytes each in V8).
 */
export class BlockLru {
  private readonly blocks = new Map<number, number>();
  /** Bumped by every insert (lets a caller tell whether the contents may have changed). */
  version = 0;

  constructor(
    readonly capacity: number,
    readonly ttlMs: number,
  ) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new Error(`BlockLru: capacity: expected a positive integer of blocks, got ${capacity}`);
    if (!(ttlMs > 0)) throw new Error(`BlockLru: ttlMs: expected a positive number of ms, got ${ttlMs}`);
  }

  get size(): number {
    return this.blocks.size;
  }

  /** How many leading blocks of `hashes` are present and unexpired at `nowMs`. */
  match(hashes: ArrayLike<number>, nowMs: number): number {
    const b = this.blocks;
    const oldest = nowMs - this.ttlMs;
    let k = 0;
    while (k < hashes.length) {
      const t = b.get(hashes[k]!);
      if (t === undefined || t <= oldest) break;
      k++;
    }
    return k;
  }

  /** Mark every block of `hashes` used at `nowMs` (inserting the missing ones), then evict. */
  insert(hashes: ArrayLike<number>, nowMs: number): void {
    const b = this.blocks;
    for (let k = 0; k < hashes.length; k++) {
      const h = hashes[k]!;
      b.delete(h);
      b.set(h, nowMs);
    }
    this.version++;
    this.evict(nowMs);
  }

  private evict(nowMs: number): void {
    const b = this.blocks;
    const oldest = nowMs - this.ttlMs;
    for (const [h, t] of b) {
      if (b.size <= this.capacity && t > oldest) break;
      b.delete(h);
    }
  }
}
