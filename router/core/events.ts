import type { HealthState, Usage } from './types.js';

/**
 * What the router tells observers (metrics, logs, the simulator's recorder). Events are
 * plain objects; the router builds one only when someone listens (`EventBus.active`), so
 * an unobserved router pays nothing for them on the hot path.
 */
export type RouterEvent =
  | {
      readonly type: 'attempt-start';
      readonly at: number;
      readonly requestId: string | undefined;
      readonly endpointId: string;
      readonly model: string;
      readonly reason: string;
    }
  | {
      readonly type: 'attempt-end';
      readonly at: number;
      readonly requestId: string | undefined;
      readonly endpointId: string;
      readonly model: string;
      readonly reason: string;
      readonly ok: boolean;
      readonly errorCode: string | undefined;
      readonly status: number | undefined;
      readonly latencyMs: number;
      readonly ttftMs: number | undefined;
      readonly usage: Usage | undefined;
      readonly costUsd: number;
      /** The upstream's Retry-After (ms), when the attempt failed with one. */
      readonly retryAfterMs?: number | undefined;
    }
  | {
      readonly type: 'request-end';
      readonly at: number;
      readonly requestId: string | undefined;
      readonly ok: boolean;
      readonly attempts: number;
      readonly latencyMs: number;
      readonly endpointId: string | undefined;
      readonly errorCode: string | undefined;
    }
  | { readonly type: 'health'; readonly at: number; readonly endpointId: string; readonly from: HealthState; readonly to: HealthState }
  | {
      readonly type: 'retry';
      readonly at: number;
      readonly requestId: string | undefined;
      /** 'retry' (same endpoint set, after backoff), 'failover' (untried endpoint) or 'fallback-model'. */
      readonly kind: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly errorCode: string;
    }
  | { readonly type: 'hedge'; readonly at: number; readonly requestId: string | undefined; readonly primaryEndpointId: string }
  | { readonly type: 'panic'; readonly at: number; readonly model: string; readonly unavailable: number; readonly total: number };

export type RouterEventType = RouterEvent['type'];
export type RouterListener = (e: RouterEvent) => void;

/** A minimal synchronous emitter. A throwing listener never breaks routing. */
export class EventBus {
  private listeners: RouterListener[] = [];

  /** True when at least one listener is attached: build events only then. */
  get active(): boolean {
    return this.listeners.length > 0;
  }

  on(listener: RouterListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(e: RouterEvent): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i]!(e);
      } catch {
        // Observers must not change routing outcomes.
      }
    }
  }
}
