/**
 * The pure stream scanner of the undici transport (router/transport/sse-scan.ts): usage
 * read from whole lines only, across chunk boundaries; `[DONE]` judged from the tail.
 */
import { describe, expect, it } from 'vitest';
import type { TransportResponse } from '../router/core/types.js';
import { SseUsageScan } from '../router/transport/sse-scan.js';

const res = (): TransportResponse => ({ status: 200, headers: {} });
const feed = (scan: SseUsageScan, out: TransportResponse, ...parts: string[]): void => {
  for (const p of parts) {
    const u = scan.scan(Buffer.from(p));
    if (u !== undefined) out.usage = u;
  }
};
const USAGE = 'data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34}}\n\n';

describe('SseUsageScan', () => {
  it('reads usage from a whole line and sees the closing [DONE]', () => {
    const s = new SseUsageScan();
    const out = res();
    feed(s, out, 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n', USAGE, 'data: [DONE]\n\n');
    expect(out.usage).toEqual({ inputTokens: 12, outputTokens: 34 });
    expect(s.sawDone).toBe(true);
  });

  it('reads a usage line split over three chunks only once it is whole', () => {
    const s = new SseUsageScan();
    const out = res();
    const [a, b, c] = [USAGE.slice(0, 20), USAGE.slice(20, 50), USAGE.slice(50)];
    feed(s, out, a!, b!);
    expect(out.usage).toBeUndefined();
    feed(s, out, c!);
    expect(out.usage).toEqual({ inputTokens: 12, outputTokens: 34 });
  });

  it('sees [DONE] split across chunks, and not when the stream stops before it', () => {
    const s = new SseUsageScan();
    feed(s, res(), 'data: {"choices":[]}\n\ndata: [DO');
    expect(s.sawDone).toBe(false);
    feed(s, res(), 'NE]\n\n');
    expect(s.sawDone).toBe(true);
    const cut = new SseUsageScan();
    feed(cut, res(), 'data: {"choices":[{"delta":{"content":"[DONE] is text here"}}]}\n\n', 'data: {"choices":[]}'.padEnd(80, ' ') + '\n\n');
    expect(cut.sawDone).toBe(false); // [DONE] earlier in the stream is not the end
  });

  it('ignores a usage line that is not JSON, and counts an abandoned stream as judged clean', () => {
    const s = new SseUsageScan();
    const out = res();
    feed(s, out, 'data: {"usage": broken\n\n');
    expect(out.usage).toBeUndefined();
    expect(s.sawDone).toBe(false);
    s.abandon();
    expect(s.sawDone).toBe(true);
  });
});
