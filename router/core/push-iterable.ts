import { type ChunkSink, type PushSource, STREAM_CANCEL, STREAM_PUSH, STREAM_RESUME, isPushSource } from './push.js';

type Chunk = Uint8Array | string;

/**
 * The one adapter between the router's push streams (push.ts) and AsyncIterable, in both
 * directions, for the edges only:
 *   - PullIterator: a push source read with `next()` / for-await (library users; tests);
 *   - pushSourceOf: a pull-only AsyncIterable (a custom transport's stream) as a push source.
 * Inside the router nothing else turns one into the other.
 */

/**
 * Read a push source by pull. One chunk at a time: every chunk pauses the source
 * (pushChunk returns false), and the source is resumed only by a `next()` that finds
 * nothing held, so a consumer that is not asking is never counted as a stalled upstream
 * (the RecordedStream's stall check) and at most one chunk is held here. The end or error comes after the held chunk; an error is delivered
 * once (later calls see a clean end). `return()` (a `break` out of for-await) cancels the
 * source (STREAM_CANCEL), which releases its upstream. The source is started by the
 * first `next()`, so creating the iterator and returning it at once only cancels.
 */
export class PullIterator<T extends Chunk = Chunk> implements AsyncIterableIterator<T>, ChunkSink {
  private started = false;
  /** The source paused on our false; resume on the next next() that finds nothing held. */
  private paused = false;
  private held: T | undefined = undefined;
  private hasHeld = false;
  /** 0 open, 1 ended (clean), 2 failed (error not yet delivered), 3 over (nothing more). */
  private state: 0 | 1 | 2 | 3 = 0;
  private error: unknown = undefined;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;

  constructor(private readonly source: PushSource) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.hasHeld) {
      const value = this.held as T;
      this.held = undefined;
      this.hasHeld = false;
      return Promise.resolve({ value, done: false });
    }
    const st = this.state;
    if (st === 2) {
      this.state = 3;
      const e = this.error;
      this.error = undefined;
      return Promise.reject(e);
    }
    if (st !== 0 || this.waiter !== null) return Promise.resolve({ value: undefined, done: true });
    const p = new Promise<IteratorResult<T>>((resolve, reject) => (this.waiter = { resolve, reject }));
    if (!this.started) {
      this.started = true;
      this.source[STREAM_PUSH](this);
    } else if (this.paused) {
      this.paused = false;
      this.source[STREAM_RESUME]();
    }
    return p;
  }

  /** The consumer stopped early: cancel the source (its upstream is released). */
  return(): Promise<IteratorResult<T>> {
    const open = this.state === 0;
    this.state = 3;
    this.held = undefined;
    this.hasHeld = false;
    this.error = undefined;
    const w = this.waiter;
    this.waiter = null;
    if (open) this.source[STREAM_CANCEL]();
    w?.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  // ---- ChunkSink (the source pushes here)

  /** Always pauses the source: the next chunk comes when the consumer asks (next()), as a pull would. */
  pushChunk(chunk: Chunk): boolean {
    if (this.state !== 0) return true;
    this.paused = true;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.resolve({ value: chunk as T, done: false });
    } else {
      this.held = chunk as T;
      this.hasHeld = true;
    }
    return false;
  }

  pushEnd(): void {
    if (this.state !== 0) return;
    this.state = 1;
    const w = this.waiter;
    this.waiter = null;
    w?.resolve({ value: undefined, done: true });
  }

  pushError(err: unknown): void {
    if (this.state !== 0) return;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      this.state = 3;
      w.reject(err);
      return;
    }
    this.state = 2;
    this.error = err;
  }
}

/**
 * A pull-only AsyncIterable (a custom transport's stream) as a push source: one `next()` at
 * a time while the sink takes chunks; STREAM_CANCEL calls the iterator's return().
 */
export function pushSourceOf(stream: AsyncIterable<Chunk>): PushSource {
  return isPushSource(stream) ? stream : new PulledSource(stream);
}

class PulledSource implements PushSource {
  private it: AsyncIterator<Chunk> | null = null;
  private sink: ChunkSink | null = null;
  private pulling = false;
  private paused = false;
  private cancelled = false;

  constructor(private readonly stream: AsyncIterable<Chunk>) {}

  [STREAM_PUSH](sink: ChunkSink): void {
    if (this.cancelled) return;
    this.sink = sink;
    try {
      this.it = this.stream[Symbol.asyncIterator]();
    } catch (e) {
      this.sink = null;
      return sink.pushError(e);
    }
    this.pull();
  }

  [STREAM_RESUME](): void {
    if (!this.paused || this.sink === null) return;
    this.paused = false;
    this.pull();
  }

  [STREAM_CANCEL](): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.sink = null;
    try {
      // Not started yet: its iterator is still told (a custom stream may hold a connection until then).
      const it = this.it ?? this.stream[Symbol.asyncIterator]();
      if (typeof it.return === 'function') Promise.resolve(it.return()).catch(() => undefined);
    } catch {
      // already closed
    }
  }

  private pull(): void {
    if (this.pulling) return;
    this.pulling = true;
    let p: Promise<IteratorResult<Chunk>>;
    try {
      p = this.it!.next();
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (r) => {
        this.pulling = false;
        const s = this.sink;
        if (s === null) return; // cancelled
        if (r.done) {
          this.sink = null;
          return s.pushEnd();
        }
        // Paused before the sink sees the chunk: a sink that resumes from inside pushChunk
        // (and then returns false) must find the source paused, or the resume is lost.
        this.paused = true;
        if (s.pushChunk(r.value) && this.paused) {
          this.paused = false;
          this.pull();
        }
      },
      (e: unknown) => {
        this.pulling = false;
        const s = this.sink;
        this.sink = null;
        s?.pushError(e);
      },
    );
  }
}
