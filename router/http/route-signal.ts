/**
 * The abort signal the proxy hands the router's promise-free route (`[ROUTE_DIRECT]`), one per
 * request: the part of AbortSignal the router reads (`aborted`, `reason`,
 * `addEventListener` / `removeEventListener` of 'abort', with `once`) as a plain object, not an
 * EventTarget. Every attempt adds and removes an abort listener; on Node 20's EventTarget that
 * pair cost ~1.5 µs a request, and an AbortController ~2 µs to make (so they were pooled, with a
 * listener count per release). Measured with the rest of issue 19's edge changes against main in
 * paired rounds (`npm run bench -- --only proxy --quick --baseline <main> --proxy-rounds 8`, two
 * runs at load 8-13): the proxy's CPU per request 0.933x, lower in 6 of 8 rounds; this alone
 * (a worktree at its commit, 14 rounds of bench/proxy.ts-style wrk runs): 0.947x, lower in 9 of 14.
 *
 * It is also its own controller (`signal` is itself, `abort(reason)`), so the edge treats it as
 * it treats an AbortController. Dispatch follows EventTarget's rules: listeners run in the order
 * they were added, one added twice runs once, a `once` one is removed before it runs, one removed
 * during the dispatch does not run, one added during it does not run, and one that throws is
 * reported as an uncaught exception (on the next tick) after the others ran.
 */

type AbortListener = ((ev: Event) => unknown) | { handleEvent(ev: Event): unknown };

interface Entry {
  readonly listener: AbortListener;
  readonly once: boolean;
}

export class RouteSignal {
  aborted = false;
  reason: unknown = undefined;
  /**
   * The listeners, in the order added. The first one alone needs no allocation (a request has one
   * attempt listening at a time, nearly always): `first` while `list` is null; once a second is
   * added, all of them are in `list`.
   */
  private first: AbortListener | null = null;
  private firstOnce = false;
  private list: Entry[] | null = null;

  /** As AbortController.signal: this object. */
  get signal(): this {
    return this;
  }

  addEventListener(type: string, listener: AbortListener | null | undefined, options?: boolean | { once?: boolean }): void {
    if (type !== 'abort' || listener == null) return;
    const once = typeof options === 'object' && options !== null && options.once === true;
    const list = this.list;
    if (list === null) {
      if (this.first === null) {
        this.first = listener;
        this.firstOnce = once;
        return;
      }
      if (this.first === listener) return;
      this.list = [{ listener: this.first, once: this.firstOnce }, { listener, once }];
      this.first = null;
      return;
    }
    for (let i = 0; i < list.length; i++) if (list[i]!.listener === listener) return;
    list.push({ listener, once });
  }

  removeEventListener(type: string, listener: AbortListener | null | undefined): void {
    if (type !== 'abort') return;
    const list = this.list;
    if (list === null) {
      if (this.first === listener) this.first = null;
      return;
    }
    for (let i = 0; i < list.length; i++)
      if (list[i]!.listener === listener) {
        list.splice(i, 1);
        return;
      }
  }

  /** Listeners now registered. */
  listenerCount(): number {
    return this.list !== null ? this.list.length : this.first === null ? 0 : 1;
  }

  /** As AbortController.abort: once; `reason` defaults to an AbortError DOMException, as there. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    if (this.list === null) {
      if (this.first === null) return;
      this.list = [{ listener: this.first, once: this.firstOnce }];
      this.first = null;
    }
    const ev = new Event('abort');
    for (const e of this.list.slice()) {
      if (!this.list.includes(e)) continue; // removed by an earlier listener
      if (e.once) this.list.splice(this.list.indexOf(e), 1);
      try {
        const l = e.listener;
        if (typeof l === 'function') l.call(this, ev);
        else l.handleEvent(ev);
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }
}

/** What the edge keeps per routed request to abort it: a RouteSignal (the router's direct route) or a pooled AbortController (another ProxyRouter's route()). */
export type RouteAbort = AbortController | RouteSignal;
