import type { ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import { RouterError } from '../core/errors.js';
import { chatShutdown } from './chat-call.js';
import { HttpError } from './errors.js';
import type { ProxyMetrics } from './metrics.js';
import { sseErrorEvent } from './sse.js';

/**
 * The drain deadline (server.drainTimeoutMs after SIGTERM): requests still open are cut,
 * but never without a word. A stream gets one SSE error event and ends (no `[DONE]`, so
 * the client knows it is incomplete); a request still waiting for its answer gets a 503
 * JSON error with Retry-After (another replica can take it). Then the sockets close.
 */

/** Seconds a client should wait before retrying a request cut by a shutdown (another replica, or this one restarted). */
const RETRY_AFTER_S = 1;
/** How long the last words may take to reach the kernel before the sockets are destroyed. */
const FLUSH_MS = 1_000;

export const drainDeadline = (): HttpError =>
  new HttpError(503, 'server_error', 'shutting_down', 'the router shut down before this request finished (drain deadline); retry it', null, RETRY_AFTER_S);

/** What cutting a response needs of the server. */
export interface DrainEdge {
  /** Take the route's abort (a RouteSignal or an AbortController) off the response (set while it is still routing). */
  detachController(res: ServerResponse): { abort(reason?: unknown): void } | undefined;
  sendError(res: ServerResponse, err: HttpError): void;
  readonly metrics: ProxyMetrics;
}

/** Answer one open response at the drain deadline. */
export function cutAtDeadline(res: ServerResponse, edge: DrainEdge): void {
  if (res.writableEnded || res.destroyed) return;
  res.shouldKeepAlive = false;
  const err = drainDeadline();
  if (chatShutdown(res, err)) return; // a push stream: its call ends it (error event, upstream aborted, counted)
  const ac = edge.detachController(res);
  ac?.abort(new RouterError('aborted', 'the router is shutting down'));
  if (!res.headersSent) {
    edge.sendError(res, err);
    edge.metrics.request('', err.status, 0); // the aborted route sees headersSent and does not count it again
  } else if (isEventStream(res)) {
    // A pull-only stream (a router without push streams): its loop sees the abort and stops writing.
    edge.metrics.streamError('', err.code);
    res.end(sseErrorEvent(err));
  }
}

/**
 * The response's head (sent) says text/event-stream. A head written by writeHead's object alone
 * (chat-call.ts: no setHeader before, so node keeps no header store for getHeader) is read
 * from the head node wrote.
 */
function isEventStream(res: ServerResponse): boolean {
  const set = res.getHeader('content-type');
  if (set !== undefined) return String(set).startsWith('text/event-stream');
  const head = (res as { _header?: unknown })._header;
  return typeof head === 'string' && /^content-type: *text\/event-stream/im.test(head);
}

/** Resolves once every ended response in `open` has flushed (or closed), or after FLUSH_MS on the clock. */
export function flushed(open: ReadonlySet<ServerResponse>, clock: Clock): Promise<void> {
  const pending = [...open].filter((r) => r.writableEnded && !r.writableFinished && !r.destroyed);
  if (pending.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let left = pending.length;
    const t = clock.setTimeout(resolve, FLUSH_MS);
    const one = (): void => {
      if (--left === 0) {
        t.cancel();
        resolve();
      }
    };
    for (const r of pending) {
      let done = false;
      const once = (): void => {
        if (done) return;
        done = true;
        one();
      };
      r.once('finish', once);
      r.once('close', once);
    }
  });
}
