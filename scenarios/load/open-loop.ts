import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { MaxTokensMode, SimRequest } from '../../simulator/types.js';
import { attemptsOf, chatBody, headerOf, judgeBody, responseCacheOf, triedOf, type Sample } from './samples.js';

/**
 * Open-loop load: every workload request is sent at its own arrival time (scenario ms
 * / speed), whether or not earlier ones have answered, and its latency is measured
 * from that *intended* send time. A slow server therefore shows its full queueing
 * delay (no coordinated omission), unlike a closed loop that simply waits.
 *
 * One timer wakes at the next due time and sends everything due; requests go through
 * an undici pool with keep-alive and enough connections for the expected concurrency
 * (Little's law, given by the caller), so the client is not the bottleneck.
 */

export interface OpenLoopOptions {
  /** Proxy origin, e.g. http://127.0.0.1:8080 */
  origin: string;
  /** Several proxy replicas: request k goes to origins[k % n] (round-robin); default [origin]. */
  origins?: readonly string[];
  model: string;
  /** Requests in arrival order (scenario ms). */
  requests: Iterable<SimRequest>;
  /** Scenario ms per wall ms. */
  speed: number;
  /** Scenario ms at which this run starts (requests before it are skipped by the caller). */
  startMs?: number;
  /** Stop sending at this scenario ms. */
  endMs: number;
  connections: number;
  /** Per-request wall timeout, ms. */
  timeoutMs: number;
  onSample(s: Sample): void;
  /** Abort the run (a child died, a signal). */
  signal?: AbortSignal;
  /** Send each request's prompt class in the x-prompt-class header (scenario load.declareClass). */
  declareClass?: boolean;
  /** What each request declares as max_tokens (scenario load.maxTokens; default 'exact'). */
  maxTokens?: MaxTokensMode;
}

export async function runOpenLoop(o: OpenLoopOptions): Promise<{ sent: number }> {
  // Every in-flight request listens on the run's abort signal.
  if (o.signal) setMaxListeners(0, o.signal);
  const origins = o.origins?.length ? o.origins : [o.origin];
  const pools = origins.map((u) => new Pool(u, { connections: Math.ceil(o.connections / origins.length), pipelining: 1, keepAliveTimeout: 30_000 }));
  const it = o.requests[Symbol.iterator]();
  let nextReq: SimRequest | undefined = it.next().value ?? undefined;
  const inFlight = new Set<Promise<void>>();
  // Wall origin such that scenario ms t is due at start + t / speed.
  const start = performance.now() - (o.startMs ?? 0) / o.speed;
  let sent = 0;

  const send = (r: SimRequest, dueMs: number): void => {
    const p = oneRequest(pools[sent % pools.length]!, o, r, dueMs, start).then(o.onSample, () => {});
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    sent++;
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(o.signal!.reason ?? new Error('aborted'));
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const tick = (): void => {
        if (o.signal?.aborted) return;
        const nowWall = performance.now() - start;
        while (nextReq && nextReq.arrivalMs < o.endMs && nextReq.arrivalMs / o.speed <= nowWall) {
          send(nextReq, nextReq.arrivalMs / o.speed);
          nextReq = it.next().value ?? undefined;
        }
        if (!nextReq || nextReq.arrivalMs >= o.endMs) {
          o.signal?.removeEventListener('abort', onAbort);
          resolve();
          return;
        }
        setTimeout(tick, Math.max(0, nextReq.arrivalMs / o.speed - (performance.now() - start)));
      };
      tick();
    });
    // Let the last requests finish (bounded by their own timeouts).
    await Promise.allSettled([...inFlight]);
  } finally {
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
  return { sent };
}

async function oneRequest(pool: Pool, o: OpenLoopOptions, r: SimRequest, dueMs: number, start: number): Promise<Sample> {
  const at = (): number => performance.now() - start;
  let ttft: number | undefined;
  const base = {
    sentMs: dueMs - (o.startMs ?? 0) / o.speed,
    endpoint: undefined as string | undefined,
    attempts: 0,
    tried: undefined as string[] | undefined,
    responseCache: undefined as 'hit' | 'miss' | undefined,
  };
  try {
    const res = await pool.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-session-id': r.sessionKey, ...(o.declareClass ? { 'x-prompt-class': r.promptClass } : {}) },
      body: chatBody(o.model, r, false, o.maxTokens),
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      signal: o.signal,
    });
    base.endpoint = headerOf(res.headers, 'x-router-endpoint');
    base.attempts = attemptsOf(headerOf(res.headers, 'x-router-attempts'));
    base.tried = triedOf(headerOf(res.headers, 'x-router-tried'));
    base.responseCache = responseCacheOf(headerOf(res.headers, 'x-router-cache'));
    let body = '';
    for await (const chunk of res.body) {
      ttft ??= at() - dueMs;
      body += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    }
    const j = judgeBody(res.statusCode, body, r.stream);
    // TTFT only for a streamed answer that succeeded (simulator/run.ts counts the same).
    return { ...base, latencyMs: at() - dueMs, ttftMs: r.stream && j.ok ? ttft : undefined, status: res.statusCode, ...j };
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    const errorKind = /TIMEOUT/.test(code)
      ? 'timeout'
      : ttft !== undefined
        ? 'stream_error' // the body broke after bytes had arrived
        : /ECONNREFUSED|ECONNRESET|SOCKET/.test(code)
          ? 'connect'
          : 'client_error';
    return {
      ...base,
      latencyMs: at() - dueMs,
      ttftMs: undefined,
      status: 0,
      ok: false,
      inputTokens: 0,
      outputTokens: 0,
      errorKind,
    };
  }
}
