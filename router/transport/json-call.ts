import { RouterError } from '../core/errors.js';
import type { TransportResponse } from '../core/types.js';
import type { UpstreamHandle, UpstreamSink } from '../core/direct.js';
import { usageOf } from './sse-scan.js';
import { UpstreamCall } from './upstream-call.js';

/** The upstream's exact bytes of a non-streaming response body (a Buffer), for pass-through. */
export const RAW_BODY: unique symbol = Symbol.for('llm-router.rawBody');

/**
 * An upstream request answered by a whole body: buffered (at most maxBody bytes), parsed
 * as JSON at the end, and reported with the head then. A 2xx that is not JSON is
 * `malformed_response` (retryable); a 2xx keeps its raw bytes under RAW_BODY, so the proxy
 * can send them on without re-serialising. Stream calls (stream-call.ts) fall back to this
 * when the upstream answers a stream request with JSON (an error, or no stream support).
 */
export class JsonCall extends UpstreamCall {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    endpointId: string,
    private readonly maxBody: number,
    head: UpstreamSink,
    signal: AbortSignal | null,
    handle: UpstreamHandle | null,
  ) {
    super(endpointId, head, signal, handle);
  }

  protected onHead(): void {}

  onData(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.maxBody) {
      this.abortFn?.(new RouterError('malformed_response', `upstream ${this.endpointId} body exceeds ${this.maxBody} bytes`, { endpointId: this.endpointId }));
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.finished = true;
    this.detach();
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    const ok = this.status >= 200 && this.status < 300;
    let body: unknown;
    if (buf.length === 0) body = undefined;
    else {
      try {
        body = JSON.parse(buf.toString('utf8'));
      } catch {
        body = ok ? MALFORMED : buf.toString('utf8');
      }
    }
    if (ok && (body === undefined || body === MALFORMED)) {
      this.reportHead(null, new RouterError('malformed_response', `upstream ${this.endpointId} sent a body that is not JSON`, { endpointId: this.endpointId }));
      return;
    }
    const res: TransportResponse & { [RAW_BODY]?: Buffer } = {
      status: this.status,
      headers: this.headers,
      body,
      usage: ok ? usageOf(body) : undefined,
      retryAfterMs: this.retryAfterMs,
    };
    if (ok) res[RAW_BODY] = buf;
    this.reportHead(res, null);
  }
}

const MALFORMED = Symbol('malformed');
