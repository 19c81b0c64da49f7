import { describe, expect, it } from 'vitest';
import { RouteSignal } from '../router/http/route-signal.js';

/** RouteSignal dispatches 'abort' as an AbortSignal (EventTarget) does, for what the router uses of it. */
describe('RouteSignal', () => {
  /** The same calls on a real AbortController and on a RouteSignal give the same log. */
  function both(script: (s: { signal: EventTarget & { aborted: boolean; reason: unknown }; abort(r?: unknown): void }, log: string[]) => void): [string[], string[]] {
    const a: string[] = [];
    const b: string[] = [];
    script(new AbortController() as never, a);
    script(new RouteSignal() as never, b);
    return [a, b];
  }

  it('runs listeners in the order added, functions and handleEvent objects, once each; `once` ones removed first', () => {
    const [real, mine] = both((c, log) => {
      const f = (): void => void log.push('f');
      const o = { handleEvent: () => void log.push('o') };
      c.signal.addEventListener('abort', f);
      c.signal.addEventListener('abort', o);
      c.signal.addEventListener('abort', f); // a duplicate is ignored
      c.signal.addEventListener('abort', () => log.push('once'), { once: true });
      c.abort('why');
      c.abort('again'); // aborts once
      log.push(`aborted=${c.signal.aborted} reason=${String(c.signal.reason)}`);
    });
    expect(mine).toEqual(real);
    expect(mine).toEqual(['f', 'o', 'once', 'aborted=true reason=why']);
  });

  it('skips a listener removed during the dispatch and does not run one added during it', () => {
    const [real, mine] = both((c, log) => {
      const second = (): void => void log.push('second');
      c.signal.addEventListener('abort', () => {
        log.push('first');
        c.signal.removeEventListener('abort', second);
        c.signal.addEventListener('abort', () => log.push('late'));
      });
      c.signal.addEventListener('abort', second);
      c.abort();
    });
    expect(mine).toEqual(real);
    expect(mine).toEqual(['first']);
  });

  it('keeps the order when the first listener is removed after a second was added', () => {
    const [real, mine] = both((c, log) => {
      const f = (): void => void log.push('f');
      c.signal.addEventListener('abort', f);
      c.signal.addEventListener('abort', () => log.push('g'));
      c.signal.removeEventListener('abort', f);
      c.signal.addEventListener('abort', f);
      c.abort();
    });
    expect(mine).toEqual(real);
    expect(mine).toEqual(['g', 'f']);
  });

  it('a removed listener does not run; the default reason is an AbortError', () => {
    const s = new RouteSignal();
    let ran = false;
    const f = (): void => void (ran = true);
    s.addEventListener('abort', f);
    expect(s.listenerCount()).toBe(1);
    s.removeEventListener('abort', f);
    expect(s.listenerCount()).toBe(0);
    s.abort();
    expect(ran).toBe(false);
    expect((s.reason as DOMException).name).toBe('AbortError');
    expect(s.signal).toBe(s);
  });

  it('a listener that throws is reported as an uncaught exception after the others ran', async () => {
    const s = new RouteSignal();
    const log: string[] = [];
    s.addEventListener('abort', () => {
      throw new Error('boom');
    });
    s.addEventListener('abort', () => void log.push('after'));
    const caught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    s.abort();
    expect(log).toEqual(['after']);
    expect(((await caught) as Error).message).toBe('boom');
  });
});
