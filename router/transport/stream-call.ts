import { RouterError } from '../core/errors.js';
import type { TransportResponse } from '../core/types.js';
import { type ChunkSink, type PushSource, STREAM_CANCEL, STREAM_PUSH, STREAM_RESUME } from '../core/push.js';
import { PullIterator } from '../core/push-iterable.js';
import { JsonCall } from './json-call.js';
import { SseChecker } from './sse-check.js';
import { SseUsageScan } from './sse-scan.js';

/**
 * An upstream request for a stream. A 2xx that is not JSON is reported at its head with
 * this call as the response's stream, a push source (router/core/push.ts): each checked
 * chunk goes straight to the sink, and a sink that cannot take more pauses the upstream
 * socket. Anything else (an error status, a JSON answer) is read as JSON (json-call.ts).
 *
 * Checks on the side of the pass-through are pure scanners of the bytes: whole SSE events
 * with complete JSON (sse-check.ts), the usage event and the closing `data: [DONE]`
 * (sse-scan.ts): an upstream that closes without it has cut the stream and the consumer
 * gets stream_cut instead of a silent clean end. Neither keeps a chunk after it was handed
 * on (a kept chunk would pin its socket read buffer until the next full GC).
 */
export class StreamCall extends JsonCall implements PushSource {
  private streaming = false;
  private response: TransportResponse | null = null;
  private sink: ChunkSink | null = null;
  /** Checked bytes nobody could take yet (no sink, or a paused one); handed on as one chunk. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private error: RouterError | null = null;
  private ended = false;
  /** The upstream socket is paused (onData returned false). */
  private paused = false;
  /** The consumer cancelled: nothing more is delivered. */
  private cancelled = false;
  /** Forwards only whole SSE events whose data is complete JSON or [DONE]. */
  private sse: SseChecker | null = null;
  /** Usage and the closing `[DONE]`, read on the side of the pass-through. */
  private scan: SseUsageScan | null = null;
  private iter: PullIterator<Uint8Array> | null = null;

  protected override onHead(): void {
    const ok = this.status >= 200 && this.status < 300;
    if (!ok || (this.headers['content-type'] ?? '').includes('json')) return; // read as JSON
    this.streaming = true;
    this.sse = new SseChecker();
    this.scan = new SseUsageScan();
    const res: TransportResponse = { status: this.status, headers: this.headers, retryAfterMs: this.retryAfterMs };
    res.stream = this;
    this.response = res;
    this.reportHead(res, null);
  }

  override onData(chunk: Buffer): boolean {
    if (!this.streaming) return super.onData(chunk);
    const sse = this.sse!;
    const ready = sse.feed(chunk);
    const more = ready === null || this.deliver(ready);
    if (sse.problem !== null) this.malformed();
    return more;
  }

  override onComplete(): void {
    if (!this.streaming) return super.onComplete();
    this.finished = true;
    this.detach();
    const rest = this.sse!.end();
    if (rest !== null) this.deliver(rest);
    if (this.sse!.problem !== null) return this.malformed();
    this.ended = true;
    this.wake();
  }

  protected override failedAfterHead(e: RouterError, cause: Error): void {
    this.error =
      e.code === 'aborted' || e.code === 'timeout' || e.code === 'ttft_timeout'
        ? e
        : new RouterError('stream_cut', `upstream ${this.endpointId} stream broke: ${e.message}`, { endpointId: this.endpointId, cause });
    this.wake();
  }

  /** Hand checked stream bytes on (to the sink, else held); false pauses the socket. */
  private deliver(chunk: Buffer): boolean {
    const u = this.scan!.scan(chunk);
    if (u !== undefined) this.response!.usage = u;
    const s = this.sink;
    if (s !== null && !this.paused) {
      if (s.pushChunk(chunk)) return true;
      this.paused = true;
      return false;
    }
    // Nobody can take it now (no sink yet, or a paused one): hold it and pause the socket.
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    this.paused = true;
    return false;
  }

  /**
   * The upstream sent an SSE event that is not complete JSON (sse-check.ts): stop reading it.
   * Before the first chunk reached the router this fails the attempt (it fails over);
   * after it the consumer gets the error instead of the event and `[DONE]`.
   */
  private malformed(): void {
    if (this.error !== null) return;
    const err = new RouterError('malformed_response', `upstream ${this.endpointId} sent ${this.sse!.problem}`, { endpointId: this.endpointId });
    this.error = err;
    if (!this.finished) {
      this.finished = true;
      this.detach();
      this.abortFn?.(err);
    }
    this.wake();
  }

  /** The stream's end as the consumer sees it: the error, stream_cut when `[DONE]` never came, or null (clean). */
  private endError(): RouterError | null {
    if (this.error) return this.error;
    if (!this.scan!.sawDone)
      return new RouterError('stream_cut', `upstream ${this.endpointId} stream ended without [DONE]`, { endpointId: this.endpointId });
    return null;
  }

  /** The upstream ended or failed: tell the sink, unless it paused (it hears on resume). */
  private wake(): void {
    const s = this.sink;
    if (s !== null && !this.paused) this.flush(s);
  }

  /** Hand over what is held (one chunk), then the end or error if it came; else resume the socket. */
  private flush(s: ChunkSink): void {
    if (this.held.length > 0) {
      const c = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
      this.held = [];
      this.heldBytes = 0;
      if (!s.pushChunk(c)) {
        this.paused = true;
        return;
      }
    }
    if (this.ended || this.error) {
      this.sink = null;
      const e = this.endError();
      if (e) s.pushError(e);
      else s.pushEnd();
      return;
    }
    if (this.paused) {
      this.paused = false;
      this.resume?.();
    }
  }

  [STREAM_PUSH](sink: ChunkSink): void {
    if (this.sink !== null) throw new Error('StreamCall: already being read');
    if (this.cancelled) return;
    this.sink = sink;
    this.flush(sink);
  }

  [STREAM_RESUME](): void {
    const s = this.sink;
    if (s === null || !this.paused) return;
    this.flush(s);
  }

  /** The consumer stopped early: abort the upstream request. */
  [STREAM_CANCEL](): void {
    if (!this.finished) {
      this.finished = true;
      this.detach();
      this.abortFn?.(new RouterError('aborted', 'stream abandoned by the consumer', { endpointId: this.endpointId }));
    }
    this.held = [];
    this.heldBytes = 0;
    this.sink = null;
    this.cancelled = true;
    this.ended = true;
    this.error = null;
    this.scan?.abandon(); // a consumer that stopped has no stream to judge
  }

  /** Read by pull (tests, direct users of the transport): the shared adapter. */
  [Symbol.asyncIterator](): PullIterator<Uint8Array> {
    return (this.iter ??= new PullIterator<Uint8Array>(this));
  }
}
