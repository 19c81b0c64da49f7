import type { Timer } from '../core/clock.js';
import { type ErrorCode, RouterError } from '../core/errors.js';
import { type ChunkSink, type ProgressSource, type PushSource, STREAM_PROGRESS, STREAM_PUSH, STREAM_RESUME, isPushSource } from '../core/push.js';
import type { TransportResponse } from '../core/types.js';
import type { Attempt } from './attempt.js';
import type { RecordedStreamLike, Runtime } from './context.js';

type Chunk = Uint8Array | string;

/**
 * The stream handed to the caller after the first chunk arrived. Once bytes reached the
 * client the router can no longer fail over, so a mid-stream failure surfaces as a thrown
 * RouterError('stream_cut', {committed: true}) — never a silent clean end. The attempt's
 * outcome (latency, TTFT, usage, cost) is recorded when the stream ends, fails, hits the
 * request deadline, or is abandoned via return().
 *
 * Read it either as an async iterator or by push ([STREAM_PUSH], above); push passes
 * through to the transport's own push when it has one (the undici transport does), else
 * it pulls the transport's iterator for the sink.
 */
export class RecordedStream implements AsyncIterableIterator<Chunk>, RecordedStreamLike, PushSource, ChunkSink {
  onDone: ((ok: boolean, errorCode: string | undefined) => void) | null = null;
  private pendingFirst = true;
  /** Set before anything that may call back into this stream (abort, record), so re-entrant calls see it. */
  private done = false;
  private pendingReject: ((e: RouterError) => void) | null = null;
  private timer: Timer | null = null;
  /** The push consumer; null when pulled, after the end, or once abandoned. */
  private sink: ChunkSink | null = null;
  /** The transport's iterator is pushing to this stream (else the push path pulls it). */
  private upstreamPushing = false;
  /** The push consumer paused while this stream (not the transport) was delivering. */
  private resumeNeeded = false;
  /** A deadline that passed while nobody was waiting: handed to the next reader, once. */
  private failure: RouterError | null = null;
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
    private readonly it: AsyncIterator<Chunk>,
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

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Chunk>> {
    if (this.pendingFirst) {
      this.pendingFirst = false;
      const value = this.first!;
      this.first = undefined;
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return this.takeFailure() ?? Promise.resolve({ value: undefined, done: true });
    if (this.stallTimer !== null) this.lastChunkAt = this.a.rt.clock.now();
    return new Promise<IteratorResult<Chunk>>((resolve, reject) => {
      this.pendingReject = reject;
      this.it.next().then(
        (r) => {
          this.pendingReject = null;
          if (this.done) return resolve({ value: undefined, done: true });
          if (r.done) this.finish(true, undefined, false);
          else if (this.stallTimer !== null) this.lastChunkAt = this.a.rt.clock.now();
          resolve(r);
        },
        (e: unknown) => {
          this.pendingReject = null;
          if (this.done) return resolve({ value: undefined, done: true });
          const err = streamError(e, this.a.slot.endpoint.id, true);
          this.finish(false, err, false);
          reject(err);
        },
      );
    });
  }

  /** The consumer stopped early: release the upstream, record the attempt as abandoned. */
  return(): Promise<IteratorResult<Chunk>> {
    this.sink = null;
    if (!this.done) {
      this.done = true;
      const id = this.a.slot.endpoint.id;
      this.a.abortUpstream();
      closeQuietly(this.it);
      this.finish(false, new RouterError('aborted', `stream from ${id} abandoned by the consumer`, { endpointId: id }), true);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  // ---- push consumer side (PushSource)

  [STREAM_PUSH](sink: ChunkSink): void {
    this.sink = sink;
    if (this.pendingFirst) {
      this.pendingFirst = false;
      const value = this.first!;
      this.first = undefined;
      if (!sink.pushChunk(value)) {
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
    if (this.upstreamPushing) (this.it as unknown as PushSource)[STREAM_RESUME]();
    else if (this.resumeNeeded) {
      this.resumeNeeded = false;
      this.flow();
    }
  }

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
    const it = this.it;
    if (isPushSource(it)) {
      this.upstreamPushing = true;
      it[STREAM_PUSH](this);
    } else this.pull();
  }

  /** Push over a pull-only transport iterator: one next() at a time, until paused or ended. */
  private pull(): void {
    this.next().then(
      (r) => {
        const s = this.sink;
        if (s === null) return; // abandoned
        if (r.done) {
          this.sink = null;
          s.pushEnd();
        } else if (s.pushChunk(r.value)) this.pull();
        else this.resumeNeeded = true;
      },
      (e: unknown) => {
        const s = this.sink;
        this.sink = null;
        s?.pushError(e);
      },
    );
  }

  // ---- the transport's push lands here (ChunkSink)

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
    const waiting = this.upstreamPushing ? !this.consumerPaused && this.sink !== null : this.pendingReject !== null;
    if (!waiting) return this.armStall(now + this.stallMs);
    const vouched = (this.it as Partial<ProgressSource>)[STREAM_PROGRESS]?.call(this.it) ?? -Infinity;
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
    closeQuietly(this.it);
    this.finish(false, err, false);
    const s = this.sink;
    this.sink = null;
    const reject = this.pendingReject;
    this.pendingReject = null;
    if (s !== null) s.pushError(err);
    if (reject !== null) reject(err); // a pull in progress (its handler finds no sink: delivered once)
    if (s === null && reject === null) this.failure = err; // nobody is waiting: the next reader gets it
  }

  private takeFailure(): Promise<never> | null {
    const f = this.failure;
    if (f === null) return null;
    this.failure = null;
    return Promise.reject(f);
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

/** Tell an upstream iterator we are done with it, ignoring its errors. */
export function closeQuietly(it: AsyncIterator<Chunk> | undefined | null): void {
  if (!it || typeof it.return !== 'function') return;
  try {
    Promise.resolve(it.return()).catch(() => undefined);
  } catch {
    // already closed
  }
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
