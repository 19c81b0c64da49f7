import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { endpointSchema, normalizeEndpoint } from '../router/core/config.js';
import { RouterError } from '../router/core/errors.js';
import { createRouter } from '../router/index.js';
import type { Endpoint, TransportResponse } from '../router/core/types.js';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { SEND_DIRECT, type UpstreamHandle, type UpstreamSink } from '../router/core/direct.js';
import { STREAM_PUSH, STREAM_RESUME, isPushSource, type ChunkSink } from '../router/core/push.js';
import { createHttpTransport, type HttpTransport } from '../router/transport/http.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';
import { sse, startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';

/**
 * Push delivery (router/request/stream.ts, the protocol in router/core/push.ts): the undici
 * transport's own push with backpressure (transport/stream-call.ts), the promise-free
 * [SEND_DIRECT] send, and RecordedStream's push over a pull-only transport (wrapped by
 * pushSourceOf, router/core/push-iterable.ts), including the request deadline while the
 * consumer is paused.
 */

let stub: StubUpstream;
let base: string;
const closed: string[] = [];
const onClosed: Array<() => void> = [];

/** Resolves once the stub has seen `n` closed responses for `model` (no polling). */
function closedAtLeast(model: string, n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (closed.filter((m) => m === model).length < n) return;
      onClosed.splice(onClosed.indexOf(check), 1);
      resolve();
    };
    onClosed.push(check);
    check();
  });
}

beforeAll(async () => {
  stub = await startStubUpstream((_req, res, raw) => {
    const model = String((JSON.parse(raw) as { model: string }).model);
    res.on('close', () => {
      closed.push(model);
      for (const f of [...onClosed]) f();
    });
    if (model === 'stream') return sse(res, ['{"n":1}', '{"n":2}', '{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":3}}'], true);
    if (model === 'cut') return sse(res, ['{"n":1}'], false);
    if (model === 'many') return sse(res, Array.from({ length: 50 }, (_, i) => `{"n":${i}}`), true);
    if (model === 'hold') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      return; // never ends
    }
    res.writeHead(500).end();
  });
  base = stub.base;
});

afterAll(() => stub.close());

function ep(upstreamModel: string): Endpoint {
  return normalizeEndpoint(endpointSchema.parse({ provider: 'stub', model: 'group', upstreamModel, baseUrl: base }));
}

/** A push sink recording what it got; `pauseEvery` > 0 pauses after that many chunks. */
class Recorder implements ChunkSink {
  text = '';
  chunks = 0;
  ended = false;
  error: unknown = undefined;
  paused = false;
  /** Chunks pushed while paused (a backpressure violation). */
  pushedWhilePaused = 0;
  done: Promise<void>;
  private finish!: () => void;
  private waiters: Array<() => void> = [];
  constructor(private readonly pauseEvery = 0) {
    this.done = new Promise((r) => (this.finish = r));
  }
  /** Resolves at the first sink event after which `pred()` holds (at once if it holds now). */
  waitFor(pred: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!pred()) return;
        this.waiters.splice(this.waiters.indexOf(check), 1);
        resolve();
      };
      this.waiters.push(check);
      check();
    });
  }
  private notify(): void {
    for (const f of [...this.waiters]) f();
  }
  pushChunk(c: Uint8Array | string): boolean {
    if (this.paused) this.pushedWhilePaused++;
    this.text += typeof c === 'string' ? c : Buffer.from(c).toString();
    this.chunks++;
    const pause = this.pauseEvery > 0 && this.chunks % this.pauseEvery === 0;
    if (pause) this.paused = true;
    this.notify();
    return !pause;
  }
  pushEnd(): void {
    this.ended = true;
    this.finish();
    this.notify();
  }
  pushError(e: unknown): void {
    this.error = e;
    this.finish();
    this.notify();
  }
}

const signal = (): AbortSignal => new AbortController().signal;

describe('http transport: push and direct send', () => {
  let t: HttpTransport;
  beforeAll(() => {
    t = createHttpTransport();
  });
  afterAll(() => t.destroy());

  it('pushes every chunk, reads usage, and ends cleanly after [DONE]', async () => {
    const r = await t.send(ep('stream'), { model: 'group', stream: true }, { signal: signal() });
    expect(isPushSource(r.stream)).toBe(true);
    const rec = new Recorder();
    (r.stream as unknown as { [STREAM_PUSH](s: ChunkSink): void })[STREAM_PUSH](rec);
    await rec.done;
    expect(rec.ended).toBe(true);
    expect(rec.text).toContain('"n":2');
    expect(rec.text).toContain('data: [DONE]');
    expect(r.usage).toEqual({ inputTokens: 4, outputTokens: 3 });
  });

  it('a paused sink gets nothing until resumed, then the rest in order', async () => {
    const r = await t.send(ep('many'), { model: 'group', stream: true }, { signal: signal() });
    const src = r.stream as unknown as { [STREAM_PUSH](s: ChunkSink): void; [STREAM_RESUME](): void };
    const rec = new Recorder(1);
    src[STREAM_PUSH](rec);
    let resumes = 0;
    for (;;) {
      await rec.waitFor(() => rec.paused || rec.ended || rec.error !== undefined);
      if (!rec.paused) break;
      // Let socket data arrive while paused (one event-loop turn); the sink counts any chunk pushed now.
      await new Promise((res) => setImmediate(res));
      rec.paused = false;
      resumes++;
      src[STREAM_RESUME]();
    }
    expect(rec.pushedWhilePaused).toBe(0); // nothing arrives while paused
    expect(rec.ended).toBe(true);
    expect(resumes).toBeGreaterThan(0);
    const ns = [...rec.text.matchAll(/"n":(\d+)/g)].map((m) => Number(m[1]));
    expect(ns).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('a stream that ends without [DONE] is pushed as stream_cut', async () => {
    const r = await t.send(ep('cut'), { model: 'group', stream: true }, { signal: signal() });
    const rec = new Recorder();
    (r.stream as unknown as { [STREAM_PUSH](s: ChunkSink): void })[STREAM_PUSH](rec);
    await rec.done;
    expect(rec.text).toContain('"n":1');
    expect(rec.error).toMatchObject({ code: 'stream_cut' });
  });

  it('[SEND_DIRECT]: the head goes to the sink, never from inside the call; the handle aborts the stream', async () => {
    let head: TransportResponse | undefined;
    let failed: unknown;
    let sync = true;
    let answered = (): void => undefined;
    const answer = new Promise<void>((r) => (answered = r));
    const sink: UpstreamSink = {
      upstreamResponse: (res) => {
        expect(sync).toBe(false);
        head = res;
        answered();
      },
      upstreamError: (e) => {
        expect(sync).toBe(false);
        failed = e;
        answered();
      },
    };
    const handle: { -readonly [K in keyof UpstreamHandle]: UpstreamHandle[K] } & { abort(reason: unknown): void } = {
      aborted: false,
      abortReason: undefined,
      abortListener: null,
      abort(reason) {
        this.aborted = true;
        this.abortReason = reason;
        this.abortListener?.handleAbort();
      },
    };
    expect(t[SEND_DIRECT](ep('hold'), { model: 'group', stream: true }, handle, sink)).toBe(true);
    sync = false;
    await answer;
    expect(failed).toBeUndefined();
    expect(head?.status).toBe(200);
    const rec = new Recorder();
    (head!.stream as unknown as { [STREAM_PUSH](s: ChunkSink): void })[STREAM_PUSH](rec);
    await rec.waitFor(() => rec.chunks > 0);
    handle.abort(new RouterError('aborted', 'test abort'));
    await rec.done;
    expect(rec.error).toMatchObject({ code: 'aborted' });
    expect(handle.abortListener).toBeNull();
    await closedAtLeast('hold', 1); // the upstream saw the abort
  });
});

describe('RecordedStream push (router over a pull-only transport)', () => {
  it('pushes the first chunk and the rest, records the outcome at the end', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['1', '2', '3'], chunkDelayMs: 100, usage: { inputTokens: 5, outputTokens: 3 } }));
    const router = createRouter(threeEndpoints(), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    expect(isPushSource(r.stream)).toBe(true);
    const rec = new Recorder();
    (r.stream as unknown as { [STREAM_PUSH](s: ChunkSink): void })[STREAM_PUSH](rec);
    await settle(clock, rec.done);
    expect(rec.text).toBe('123');
    expect(rec.ended).toBe(true);
    expect(router.candidates('m')[0]!.stats).toMatchObject({ successes: 1, inFlight: 0, outputTokens: 3 });
  });

  it('a consumer paused at the first chunk still gets the deadline as an error, and the upstream is aborted', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['1', '2'], chunkDelayMs: 10_000 }));
    const router = createRouter(threeEndpoints({ timeouts: { totalMs: 1000 } }), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    const rec = new Recorder(1); // pauses at once and never resumes
    (r.stream as unknown as { [STREAM_PUSH](s: ChunkSink): void })[STREAM_PUSH](rec);
    await settle(clock, rec.done);
    expect(rec.text).toBe('1');
    expect(rec.error).toMatchObject({ code: 'timeout', committed: true });
    expect(t.calls[0]!.abortedAt).toBe(1000);
    expect(router.candidates('m')[0]!.stats.inFlight).toBe(0);
  });

  it('a deadline passed while nobody pulled is thrown by the next next(), not a silent end', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['1', '2'], chunkDelayMs: 10_000 }));
    const router = createRouter(threeEndpoints({ timeouts: { totalMs: 1000 } }), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    const it = r.stream![Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('1');
    await clock.advance(1000); // the deadline fires between two next() calls
    await expect(it.next()).rejects.toMatchObject({ code: 'timeout' });
  });

  it('return() during push stops delivery and aborts the upstream', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['1', '2', '3'], chunkDelayMs: 100 }));
    const router = createRouter(threeEndpoints(), { transport: t, clock });
    const r = await settle(clock, router.route({ model: 'm', stream: true }));
    const rec = new Recorder();
    (r.stream as unknown as { [STREAM_PUSH](s: ChunkSink): void })[STREAM_PUSH](rec);
    await r.stream![Symbol.asyncIterator]().return!();
    await clock.advance(1000);
    expect(rec.text).toBe('1');
    expect(rec.ended).toBe(false);
    expect(rec.error).toBeUndefined();
    expect(t.calls[0]!.abortedAt).toBe(0);
  });
});

describe('proxy streaming through the real transport (push path)', () => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    proxy = await startProxy(
      {
        server: { port: 0 },
        endpoints: [
          { id: 'held', provider: 'stub', model: 'held', upstream_model: 'hold', base_url: base },
          { id: 'many', provider: 'stub', model: 'many', upstream_model: 'many', base_url: base },
        ],
        strategy: 'round-robin',
      },
      { port: 0, host: '127.0.0.1' },
    );
  });
  afterAll(() => proxy.close());

  const post = (model: string, signal?: AbortSignal) =>
    request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      signal,
    });

  it('passes every chunk and [DONE] through, counted as 200', async () => {
    const res = await post('many');
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect([...text.matchAll(/"n":(\d+)/g)]).toHaveLength(50);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a client that leaves mid-stream aborts the upstream request and is counted as 499', async () => {
    const before = closed.filter((m) => m === 'hold').length;
    const ac = new AbortController();
    const res = await post('held', ac.signal);
    for await (const _ of res.body) break; // the first chunk arrived
    ac.abort();
    await closedAtLeast('hold', before + 1);
    let text = '';
    // The proxy counts the 499 when it sees the client's close: re-read /metrics (real I/O per read, no sleep).
    while (!/llm_router_requests_total\{endpoint="held",status="499"\} 1/.test(text))
      text = await (await request(`${proxy.url}/metrics`)).body.text();
    expect(proxy.server.inFlight()).toBe(0);
  });
});
