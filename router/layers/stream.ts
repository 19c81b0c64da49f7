import type { Timer } from '../core/clock.js';
import { RouterError } from '../core/errors.js';
import type { TransportResponse } from '../core/types.js';
import type { Attempt } from './attempt.js';
import { closeQuietly, streamError } from './attempt.js';
import type { RecordedStreamLike } from './context.js';

type Chunk = Uint8Array | string;

/**
 * The stream handed to the caller after the first chunk arrived. Once bytes reached the
 * client the router can no longer fail over, so a mid-stream failure surfaces as a thrown
 * RouterError('stream_cut', {committed: true}) — never a silent clean end. The attempt's
 * outcome (latency, TTFT, usage, cost) is recorded when the stream ends, fails, hits the
 * request deadline, or is abandoned via return().
 */
export class RecordedStream implements AsyncIterableIterator<Chunk>, RecordedStreamLike {
  onDone: ((ok: boolean, errorCode: string | undefined) => void) | null = null;
  private pendingFirst = true;
  private done = false;
  private pendingReject: ((e: RouterError) => void) | null = null;
  private timer: Timer | null = null;

  constructor(
    private readonly a: Attempt,
    private readonly it: AsyncIterator<Chunk>,
    private first: Chunk | undefined,
    private readonly res: TransportResponse,
    deadline: number,
  ) {
    if (Number.isFinite(deadline)) {
      const clock = a.rt.clock;
      this.timer = clock.setTimeout(() => this.onDeadline(), Math.max(0, deadline - clock.now()));
    }
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
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise<IteratorResult<Chunk>>((resolve, reject) => {
      this.pendingReject = reject;
      this.it.next().then(
        (r) => {
          this.pendingReject = null;
          if (this.done) return resolve({ value: undefined, done: true });
          if (r.done) this.end(true, undefined, false);
          resolve(r);
        },
        (e: unknown) => {
          this.pendingReject = null;
          if (this.done) return resolve({ value: undefined, done: true });
          const err = streamError(e, this.a.slot.endpoint.id, true);
          this.end(false, err, false);
          reject(err);
        },
      );
    });
  }

  /** The consumer stopped early: release the upstream, record the attempt as abandoned. */
  return(): Promise<IteratorResult<Chunk>> {
    if (!this.done) {
      const id = this.a.slot.endpoint.id;
      this.a.abortUpstream();
      this.end(false, new RouterError('aborted', `stream from ${id} abandoned by the consumer`, { endpointId: id }), true);
      closeQuietly(this.it);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  private onDeadline(): void {
    this.timer = null;
    if (this.done) return;
    const id = this.a.slot.endpoint.id;
    const err = new RouterError('timeout', `request deadline passed while streaming from ${id}`, { endpointId: id, committed: true });
    this.a.abortUpstream(err);
    this.end(false, err, false);
    closeQuietly(this.it);
    this.pendingReject?.(err);
  }

  private end(ok: boolean, err: RouterError | undefined, abandoned: boolean): void {
    this.done = true;
    if (this.timer !== null) this.timer.cancel();
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
