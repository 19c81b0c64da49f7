import { getEventListeners } from 'node:events';

/**
 * Reuses AbortControllers across attempts. Creating an AbortSignal is one of the most
 * expensive things Node 20 does per request (~2 µs: it re-prototypes an EventTarget),
 * and nearly every attempt ends without being aborted. A controller goes back to the pool
 * only when it was never aborted and no listener is left on its signal (the transport
 * finished and cleaned up), so no one can observe the reuse.
 */
export class AbortPool {
  private readonly free: AbortController[] = [];

  constructor(private readonly max = 1024) {}

  take(): AbortController {
    return this.free.pop() ?? new AbortController();
  }

  give(c: AbortController): void {
    if (c.signal.aborted || this.free.length >= this.max) return;
    if (getEventListeners(c.signal, 'abort').length !== 0) return;
    this.free.push(c);
  }
}
