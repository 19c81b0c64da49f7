import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../router/core/types.js';
import { prefixBlockHashes } from '../router/strategies/prefix-blocks.js';
import { chatBody } from '../scenarios/load/samples.js';
import type { SimRequest } from '../simulator/types.js';

/**
 * http mode writes a request's prompt-cache prefix (simulator block ids) as message text,
 * which the mock providers' caches and the proxy's prefix-affinity hash by 512-token blocks.
 * Two requests must share exactly as many leading hashed blocks as they share leading block
 * ids, as in sim mode (issue #12: a long prompt used to cut the last system block from the
 * text, and identical padding made a partial block after the ids look shared).
 */
const BLOCK = 512;
const req = (id: number, prefix: number[], inputTokens: number, prompt: string): SimRequest => ({
  id,
  arrivalMs: 0,
  promptClass: 'general',
  prompt,
  inputTokens,
  outputTokens: 10,
  stream: false,
  sessionKey: `s${id}`,
  prefix,
});
const hashes = (r: SimRequest): number[] => prefixBlockHashes((JSON.parse(chatBody('chat', r)) as { messages: ChatMessage[] }).messages, BLOCK);
const shared = (a: number[], b: number[]): number => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

describe('http prefix text: as many shared blocks as sim mode', () => {
  it('keeps every block when the prompt is longer than the input beyond the blocks', () => {
    // 4 system blocks + 73 tokens: the prompt's 1,200 characters exceed 73 x 4.
    const long = 'Explain this code. '.repeat(64).slice(0, 1200);
    const a = hashes(req(1, [0, 1, 2, 3], 4 * BLOCK + 73, long));
    const b = hashes(req(2, [0, 1, 2, 3], 4 * BLOCK + 90, 'short question'));
    expect(shared(a, b)).toBe(4);
  });

  it('shares no block beyond the ids, even with identical padding and prompt', () => {
    // Same ids, same token count, same prompt: only the 4 id blocks are shared (sim mode
    // never caches the partial block after them).
    const a = hashes(req(1, [0, 1, 2, 3], 4 * BLOCK + 511, 'hi'));
    const b = hashes(req(2, [0, 1, 2, 3], 4 * BLOCK + 511, 'hi'));
    expect(a.length).toBeGreaterThanOrEqual(4);
    expect(shared(a, b)).toBe(4);
  });

  it('shares exactly the common leading ids of two turns', () => {
    const a = hashes(req(1, [0, 1, 2, 3, 10, 11], 6 * BLOCK + 100, 'turn two'));
    const b = hashes(req(2, [0, 1, 2, 3, 10, 11, 12], 7 * BLOCK + 40, 'turn three, with a longer question than before'));
    const c = hashes(req(3, [0, 1, 2, 3, 20], 5 * BLOCK + 10, 'another conversation'));
    expect(shared(a, b)).toBe(6);
    expect(shared(a, c)).toBe(4);
  });
});
