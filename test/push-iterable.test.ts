/**
 * The one adapter between the router's push streams and AsyncIterable
 * (router/core/push-iterable.ts): PullIterator holds at most one chunk and resumes its
 * source only when asked, delivers an error once, and cancels the source on `break`;
 * pushSourceOf turns a pull-only AsyncIterable into a push source with backpressure and
 * passes push sources through. Last, the same through the router: for-await over a
 * RecordedStream of a pull-only transport, and `break` releasing the upstream.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { RouterError } from '../router/core/errors.js';
import { type ChunkSink, type PushSource, STREAM_CANCEL, STREAM_PUSH, STREAM_RESUME } from '../router/core/push.js';
import { PullIterator, pushSourceOf } from '../router/core/push-iterable.js';
import { createRouter } from '../router/index.js';
import { FakeTransport, settle, threeEndpoints } from './helpers/fake-transport.js';

/** A scripted push source: it pushes `chunks` while its sink takes them, then the end (or `fail`). */
class Scripted implements PushSource {
  sink: ChunkSink | null = null;
  pushes = 0;
  resumes = 0;
  cancels = 0;
  /** pushChunk returned false, and the source then pushed again before a resume (must stay 0). */
  violations = 0;
  private i = 0;
  private paused = false;
  private over = false;

  constructor(
    private readonly chunks: string[],
    private readonly fail?: unknown,
  ) {}

  [STREAM_PUSH](sink: ChunkSink): void {
    this.pushes++;
    this.sink = sink;
    this.run();
  }

  [STREAM_RESUME](): void {
    this.resumes++;
    if (!this.paused) return;
    this.paused = false;
    this.run();
  }

  [STREAM_CANCEL](): void {
    this.cancels++;
    this.over = true;
  }

  private run(): void {
    const s = this.sink!;
    while (!this.over && this.i < this.chunks.length) {
      if (this.paused) this.violations++;
      if (!s.pushChunk(this.chunks[this.i++]!)) {
        this.paused = true;
        return;
      }
    }
    if (this.over) return;
    this.over = true;
    if (this.fail !== undefined) s.pushError(this.fail);
    else s.pushEnd();
  }
}

async function collect(it: AsyncIterable<string | Uint8Array>): Promise<{ chunks: string[]; error?: unknown }> {
  const chunks: string[] = [];
  try {
    for await (const c of it) chunks.push(String(c));
  } catch (error) {
    return { chunks, error };
  }
  return { chunks };
}

describe('PullIterator (push source read by pull)', () => {
  it('yields every chunk in order, then ends; the source is paused after each chunk and resumed by the next next()', async () => {
    const src = new Scripted(['a', 'b', 'c']);
    const { chunks, error } = await collect(new PullIterator(src));
    expect(error).toBeUndefined();
    expect(chunks).toEqual(['a', 'b', 'c']);
    expect(src.pushes).toBe(1);
    expect(src.resumes).toBe(3); // after a, b and c: one resume per next() that found nothing held
    expect(src.violations).toBe(0);
    expect(src.cancels).toBe(0);
  });

  it('starts its source only at the first next(); return() before that cancels without starting it', async () => {
    const src = new Scripted(['a']);
    const it = new PullIterator(src);
    expect(src.pushes).toBe(0);
    await expect(it.return()).resolves.toEqual({ value: undefined, done: true });
    expect(src.pushes).toBe(0);
    expect(src.cancels).toBe(1);
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('holds at most one chunk: a chunk pushed with no next() waiting is kept and the source paused', async () => {
    const it = new PullIterator<string>({ [STREAM_PUSH]() {}, [STREAM_RESUME]() {}, [STREAM_CANCEL]() {} });
    expect(it.pushChunk('x')).toBe(false);
    it.pushEnd();
    await expect(it.next()).resolves.toEqual({ value: 'x', done: false });
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('delivers an error once, after the chunks, then reads as ended', async () => {
    const boom = new RouterError('stream_cut', 'cut', { committed: true });
    const it = new PullIterator(new Scripted(['a'], boom));
    await expect(it.next()).resolves.toEqual({ value: 'a', done: false });
    await expect(it.next()).rejects.toBe(boom);
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('an error pushed while nobody waits is kept for the next next(), once (after a held chunk)', async () => {
    const it = new PullIterator<string>({ [STREAM_PUSH]() {}, [STREAM_RESUME]() {}, [STREAM_CANCEL]() {} });
    it.pushChunk('x');
    it.pushError(new Error('late'));
    await expect(it.next()).resolves.toEqual({ value: 'x', done: false });
    await expect(it.next()).rejects.toThrow('late');
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('`break` in for-await cancels the source once; a stream that ended is not cancelled', async () => {
    const src = new Scripted(['a', 'b', 'c']);
    const seen: string[] = [];
    for await (const c of new PullIterator<string>(src)) {
      seen.push(c);
      if (c === 'b') break;
    }
    expect(seen).toEqual(['a', 'b']);
    expect(src.cancels).toBe(1);

    const done = new Scripted(['a']);
    const it = new PullIterator(done);
    await collect(it);
    await it.return();
    expect(done.cancels).toBe(0);
  });
});

describe('pushSourceOf (pull-only AsyncIterable as a push source)', () => {
  it('passes a push source through unchanged', () => {
    const src = new Scripted([]);
    expect(pushSourceOf(src as unknown as AsyncIterable<string>)).toBe(src);
  });

  it('pulls one chunk at a time while the sink takes them, and not while it is paused', async () => {
    let pulled = 0;
    async function* gen(): AsyncGenerator<string> {
      for (const c of ['a', 'b', 'c']) {
        pulled++;
        yield c;
      }
    }
    const src = pushSourceOf(gen());
    const got: string[] = [];
    let ended = false;
    src[STREAM_PUSH]({
      pushChunk: (c) => (got.push(String(c)), got.length !== 2), // pause after the second chunk
      pushEnd: () => (ended = true),
      pushError: (e) => {
        throw e;
      },
    });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(got).toEqual(['a', 'b']);
    expect(pulled).toBe(2); // paused: 'c' not pulled
    src[STREAM_RESUME]();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(got).toEqual(['a', 'b', 'c']);
    expect(ended).toBe(true);
  });

  it('a sink that resumes from inside pushChunk and returns false is not stalled (the proxy does that on the first chunk)', async () => {
    async function* gen(): AsyncGenerator<string> {
      yield 'a';
      yield 'b';
    }
    const src = pushSourceOf(gen());
    const got: string[] = [];
    let ended = false;
    src[STREAM_PUSH]({
      pushChunk: (c) => {
        got.push(String(c));
        src[STREAM_RESUME]();
        return false;
      },
      pushEnd: () => (ended = true),
      pushError: (e) => {
        throw e;
      },
    });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(got).toEqual(['a', 'b']);
    expect(ended).toBe(true);
  });

  it('a throwing iterable ends in pushError; STREAM_CANCEL returns the iterator (its finally runs)', async () => {
    async function* bad(): AsyncGenerator<string> {
      yield 'a';
      throw new Error('upstream broke');
    }
    const errs: unknown[] = [];
    pushSourceOf(bad())[STREAM_PUSH]({ pushChunk: () => true, pushEnd: () => undefined, pushError: (e) => errs.push(e) });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(errs).toHaveLength(1);
    expect((errs[0] as Error).message).toBe('upstream broke');

    let finalized = false;
    async function* slow(): AsyncGenerator<string> {
      try {
        yield 'a';
        yield 'b';
      } finally {
        finalized = true;
      }
    }
    const src = pushSourceOf(slow());
    src[STREAM_PUSH]({ pushChunk: () => false, pushEnd: () => undefined, pushError: () => undefined });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    src[STREAM_CANCEL]();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(finalized).toBe(true);
  });

  it('STREAM_CANCEL before the flow started still tells the iterable (its return() is called)', () => {
    let returned = 0;
    const iterable: AsyncIterable<string> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ value: 'a', done: false }),
        return: () => (returned++, Promise.resolve({ value: undefined, done: true })),
      }),
    };
    pushSourceOf(iterable)[STREAM_CANCEL]();
    expect(returned).toBe(1);
  });
});

describe('through the router', () => {
  it('for-await over a stream from a pull-only transport; `break` releases the upstream and records the attempt as aborted', async () => {
    const clock = new ManualClock();
    const t = new FakeTransport(clock, () => ({ kind: 'stream', chunks: ['1', '2', '3', '4'], chunkDelayMs: 10 }));
    const router = createRouter(threeEndpoints(), { transport: t, clock });

    const whole = await settle(clock, router.route({ model: 'm', stream: true }));
    const it = whole.stream![Symbol.asyncIterator]();
    expect(whole.stream![Symbol.asyncIterator]()).toBe(it); // one adapter per stream
    const chunks: string[] = [];
    for (;;) {
      const r = await settle(clock, it.next());
      if (r.done) break;
      chunks.push(String(r.value));
    }
    expect(chunks).toEqual(['1', '2', '3', '4']);
    expect(whole.attempts.at(-1)).toMatchObject({ ok: true });

    const cut = await settle(clock, router.route({ model: 'm', stream: true }));
    const seen: string[] = [];
    const loop = (async () => {
      for await (const c of cut.stream!) {
        seen.push(String(c));
        if (seen.length === 2) break;
      }
    })();
    await settle(clock, loop);
    expect(seen).toEqual(['1', '2']);
    const call = t.calls.at(-1)!;
    expect(call.abortedAt).toBeDefined(); // the upstream call was aborted at the break
    expect(cut.attempts.at(-1)).toMatchObject({ ok: false, errorCode: 'aborted' });
  });
});
