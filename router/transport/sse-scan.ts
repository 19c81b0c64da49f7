import type { Usage } from '../core/types.js';

/**
 * What the undici transport reads of a response body for the router, as pure functions of
 * the bytes (no socket, no timer, no delivery, no response object: json-call.ts and
 * stream-call.ts do those):
 * the usage of a JSON body, and, on the side of a stream's pass-through, its usage event and
 * whether it closed with `data: [DONE]`.
 */

/**
 * OpenAI usage `{prompt_tokens, completion_tokens}` -> Usage. A numeric `cost` (USD, as
 * OpenRouter reports it) is kept as the billed cost, so the router sees price changes.
 */
export function usageOf(body: unknown): Usage | undefined {
  const u = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; cost?: unknown } } | null)?.usage;
  if (!u || typeof u !== 'object') return undefined;
  const inputTokens = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const outputTokens = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  const cost = u.cost;
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0
    ? { inputTokens, outputTokens, costUsd: cost }
    : { inputTokens, outputTokens };
}

/** How many trailing bytes of a stream are kept (as a short string) to check for `[DONE]`. */
const TAIL_BYTES = 32;
/** A line longer than this (no newline yet) is not kept for the usage scan. */
const MAX_CARRY = 64 * 1024;
const DONE_TAIL = '[DONE]';

/**
 * The usage and `[DONE]` scan of one SSE stream, chunk by chunk. Usage is read only from
 * complete lines of chunks that contain `"usage"` (most chunks are looked at by one
 * `indexOf`); a clean SSE stream ends with `data: [DONE]`, so its last 32 bytes must
 * contain `[DONE]`. No chunk is referenced after scan() returns (the tail is a 32-byte
 * string copy, a partial line a copy): a kept chunk would pin its socket read buffer until
 * the next full GC.
 */
export class SseUsageScan {
  private tail = '';
  private carry: Buffer | null = null;

  /** Look at one chunk of the stream, in order; returns the usage of a usage event that ends in it, else undefined. */
  scan(chunk: Buffer): Usage | undefined {
    const n = chunk.length;
    this.tail = n >= TAIL_BYTES ? chunk.toString('latin1', n - TAIL_BYTES, n) : (this.tail + chunk.toString('latin1')).slice(-TAIL_BYTES);
    const nl = chunk.lastIndexOf(10);
    if (nl === -1) {
      // A line longer than a chunk: keep a copy of it, bounded (a usage line is short).
      const c = this.carry;
      this.carry = c ? (c.length > MAX_CARRY ? null : Buffer.concat([c, chunk])) : Buffer.from(chunk);
      return undefined;
    }
    const c = this.carry;
    this.carry = nl + 1 < n ? Buffer.from(chunk.subarray(nl + 1)) : null;
    if (c === null) {
      const u = chunk.indexOf('"usage"');
      return u !== -1 && u < nl ? readUsage(chunk.subarray(0, nl + 1)) : undefined;
    }
    const complete = Buffer.concat([c, chunk.subarray(0, nl + 1)]);
    return complete.includes('"usage"') ? readUsage(complete) : undefined;
  }

  /** The bytes so far end with `[DONE]` (within their last 32 bytes): a clean end, if the stream ends here. */
  get sawDone(): boolean {
    return this.tail.includes('[DONE]');
  }

  /** The consumer stopped reading: there is no stream left to judge (counts as a clean end). */
  abandon(): void {
    this.carry = null;
    this.tail = DONE_TAIL;
  }
}

/** The usage of the last `data:` line with a usage object in `lines`, else undefined. */
function readUsage(lines: Buffer): Usage | undefined {
  let found: Usage | undefined;
  for (const line of lines.toString('utf8').split('\n')) {
    if (!line.startsWith('data:') || !line.includes('"usage"')) continue;
    try {
      const u = usageOf(JSON.parse(line.slice(5)));
      if (u) found = u;
    } catch {
      // not JSON: not our business here; the client sees the bytes as they were
    }
  }
  return found;
}
