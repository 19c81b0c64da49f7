/**
 * The stream check on the proxy's pass-through: every SSE event is forwarded only once it
 * is whole (its blank line arrived) and its `data:` is complete JSON or `[DONE]`. A
 * provider that sends a truncated event (`data: {"choices":[{"delta":{"content":`) fails
 * the stream instead of handing the client a line its SDK cannot parse.
 *
 * Cost: no whole response is buffered, only the unfinished tail of a chunk (usually
 * nothing: providers write whole events) until the next chunk completes it. Each payload is
 * checked by one byte scan (brackets balance, strings close, nothing follows the value),
 * not JSON.parse: no string is decoded and no object built, ~4x cheaper per event
 * (bench/sse-check.ts). So it finds what breaks streams in practice (truncated, cut,
 * concatenated or empty events, text that is not JSON) but not a misplaced token inside
 * balanced brackets (`{"a":}`); the client's parser still sees that.
 */

/** An event longer than this without its blank line is refused (no unbounded holding). */
export const MAX_EVENT_BYTES = 1024 * 1024;

const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const DONE = Buffer.from('[DONE]');
const DATA = Buffer.from('data:');

/** Payload scan state (one event's data lines continue one value, as SSE joins them). */
const S_START = 0; // nothing but whitespace yet
const S_VALUE = 1; // inside an object/array
const S_DONE = 2; // the value closed; only whitespace may follow
const S_BAD = 3;

export class SseChecker {
  /** The unfinished tail of the last chunk (a copy: a kept chunk would pin its socket buffer). */
  private held: Buffer | null = null;
  private state = S_START;
  private depth = 0;
  private inStr = false;
  private esc = false;
  /** The current event has a data line. */
  private hasData = false;
  /** The current event's data is exactly `[DONE]`. */
  private isDone = false;
  /** Why the stream is malformed, once it is. */
  problem: string | null = null;
  /** Something was forwarded already (the client may have bytes). */
  private forwarded = false;
  /** After check(): the end of its last whole, good event. */
  private goodEnd = 0;

  /**
   * The bytes to forward now (complete, checked events; the chunk itself when it ends on an
   * event boundary), or null when nothing is complete yet. Once `problem` is set the stream
   * is malformed: what is returned then is only the good events before the bad one, and only
   * when bytes were forwarded before (else nothing: the router can still fail over).
   */
  feed(chunk: Buffer): Buffer | null {
    if (this.problem !== null) return null;
    let buf = chunk;
    const held = this.held;
    if (held !== null) {
      buf = Buffer.concat([held, chunk], held.length + chunk.length);
      this.held = null;
    }
    const cut = lastBoundary(buf);
    if (cut === -1) {
      if (buf.length > MAX_EVENT_BYTES) return this.fail(`an event longer than ${MAX_EVENT_BYTES} bytes`);
      this.held = held !== null ? buf : Buffer.from(buf);
      return null;
    }
    if (!this.check(buf, 0, cut)) return this.forwarded && this.goodEnd > 0 ? buf.subarray(0, this.goodEnd) : null;
    this.forwarded = true;
    if (cut === buf.length) return buf;
    this.held = Buffer.from(buf.subarray(cut));
    return buf.subarray(0, cut);
  }

  /** The upstream ended: what is left (a last event without its blank line), checked; null when nothing or malformed. */
  end(): Buffer | null {
    const held = this.held;
    this.held = null;
    if (held === null || this.problem !== null) return null;
    if (!this.check(held, 0, held.length) || !this.endEvent()) return null;
    return held;
  }

  private fail(why: string): null {
    this.problem = why;
    this.held = null;
    return null;
  }

  /** Check the lines of buf[from, to) (to is a line end or the stream's end). */
  private check(buf: Buffer, from: number, to: number): boolean {
    let pos = from;
    this.goodEnd = from;
    while (pos < to) {
      let nl = buf.indexOf(LF, pos);
      if (nl === -1 || nl >= to) nl = to;
      let end = nl;
      if (end > pos && buf[end - 1] === CR) end--;
      if (end === pos) {
        if (!this.endEvent()) return false;
        this.goodEnd = nl + 1;
      } else if (startsWith(buf, pos, end, DATA)) {
        let s = pos + DATA.length;
        if (s < end && buf[s] === SPACE) s++;
        this.data(buf, s, end);
        if (this.state === S_BAD) {
          this.fail('an SSE data line that is not JSON');
          return false;
        }
      }
      pos = nl + 1;
    }
    return true;
  }

  /** A blank line: the event is over; its data must be a complete value or [DONE]. */
  private endEvent(): boolean {
    if (this.hasData && !this.isDone && (this.state !== S_DONE || this.inStr)) {
      this.fail(this.state === S_START ? 'an SSE event with empty data' : 'an SSE event whose JSON is incomplete');
      return false;
    }
    this.hasData = false;
    this.isDone = false;
    this.state = S_START;
    this.depth = 0;
    this.inStr = false;
    this.esc = false;
    return true;
  }

  /** One data line's payload buf[s, e): continue the event's value scan. */
  private data(buf: Buffer, s: number, e: number): void {
    if (!this.hasData && e - s === DONE.length && startsWith(buf, s, e, DONE)) {
      this.hasData = true;
      this.isDone = true;
      return;
    }
    if (this.isDone) {
      this.state = S_BAD;
      return;
    }
    this.hasData = true;
    let state = this.state;
    let depth = this.depth;
    let inStr = this.inStr;
    let esc = this.esc;
    for (let i = s; i < e; i++) {
      const c = buf[i]!;
      if (inStr) {
        if (esc) esc = false;
        else if (c === BACKSLASH) esc = true;
        else if (c === QUOTE) inStr = false;
        else if (c < SPACE) {
          state = S_BAD;
          break;
        }
        continue;
      }
      if (c === SPACE || c === TAB || c === CR) continue;
      if (state === S_DONE || (state === S_START && c !== 123 && c !== 91)) {
        state = S_BAD; // something after the value, or a value that is not an object/array
        break;
      }
      state = S_VALUE;
      if (c === QUOTE) inStr = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        if (--depth === 0) state = S_DONE;
      }
    }
    this.state = state;
    this.depth = depth;
    this.inStr = inStr;
    this.esc = esc;
  }
}

/** Index just past the last blank line (`\n\n` or `\n\r\n`) in buf, or -1. Walks back line by line from the end (usually one step). */
function lastBoundary(buf: Buffer): number {
  let i = buf.lastIndexOf(LF);
  while (i > 0) {
    const p = buf[i - 1];
    if (p === LF || (p === CR && i > 1 && buf[i - 2] === LF)) return i + 1;
    i = buf.lastIndexOf(LF, i - 1);
  }
  return -1;
}

function startsWith(buf: Buffer, s: number, e: number, prefix: Buffer): boolean {
  if (e - s < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[s + i] !== prefix[i]) return false;
  return true;
}
