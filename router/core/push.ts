type Chunk = Uint8Array | string;

/**
 * Push delivery, an optional alternative to pulling a stream with `next()`. Pulling costs
 * a promise, its reactions and an iterator result per chunk at every level (transport,
 * this wrapper, the consumer), and keeps a suspended async frame per open stream; with
 * thousands of concurrent streams that was a large share of the proxy's heap. A push
 * source hands each chunk to its sink by a method call instead, with backpressure:
 *
 *   source[STREAM_PUSH](sink)   from now on chunks go to sink.pushChunk(c), in order;
 *                               it returns false to pause, and the source then delivers
 *                               nothing until source[STREAM_RESUME]();
 *   then exactly one of sink.pushEnd() or sink.pushError(e), unless the consumer called
 *   the iterator's return() first (then nothing more). Any of these calls may happen
 *   inside [STREAM_PUSH] or [STREAM_RESUME] (e.g. a stream that already ended).
 *
 * Call [STREAM_PUSH] at most once, and not while a `next()` is pending.
 */
export const STREAM_PUSH: unique symbol = Symbol.for('llm-router.streamPush');
export const STREAM_RESUME: unique symbol = Symbol.for('llm-router.streamResume');

export interface ChunkSink {
  /** One chunk. Return false to pause until the source's [STREAM_RESUME](). */
  pushChunk(chunk: Chunk): boolean;
  /** The stream ended cleanly. */
  pushEnd(): void;
  /** The stream failed (for a RecordedStream: a RouterError, committed). */
  pushError(err: unknown): void;
}

export interface PushSource {
  [STREAM_PUSH](sink: ChunkSink): void;
  [STREAM_RESUME](): void;
}

/**
 * A source that delivers fewer chunks than the stream it stands for (the simulator's
 * two-chunk stream) says until when (clock ms) its upstream is known to be sending, so the
 * stall check does not take its quiet middle for a stall. Real transports need not.
 */
export const STREAM_PROGRESS: unique symbol = Symbol.for('llm-router.streamProgress');

export interface ProgressSource {
  [STREAM_PROGRESS](): number;
}

export function isPushSource(x: unknown): x is PushSource {
  return typeof (x as Partial<PushSource> | null)?.[STREAM_PUSH] === 'function';
}
