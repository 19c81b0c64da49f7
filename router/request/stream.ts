import type { Timer } from '../core/clock.js';
import { type ErrorCode, RouterError } from '../core/errors.js';
import { type ChunkSink, type ProgressSource, type PushSource, STREAM_CANCEL, STREAM_PROGRESS, STREAM_PUSH, STREAM_RESUME } from '../core/push.js';
import { PullIterator } from '../core/push-iterable.js';
import type { TransportResponse } from '../core/types.js';
import type { Attempt } from './attempt.js';
import type { RecordedStreamLike, Runtime } from './context.js';

type Chunk = Uint8Array | string;

/**
 * The stream handed to the caller after the first chunk arrived. Once bytes reached the
 * client the router can no longer fail over, so a mid-stream failure surfaces as a
 * RouterError('stream_cut', {committed: true}) — never a silent clean end. The attempt's
 * outcome (latency, TTFT, usage, cost) is recorded when the stream ends, fails, hits the
 * request deadline, or is cancelled.
 *
 * Push only (core/push.ts), on both sides: the transport's stream pushes into it (through
 * the attempt, which took the first chunk; a pull-only custom transport was wrapped by
 * pushSourceOf), and it pushes to its consumer (the proxy, the simulator). Library users
 * iterating it with for-await get the one shared adapter (core/push-iterable.ts).
 */
export class RecordedStream implements RecordedStreamLike, ChunkSink {
  onDone: ((ok: boolean, errorCode: string | undefined) => void) | null = null;
  private pendingFirst = true;
  /** Set before anything that may call back into this stream (abort, record), so re-entrant calls see it. */
  private done = false;
  private timer: Timer | null = null;
  /** The push consumer; null before it attached, after the end, or once cancelled. */
  private sink: ChunkSink | null = null;
  /** The consumer paused at the first chunk (before the transport's flow began). */
  private resumeNeeded = false;
  /** A deadline that passed while nobody was reading: handed to the consumer when it attaches or resumes, once. */
  private failure: RouterError | null = null;
  /** for-await over this stream (the shared adapter), made once. */
  private iter: PullIterator | null = null;
  /**
   * Stall check (stallTimeoutMs, below): the max gap between chunks; since when we have
   * been waiting for the upstream (the last chunk, or the consumer asking for more); its
   * timer. A consumer that paused (backpressure) or is not reading is not a stall.
   */
  private readonly stallMs: number;
  private lastChunkAt: number;
  private stallTimer: Timer | null = null;
  private consumerPaused = false;

  constructor(
    private readonly a: Attempt,
    private readonly src: PushSource,
    private first: Chunk | undefined,
    private readonly res: TransportResponse,
    deadline: number,
  ) {
    const clock = a.rt.clock;
    if (Number.isFinite(deadline)) this.timer = clock.setTimeout(() => this.onDeadline(), Math.max(0, deadline - clock.now()));
    this.stallMs = stallTimeoutMs(a.rt, a);
    this.lastChunkAt = clock.now();
    if (this.stallMs < deadline - this.lastChunkAt) this.armStall(this.lastChunkAt + this.stallMs);
  }

  /** For library users: the shared push-to-pull adapter (one per stream; `break` cancels). */
  [Symbol.asyncIterator](): PullIterator {
    return (this.iter ??= new PullIterator(this));
  }

  // ---- consumer side (PushSource)

  [STREAM_PUSH](sink: ChunkSink): void {
    this.sink = sink;
    if (this.pendingFirst) {
      this.pendingFirst = false;
      const value = this.first!;
      this.first = undefined;
      if (!sink.pushChunk(value)) {
        this.consumerPaused = true;
        this.resumeNeeded = true; // paused: [STREAM_RESUME] starts the flow
        return;
      }
    }
    this.flow();
  }

  [STREAM_RESUME](): void {
    if (this.sink === null) return;
    if (this.consumerPaused) {
      this.consumerPaused = false;
      this.lastChunkAt = this.a.rt.clock.now();
    }
    if (this.resumeNeeded) {
      this.resumeNeeded = false;
      this.flow();
    } else this.src[STREAM_RESUME]();
  }

  /** The consumer stopped early: release the upstream, record the attempt as abandoned. */
  [STREAM_CANCEL](): void {
    this.sink = null;
    this.failure = null;
    if (this.done) return;
    this.done = true;
    const id = this.a.slot.endpoint.id;
    this.a.abortUpstream();
    this.src[STREAM_CANCEL]();
    this.finish(false, new RouterError('aborted', `stream from ${id} abandoned by the consumer`, { endpointId: id }), true);
  }

  /** The first chunk was taken: let the transport's stream (paused by the attempt after its first chunk) flow. */
  private flow(): void {
    if (this.done) {
      // Ended before the flow began (the deadline passed while the consumer was paused).
      const s = this.sink;
      this.sink = null;
      const f = this.failure;
      this.failure = null;
      if (f !== null) s?.pushError(f);
      return;
    }
    this.src[STREAM_RESUME]();
  }

  // ---- the transport's push lands here (ChunkSink, forwarded by the attempt)

  pushChunk(chunk: Chunk): boolean {
    const s = this.sink;
    if (this.done || s === null) return true;
    if (this.stallTimer !== null) this.lastChunkAt = this.a.rt.clock.now();
    if (s.pushChunk(chunk)) return true;
    this.consumerPaused = true;
    return false;
  }

  pushEnd(): void {
    if (this.done) return;
    this.done = true;
    this.finish(true, undefined, false);
    const s = this.sink;
    this.sink = null;
    s?.pushEnd();
  }

  pushError(e: unknown): void {
    if (this.done) return;
    this.done = true;
    const err = streamError(e, this.a.slot.endpoint.id, true);
    this.finish(false, err, false);
    const s = this.sink;
    this.sink = null;
    s?.pushError(err);
  }

  // ---- shared

  private armStall(at: number): void {
    const clock = this.a.rt.clock;
    this.stallTimer = clock.setTimeout(() => this.onStallTimer(), Math.max(0, at - clock.now()));
  }

  /**
   * The stall timer: one timer per stream, re-armed from the last chunk's time when it fires
   * early (so a chunk costs a clock read, not a timer). A source that vouches for progress
   * (STREAM_PROGRESS) counts as sending until the time it names.
   */
  private onStallTimer(): void {
    this.stallTimer = null;
    if (this.done) return;
    const now = this.a.rt.clock.now();
    if (this.consumerPaused || this.sink === null) return this.armStall(now + this.stallMs);
    const vouched = (this.src as Partial<ProgressSource>)[STREAM_PROGRESS]?.call(this.src) ?? -Infinity;
    const last = Math.max(this.lastChunkAt, vouched);
    if (now - last < this.stallMs) return this.armStall(last + this.stallMs);
    const id = this.a.slot.endpoint.id;
    this.cut(new RouterError('stream_stalled', `stream from ${id} stalled: no chunk for ${Math.round(now - last)} ms`, { endpointId: id, committed: true }));
  }

  private onDeadline(): void {
    this.timer = null;
    if (this.done) return;
    const id = this.a.slot.endpoint.id;
    this.cut(new RouterError('timeout', `request deadline passed while streaming from ${id}`, { endpointId: id, committed: true }));
  }

  /** End the stream from this side (deadline, stall): abort the upstream, record, tell whoever reads. */
  private cut(err: RouterError): void {
    this.done = true;
    this.a.abortUpstream(err);
    this.src[STREAM_CANCEL]();
    this.finish(false, err, false);
    const s = this.sink;
    this.sink = null;
    if (s !== null) s.pushError(err);
    else this.failure = err; // nobody is reading yet: the consumer gets it when it attaches
  }

  /** Record the outcome (once: every caller checked and set `done` first). */
  private finish(ok: boolean, err: RouterError | undefined, abandoned: boolean): void {
    this.done = true;
    if (this.timer !== null) {
      this.timer.cancel();
      this.timer = null;
    }
    if (this.stallTimer !== null) {
      this.stallTimer.cancel();
      this.stallTimer = null;
    }
    const a = this.a;
    a.finishStream(
      {
        ok,
        err,
        status: this.res.status,
        usage: this.res.usage,
        ttftMs: this.res.ttftMs ?? a.firstByteAt - a.startedAt,
      },
      true,
    );
    this.onDone?.(ok, abandoned ? 'aborted' : err?.code);
  }
}

/** Committed stream errors that keep their own code instead of becoming stream_cut. */
const KEEPS_CODE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['malformed_response', 'stream_stalled']);

/** Stream errors: before the first chunk they are retryable; after it they are committed. */
export function streamError(e: unknown, endpointId: string, committed: boolean): RouterError {
  if (!committed && e instanceof RouterError) return e;
  // What the stream itself did wrong keeps its code (metrics tell a malformed event or a stall from a cut).
  if (e instanceof RouterError && KEEPS_CODE.has(e.code)) return new RouterError(e.code, e.message, { endpointId, committed, cause: e.cause });
  const cause = e instanceof RouterError ? e.message : e instanceof Error ? e.message : String(e);
  return new RouterError('stream_cut', `stream from ${endpointId} failed: ${cause}`, { endpointId, committed, cause: e });
}


// ---- the stall deadline (see the deadlines in context.ts)

/** The stall timeout of a stream from `a`'s endpoint, ms (Infinity = off): fixed, or derived from its observed ms per token. */
export function stallTimeoutMs(rt: Runtime, a: Attempt): number {
  const t = rt.config.timeouts;
  if (t.stallMs !== undefined) return t.stallMs > 0 ? t.stallMs : Infinity;
  const perToken = a.slot.stats.msPerToken;
  const ms = perToken === null ? t.stallMinMs : Math.max(t.stallMinMs, t.stallTokens * perToken);
  return ms > 0 ? ms : Infinity;
}
