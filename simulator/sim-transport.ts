import { RouterError } from '../router/core/errors.js';
import type { Endpoint, RouteRequest, SendOptions, Transport, TransportResponse } from '../router/core/types.js';
import type { Engine } from './engine.js';
import { createProviderState, type ProviderModel, type ProviderState } from './model.js';
import type { ProviderOutcome, SimRequest } from './types.js';

/**
 * The simulated transport: the router's Transport on the engine's virtual clock. A send
 * asks the endpoint's provider model for the outcome of this request at this instant
 * with the provider's current in-service load (requests admitted and not yet finished,
 * queued ones included), then settles on the virtual clock the way a socket would:
 *
 *   ok (JSON)        resolve 200 + usage + ttftMs at totalMs
 *   ok (stream)      resolve 200 at ttftMs with a stream: first chunk at once, the rest
 *                    (usage, [DONE]) at totalMs
 *   stream_cut       as a stream, but the stream throws RouterError('stream_cut') at totalMs
 *   http_error/429   resolve the status (Retry-After header + retryAfterMs) at totalMs
 *   refused          reject RouterError('connect_failed') at ttftMs
 *   reset            reject RouterError('connection_reset') at totalMs
 *   malformed        reject RouterError('malformed_response') at totalMs
 *   hang             never settles; only the caller's AbortSignal ends it
 *
 * An abort (timeout, hedge loser, client gone) cancels the pending event, frees the
 * provider slot at once and rejects with the signal's reason. The provider slot
 * (capacity, RPM/TPM window) is taken at send and freed when the attempt ends.
 */

export interface SimProvider {
  /** Endpoint id the router uses for this provider. */
  readonly id: string;
  readonly model: ProviderModel;
  /** Capacity and RPM/TPM state (created when absent). */
  state?: ProviderState;
}

/** What the transport tells its owner about each attempt (billing, oracle, metrics). */
export interface AttemptInfo {
  readonly request: SimRequest;
  readonly providerId: string;
  readonly sentAtMs: number;
  readonly load: number;
  readonly outcome: ProviderOutcome;
}

export interface SimTransportOptions {
  readonly engine: Engine;
  readonly providers: readonly SimProvider[];
  /** The SimRequest behind a RouteRequest (run.ts keys them by `id`). */
  readonly lookup: (request: RouteRequest) => SimRequest | undefined;
  /** Called once per send, after the outcome is drawn. */
  readonly onAttempt?: (info: AttemptInfo) => void;
  /** Called once per send when the provider slot is freed: `completed` = the outcome played out (not aborted). */
  readonly onAttemptEnd?: (info: AttemptInfo, completed: boolean) => void;
}

export interface SimTransport extends Transport {
  /** Current in-service load of a provider. */
  load(providerId: string): number;
  /** Attempts still in service (all providers). */
  inService(): number;
}

const NO_HEADERS: Readonly<Record<string, string | undefined>> = Object.freeze({});
const SSE_HEADERS: Readonly<Record<string, string | undefined>> = Object.freeze({ 'content-type': 'text/event-stream' });
const OK_BODY = Object.freeze({ object: 'chat.completion', simulated: true });
const FIRST_CHUNK = 'data: {"object":"chat.completion.chunk","simulated":true}\n\n';
const LAST_CHUNK = 'data: {"object":"chat.completion.chunk","simulated":true,"usage":{}}\n\ndata: [DONE]\n\n';

function abortError(signal: AbortSignal, endpointId: string): unknown {
  return signal.reason ?? new RouterError('aborted', `request to ${endpointId} aborted`, { endpointId });
}

interface Entry {
  readonly id: string;
  readonly model: ProviderModel;
  readonly state: ProviderState;
}

export function createSimTransport(opts: SimTransportOptions): SimTransport {
  const { engine, lookup, onAttempt, onAttemptEnd } = opts;
  const clock = engine.clock;
  const byId = new Map<string, Entry>();
  for (const p of opts.providers) {
    if (byId.has(p.id)) throw new Error(`sim transport: duplicate provider id "${p.id}"`);
    byId.set(p.id, { id: p.id, model: p.model, state: (p.state ??= createProviderState()) });
  }
  let inService = 0;

  function entryFor(endpoint: Endpoint): Entry {
    const e = byId.get(endpoint.id);
    if (!e) throw new RouterError('connect_failed', `no simulated provider for endpoint "${endpoint.id}"`, { endpointId: endpoint.id });
    return e;
  }

  function send(endpoint: Endpoint, request: RouteRequest, { signal }: SendOptions): Promise<TransportResponse> {
    let entry: Entry;
    try {
      entry = entryFor(endpoint);
    } catch (e) {
      return Promise.reject(e);
    }
    const id = entry.id;
    if (signal.aborted) return Promise.reject(abortError(signal, id));
    const sim = lookup(request);
    if (!sim) return Promise.reject(new RouterError('invalid_request', `sim transport: unknown request id "${request.id}"`));
    const now = clock.now();
    const state = entry.state;
    const load = state.inFlight;
    const o = entry.model.outcome(sim, now, load, state);
    entry.model.admit(state, now, sim, o);
    inService++;
    const info: AttemptInfo = { request: sim, providerId: id, sentAtMs: now, load, outcome: o };
    onAttempt?.(info);

    return new Promise<TransportResponse>((resolve, reject) => {
      let timer: { cancel(): void } | null = null;
      let released = false;
      let streamReject: ((e: unknown) => void) | null = null;
      const release = (completed = true): void => {
        if (released) return;
        released = true;
        inService--;
        entry.model.release(state);
        signal.removeEventListener('abort', onAbort);
        onAttemptEnd?.(info, completed);
      };
      const onAbort = (): void => {
        if (released) return;
        timer?.cancel();
        release(false);
        const err = abortError(signal, id);
        if (streamReject) streamReject(err);
        else reject(err);
      };
      signal.addEventListener('abort', onAbort);
      const at = (ms: number, fn: () => void): void => {
        timer = engine.at(now + ms, () => {
          timer = null;
          fn();
        });
      };
      const fail = (ms: number, code: 'connect_failed' | 'connection_reset' | 'malformed_response', what: string): void =>
        at(ms, () => {
          release();
          reject(new RouterError(code, `simulated ${what} from ${id}`, { endpointId: id }));
        });

      switch (o.kind) {
        case 'hang':
          return; // only onAbort settles it
        case 'refused':
          return fail(o.ttftMs, 'connect_failed', 'connection refused');
        case 'reset':
          return fail(o.totalMs, 'connection_reset', 'connection reset');
        case 'malformed':
          return fail(o.totalMs, 'malformed_response', 'malformed body');
        case 'http_error':
        case 'rate_limited':
          return at(o.totalMs, () => {
            release();
            const res: TransportResponse =
              o.retryAfterMs !== undefined
                ? {
                    status: o.status,
                    headers: { 'retry-after': String(Math.ceil(o.retryAfterMs / 1000)) },
                    retryAfterMs: o.retryAfterMs,
                    body: { error: { message: `simulated ${o.status}`, type: 'simulated' } },
                  }
                : { status: o.status, headers: NO_HEADERS, body: { error: { message: `simulated ${o.status}`, type: 'simulated' } } };
            resolve(res);
          });
        case 'ok':
        case 'stream_cut':
          if (!sim.stream || !request.stream) {
            return at(o.totalMs, () => {
              release();
              resolve({
                status: 200,
                headers: NO_HEADERS,
                body: OK_BODY,
                usage: { inputTokens: o.inputTokens, outputTokens: o.outputTokens },
                ttftMs: o.ttftMs,
              });
            });
          }
          return at(o.ttftMs, () => {
            const res: TransportResponse = { status: 200, headers: SSE_HEADERS, ttftMs: o.ttftMs };
            const stream = new SimStream(o, res, id);
            res.stream = stream;
            streamReject = (e) => stream.fail(e);
            // The end is scheduled now, consumed or not, so the provider slot is always freed.
            at(o.totalMs - o.ttftMs, () => {
              release();
              stream.finish();
            });
            resolve(res);
          });
      }
    });
  }

  async function check(endpoint: Endpoint): Promise<boolean> {
    const e = byId.get(endpoint.id);
    if (!e) return false;
    const down = e.model.effectsAt(clock.now()).outage !== null;
    await clock.sleep(5);
    return !down;
  }

  return {
    send,
    check,
    load: (providerId) => byId.get(providerId)?.state.inFlight ?? 0,
    inService: () => inService,
  };
}

/**
 * A two-chunk stream: the first chunk is there at TTFT; the second (usage, [DONE]) or
 * the cut arrives when the transport calls finish() at totalMs; fail() ends it early
 * (abort). A next() waiting for the end is settled then.
 */
class SimStream implements AsyncIterableIterator<string> {
  private step = 0;
  private ended: { ok: true } | { ok: false; err: unknown } | null = null;
  private waiter: { resolve: (r: IteratorResult<string>) => void; reject: (e: unknown) => void } | null = null;

  constructor(
    private readonly o: ProviderOutcome,
    private readonly res: TransportResponse,
    private readonly id: string,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  finish(): void {
    if (this.ended) return;
    this.res.usage = { inputTokens: this.o.inputTokens, outputTokens: this.o.outputTokens };
    this.ended =
      this.o.kind === 'stream_cut'
        ? { ok: false, err: new RouterError('stream_cut', `simulated stream cut from ${this.id}`, { endpointId: this.id }) }
        : { ok: true };
    this.settle();
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.ended = { ok: false, err };
    this.settle();
  }

  private settle(): void {
    const w = this.waiter;
    if (!w || !this.ended) return;
    this.waiter = null;
    this.step = 2;
    if (this.ended.ok) w.resolve({ value: LAST_CHUNK, done: false });
    else w.reject(this.ended.err);
  }

  next(): Promise<IteratorResult<string>> {
    const s = this.step;
    if (s === 0) {
      this.step = 1;
      return Promise.resolve({ value: FIRST_CHUNK, done: false });
    }
    if (s >= 2 || this.waiter) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.settle();
    });
  }

  return(): Promise<IteratorResult<string>> {
    this.step = 2;
    return Promise.resolve({ value: undefined, done: true });
  }
}
