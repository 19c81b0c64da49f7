type Chunk = Uint8Array | string;

/**
 * The router's one stream protocol inside: push. Pulling a stream with `next()` costs a
 * promise, its reactions and an iterator result per chunk at every level (transport, the
 * router's stream, the consumer), and keeps a suspended async frame per open stream; with
 * thousands of concurrent streams that was a large share of the proxy's heap. A push
 * source hands each chunk to its sink by a method call instead, with backpressure:
 *
 *   source[STREAM_PUSH](sink)   from now on chunks go to sink.pushChunk(c), in order;
 *                               it returns false to pause, and the source then delivers
 *                               nothing until source[STREAM_RESUME]();
 *   then exactly one of sink.pushEnd() or sink.pushError(e), unless the consumer called
 *   source[STREAM_CANCEL]() first (then nothing more, and the source releases its
 *   upstream). Any of these calls may happen inside [STREAM_PUSH] or [STREAM_RESUME]
 *   (e.g. a stream that already ended).
 *
 * Call [STREAM_PUSH] at most once. Every stream inside the router (the undici transport's,
 * the simulator's, the router's RecordedStream, the proxy's reader) speaks only this;
 * AsyncIterable exists at the edges only, through one adapter (push-iterable.ts): library
 * users iterating a stream with for-await, and custom transports that return a pull-only
 * AsyncIterable (wrapped into a push source).
 */
export const STREAM_PUSH: unique symbol = Symbol.for('llm-router.streamPush');
export const STREAM_RESUME: unique symbol = Symbol.for('llm-router.streamResume');
/** The consumer is done with the stream (it may not have started it): deliver nothing more, release the upstream. */
export const STREAM_CANCEL: unique symbol = Symbol.for('llm-router.streamCancel');

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
  [STREAM_CANCEL](): void;
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
