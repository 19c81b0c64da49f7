import type { Clock } from '../../router/core/clock.js';
import type { RouterConfigInput } from '../../router/core/config.js';
import type { Endpoint, RouteRequest, SendOptions, Transport, TransportResponse, Usage } from '../../router/core/types.js';

/**
 * A scripted Transport on an injected clock, for router tests: each call asks `behave`
 * what this endpoint does now (answer, fail with a status, refuse the connection, hang,
 * or stream chunks, optionally cut mid-way). Delays run on the clock and honour the abort
 * signal, like a real transport would.
 */
export type FakeReply =
  | { kind: 'ok'; latencyMs?: number; usage?: Usage; ttftMs?: number; body?: unknown }
  | { kind: 'status'; status: number; latencyMs?: number; retryAfterMs?: number; headers?: Record<string, string> }
  | { kind: 'refuse'; latencyMs?: number }
  | { kind: 'hang' }
  | {
      kind: 'stream';
      chunks: string[];
      /** Delay before the response headers (and before the first chunk, if firstChunkDelayMs is unset). */
      latencyMs?: number;
      firstChunkDelayMs?: number;
      chunkDelayMs?: number;
      /** Throw after yielding this many chunks. */
      cutAfter?: number;
      usage?: Usage;
    };

export interface FakeCall {
  endpointId: string;
  at: number;
  signal: AbortSignal;
  /** Set when the call's signal fired. */
  abortedAt?: number;
}

export type Behaviour = (endpoint: Endpoint, req: RouteRequest, call: number) => FakeReply;

function abortError(signal: AbortSignal): unknown {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : Object.assign(new Error('aborted'), { name: 'AbortError' });
}

export class FakeTransport implements Transport {
  readonly calls: FakeCall[] = [];
  readonly perEndpoint = new Map<string, number>();
  checkResult: (endpoint: Endpoint) => boolean | 'hang' = () => true;
  checks = 0;

  constructor(
    private readonly clock: Clock,
    public behave: Behaviour,
  ) {}

  count(id: string): number {
    return this.perEndpoint.get(id) ?? 0;
  }

  private wait(ms: number | undefined, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (!ms) return Promise.resolve();
    return this.clock.sleep(ms, signal).catch(() => {
      throw abortError(signal);
    });
  }

  async send(endpoint: Endpoint, req: RouteRequest, opts: SendOptions): Promise<TransportResponse> {
    const n = this.calls.length;
    const call: FakeCall = { endpointId: endpoint.id, at: this.clock.now(), signal: opts.signal };
    this.calls.push(call);
    this.perEndpoint.set(endpoint.id, (this.perEndpoint.get(endpoint.id) ?? 0) + 1);
    opts.signal.addEventListener('abort', () => (call.abortedAt = this.clock.now()), { once: true });
    const r = this.behave(endpoint, req, n);
    switch (r.kind) {
      case 'ok':
        await this.wait(r.latencyMs, opts.signal);
        return { status: 200, headers: {}, body: r.body ?? { ok: true, endpoint: endpoint.id }, usage: r.usage, ttftMs: r.ttftMs };
      case 'status': {
        await this.wait(r.latencyMs, opts.signal);
        return { status: r.status, headers: r.headers ?? {}, body: { error: r.status }, retryAfterMs: r.retryAfterMs };
      }
      case 'refuse':
        await this.wait(r.latencyMs, opts.signal);
        throw Object.assign(new Error(`connect ECONNREFUSED ${endpoint.id}`), { code: 'ECONNREFUSED' });
      case 'hang':
        await new Promise<never>((_, reject) => {
          if (opts.signal.aborted) reject(abortError(opts.signal));
          opts.signal.addEventListener('abort', () => reject(abortError(opts.signal)), { once: true });
        });
        throw new Error('unreachable');
      case 'stream': {
        await this.wait(r.latencyMs, opts.signal);
        const res: TransportResponse & { usage?: Usage } = { status: 200, headers: {} };
        const self = this;
        const signal = opts.signal;
        const s = r;
        async function* gen(): AsyncGenerator<string> {
          await self.wait(s.firstChunkDelayMs, signal);
          for (let i = 0; i < s.chunks.length; i++) {
            if (s.cutAfter !== undefined && i === s.cutAfter)
              throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
            if (i > 0) await self.wait(s.chunkDelayMs, signal);
            yield s.chunks[i]!;
          }
          res.usage = s.usage;
        }
        res.stream = gen();
        return res;
      }
    }
  }

  async check(endpoint: Endpoint, opts: SendOptions): Promise<boolean> {
    this.checks++;
    const r = this.checkResult(endpoint);
    if (r !== 'hang') return r;
    return new Promise<boolean>((_, reject) => opts.signal.addEventListener('abort', () => reject(abortError(opts.signal))));
  }
}

/** A small 3-endpoint config for router tests. */
export function threeEndpoints(extra: Partial<RouterConfigInput> = {}): RouterConfigInput {
  return {
    endpoints: [
      { id: 'a', provider: 'pa', model: 'm' },
      { id: 'b', provider: 'pb', model: 'm' },
      { id: 'c', provider: 'pc', model: 'm' },
    ],
    strategy: 'round-robin',
    ...extra,
  };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Drive a ManualClock until `p` settles: fire the next timer, let continuations run,
 * repeat. Fails (instead of hanging) when nothing is scheduled and `p` is still pending.
 */
export async function settle<T>(
  clock: { now(): number; nextTime(): number | undefined; advance(ms: number): Promise<void> },
  p: Promise<T>,
  maxMs = 3_600_000,
): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  const limit = clock.now() + maxMs;
  await flush();
  while (!done) {
    const t = clock.nextTime();
    if (t === undefined || t > limit) throw new Error(`promise still pending at t=${clock.now()} with no timer due`);
    await clock.advance(Math.max(0, t - clock.now()));
  }
  return p;
}
