import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { MaxTokensMode, SimRequest } from '../../simulator/types.js';
import { attemptsOf, chatBody, headerOf, judgeBody, responseCacheOf, triedOf, type Sample } from './samples.js';

/**
 * Closed-loop load with autocannon: `connections` connections, each sending its next
 * request as soon as the previous answered, paced by `overallRate` (req/s).
 *
 * We do not use autocannon's latency histogram: in rate mode it "corrects" for
 * coordinated omission with the expected interval computed in seconds
 * (Math.ceil(1 / rate)) while the histogram is in milliseconds, so the correction is
 * wrong. Instead every response is timed here, per client, from the moment autocannon
 * writes the request ('request' event, pipelining 1) to the end of the body, and fed
 * to our own per-second histograms. The bodies cycle through the workload's requests
 * (prompt text, token counts, stream flag); arrival times are not used in a closed loop.
 */

export interface ClosedLoopOptions {
  origin: string;
  model: string;
  /** Bodies to cycle through. */
  requests: readonly SimRequest[];
  /** Wall seconds to run. */
  durationS: number;
  connections: number;
  /** Target requests per wall second over all connections (undefined = as fast as possible). */
  rate: number | undefined;
  timeoutS: number;
  onSample(s: Sample): void;
  signal?: AbortSignal;
  /** Warm-up traffic: the mock providers answer it without touching their state (samples.ts chatBody). */
  warmup?: boolean;
  /** Send each request's prompt class in the x-prompt-class header (scenario load.declareClass). */
  declareClass?: boolean;
  /** What each request declares as max_tokens (scenario load.maxTokens; default 'exact'). */
  maxTokens?: MaxTokensMode;
}

interface ClientState {
  t0: number;
  ttft: number | undefined;
  status: number;
  endpoint: string | undefined;
  attempts: number;
  tried: string[] | undefined;
  responseCache: 'hit' | 'miss' | undefined;
  chunks: Buffer[];
}

export async function runClosedLoop(o: ClosedLoopOptions): Promise<{ sent: number }> {
  if (o.requests.length === 0) return { sent: 0 };
  let cursor = 0;
  let sent = 0;
  const start = performance.now();
  const bodies = o.requests.map((r) => ({ body: chatBody(o.model, r, o.warmup, o.maxTokens), session: r.sessionKey, promptClass: r.promptClass }));

  let finish!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = (err) => (err ? reject(err as Error) : resolve());
  });
  // The callback form returns the Instance (with stop()); the promise form does not.
  const instance = autocannon({
    url: o.origin,
    connections: o.connections,
    pipelining: 1,
    duration: o.durationS,
    timeout: o.timeoutS,
    ...(o.rate ? { overallRate: Math.max(1, Math.round(o.rate)) } : {}),
    requests: [
      {
        method: 'POST',
        path: '/v1/chat/completions',
        setupRequest: (req) => {
          const b = bodies[cursor++ % bodies.length]!;
          return { ...req, body: b.body, headers: { 'content-type': 'application/json', 'x-session-id': b.session, ...(o.declareClass ? { 'x-prompt-class': b.promptClass } : {}) } };
        },
      },
    ],
    setupClient: (client) => {
      const c = client as unknown as NodeJS.EventEmitter;
      const st: ClientState = { t0: 0, ttft: undefined, status: 0, endpoint: undefined, attempts: 1, tried: undefined, responseCache: undefined, chunks: [] };
      c.on('request', () => {
        st.t0 = performance.now() - start;
        st.ttft = undefined;
        st.chunks = [];
        st.endpoint = undefined;
        st.tried = undefined;
        st.responseCache = undefined;
        sent++;
      });
      c.on('headers', (h: { statusCode: number; headers: unknown }) => {
        st.status = h.statusCode;
        st.endpoint = headerOf(h.headers, 'x-router-endpoint');
        st.attempts = attemptsOf(headerOf(h.headers, 'x-router-attempts'));
        st.tried = triedOf(headerOf(h.headers, 'x-router-tried'));
        st.responseCache = responseCacheOf(headerOf(h.headers, 'x-router-cache'));
      });
      c.on('body', (buf: Buffer) => {
        st.ttft ??= performance.now() - start - st.t0;
        st.chunks.push(Buffer.from(buf));
      });
      c.on('response', (status: number) => {
        const now = performance.now() - start;
        const body = Buffer.concat(st.chunks).toString('utf8');
        const streamed = body.startsWith('data:');
        const j = judgeBody(status, body, streamed);
        o.onSample({
          sentMs: st.t0,
          latencyMs: now - st.t0,
          // TTFT only for a streamed answer that succeeded (simulator/run.ts counts the same).
          ttftMs: streamed && j.ok ? st.ttft : undefined,
          status,
          endpoint: st.endpoint,
          attempts: st.attempts,
          tried: st.tried,
          responseCache: st.responseCache,
          ...j,
        });
      });
      const onFail = (kind: string) => () => {
        const now = performance.now() - start;
        o.onSample({
          sentMs: st.t0,
          latencyMs: now - st.t0,
          ttftMs: undefined,
          status: 0,
          ok: false,
          endpoint: st.endpoint,
          attempts: st.attempts,
          inputTokens: 0,
          outputTokens: 0,
          errorKind: kind,
        });
      };
      c.on('timeout', onFail('timeout'));
      c.on('connError', onFail('connect'));
    },
  }, (err) => finish(err));
  const onAbort = (): void => instance.stop();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await done;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
  return { sent };
}
