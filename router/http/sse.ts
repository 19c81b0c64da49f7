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
