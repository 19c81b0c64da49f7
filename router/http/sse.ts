import type { ServerResponse } from 'node:http';
import type { HttpError } from './errors.js';

/**
 * Server-sent events toward the client. Upstream SSE bytes pass through unchanged
 * (the upstream already framed them); the proxy only ever writes its own event for
 * an error after the first byte, in OpenAI's shape, so SDKs raise it:
 *   data: {"error":{"message":...,"type":...,"code":...}}\n\n
 * and then ends the response without `data: [DONE]`.
 */

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;

export function sseErrorEvent(err: HttpError): string {
  return `data: ${JSON.stringify(err.body())}\n\n`;
}

/** Resolve when `res` can take more (after 'drain'), or when the client is gone. */
export function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Write every chunk as it arrives, honouring backpressure (a slow client slows the
 * upstream read instead of growing our memory). Returns when the source ends;
 * throws what the source throws. If the client goes away, the source's return() is
 * called at once (not at its next chunk): that aborts the upstream request even
 * while it is silent.
 */
export async function pipeChunks(res: ServerResponse, source: AsyncIterable<Uint8Array | string>): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  let gone = false;
  const onClose = (): void => {
    if (res.writableFinished) return;
    gone = true;
    void it.return?.()?.catch(() => undefined);
  };
  res.on('close', onClose);
  try {
    for (;;) {
      const r = await it.next();
      if (r.done || gone) return;
      if (!res.write(r.value)) await waitDrain(res);
      if (gone) return;
    }
  } finally {
    res.off('close', onClose);
  }
}
