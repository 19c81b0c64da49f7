import { describe, expect, it } from 'vitest';
import { seededRandom } from '../router/core/random.js';
import { SseChecker } from '../router/transport/sse-check.js';

/** The pass-through's SSE event check (router/transport/sse-check.ts), fed the way sockets split streams. */

const ev = (data: string): string => `data: ${data}\n\n`;
const chunk = (content: string): string => ev(JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] }));

/** Feed `parts`, return what was forwarded (as text) and the problem. */
function run(parts: string[], atEnd = true): { out: string; problem: string | null } {
  const c = new SseChecker();
  let out = '';
  for (const p of parts) {
    const r = c.feed(Buffer.from(p));
    if (r !== null) out += r.toString();
  }
  if (atEnd) {
    const r = c.end();
    if (r !== null) out += r.toString();
  }
  return { out, problem: c.problem };
}

describe('SseChecker', () => {
  const good = chunk('The') + chunk(' "quick" {fox}\\n') + ev('[DONE]');

  it('forwards a well-formed stream byte for byte, however the socket splits it', () => {
    const rng = seededRandom(21);
    for (let trial = 0; trial < 200; trial++) {
      const parts: string[] = [];
      let i = 0;
      while (i < good.length) {
        const n = 1 + Math.floor(rng.next() * 40);
        parts.push(good.slice(i, i + n));
        i += n;
      }
      expect(run(parts)).toEqual({ out: good, problem: null });
    }
  });

  it('forwards only whole events: a partial event waits for its blank line', () => {
    const c = new SseChecker();
    const first = chunk('a');
    expect(c.feed(Buffer.from(first + 'data: {"choices":'))?.toString()).toBe(first);
    expect(c.feed(Buffer.from('[]}\n'))).toBeNull();
    expect(c.feed(Buffer.from('\n'))?.toString()).toBe('data: {"choices":[]}\n\n');
  });

  it.each([
    ['a truncated event', ev('{"id":"x","choices":[{"delta":{"content":') + ev('[DONE]')],
    ['a truncated string', ev('{"a":"unterminated}') + ev('[DONE]')],
    ['text that is not JSON', ev('hello world')],
    ['two values in one event', ev('{"a":1}{"b":2}')],
    ['empty data', ev('')],
    ['a raw control character in a string', ev('{"a":"x\u0001y"}')],
    ['data after [DONE] in the same event', 'data: [DONE]\ndata: {}\n\n'],
  ])('stops at %s and forwards nothing of it (after a good first chunk: only that)', (_what, bad) => {
    expect(run([bad]).out).toBe('');
    expect(run([bad]).problem).not.toBeNull();
    expect(run([chunk('a'), chunk('b') + bad]).out).toBe(chunk('a') + chunk('b'));
  });

  it('before anything was forwarded, good events in the same chunk as a bad one are held back (the router can still fail over)', () => {
    expect(run([chunk('a') + ev('{"a":')])).toEqual({ out: '', problem: expect.stringMatching(/incomplete/) });
  });

  it('accepts CRLF lines, comments, event/id fields and JSON split over several data lines', () => {
    const s = ': keep-alive\r\n\r\nevent: message\r\nid: 7\r\ndata: {"a":\r\ndata: [1, 2]}\r\n\r\n' + 'data: [DONE]\r\n\r\n';
    expect(run([s])).toEqual({ out: s, problem: null });
  });

  it('checks a last event that has no blank line at the end of the stream', () => {
    expect(run([chunk('a') + 'data: [DONE]'])).toEqual({ out: chunk('a') + 'data: [DONE]', problem: null });
    expect(run([chunk('a'), 'data: {"a":'])).toEqual({ out: chunk('a'), problem: expect.stringMatching(/incomplete/) });
  });

  it('refuses an event that never ends instead of holding it without bound', () => {
    const c = new SseChecker();
    const big = Buffer.alloc(256 * 1024, 'x');
    let r: Buffer | null = c.feed(Buffer.from('data: "'));
    for (let i = 0; i < 5 && c.problem === null; i++) r = c.feed(big);
    expect(r).toBeNull();
    expect(c.problem).toMatch(/longer than/);
  });
});
