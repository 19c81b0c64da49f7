import { CHARS_PER_TOKEN, DEFAULT_BLOCK_TOKENS } from '../../router/strategies/prefix-blocks.js';

/**
 * http mode: a request's prefix blocks (simulator block ids) as message text, so that the
 * proxy's prefix-affinity and the mock providers' prompt caches, which both hash message
 * text by blocks (router/strategies/prefix-blocks.ts), see the same sharing as sim mode:
 * each block id becomes 512 × 4 characters of text derived from the id alone, so two
 * requests share a text prefix exactly as far as they share leading block ids.
 * At most `maxChars` characters (bodies stay bounded).
 */
export function prefixText(prefix: ArrayLike<number>, maxChars: number): string {
  const blockChars = DEFAULT_BLOCK_TOKENS * CHARS_PER_TOKEN;
  const n = Math.min(prefix.length, Math.floor(maxChars / blockChars));
  let s = '';
  for (let i = 0; i < n; i++) {
    const word = `[block ${prefix[i]}] `;
    s += word.repeat(Math.ceil(blockChars / word.length)).slice(0, blockChars);
  }
  return s;
}
