/**
 * The abort signal the proxy hands the router's promise-free route (`[ROUTE_DIRECT]`), one per
 * request: the part of AbortSignal the router reads (`aborted`, `reason`,
 * `addEventListener` / `removeEventListener` of 'abort', with `once`) as a plain object, not an
 * EventTarget. Every attempt adds and removes an abort listener; on Node 20's EventTarget that
 * pair cost ~1.5 µs a request, and an AbortController ~2 µs to make (so they were pooled, with a
 * listener count per release).
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
  /** The listeners, in the order added; null when none was ever added (most requests: one at a time). */
  private entries: Entry[] | null = null;

  /** As AbortController.signal: this object. */
  get signal(): this {
    return this;
  }

  addEventListener(type: string, listener: AbortListener | null | undefined, options?: boolean | { once?: boolean }): void {
    if (type !== 'abort' || listener == null) return;
    const list = (this.entries ??= []);
    for (let i = 0; i < list.length; i++) if (list[i]!.listener === listener) return;
    list.push({ listener, once: typeof options === 'object' && options !== null && options.once === true });
  }

  removeEventListener(type: string, listener: AbortListener | null | undefined): void {
    const list = this.entries;
    if (type !== 'abort' || list === null) return;
    for (let i = 0; i < list.length; i++)
      if (list[i]!.listener === listener) {
        list.splice(i, 1);
        return;
      }
  }

  /** Listeners now registered. */
  listenerCount(): number {
    return this.entries === null ? 0 : this.entries.length;
  }

  /** As AbortController.abort: once; `reason` defaults to an AbortError DOMException, as there. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const list = this.entries;
    if (list === null || list.length === 0) return;
    const ev = new Event('abort');
    for (const e of list.slice()) {
      if (!this.entries!.includes(e)) continue; // removed by an earlier listener
      if (e.once) this.entries!.splice(this.entries!.indexOf(e), 1);
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
