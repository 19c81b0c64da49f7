import type { Clock, Timer } from '../core/clock.js';
import type { RedisLink } from './redis-client.js';
import type { ChargeReply } from './shared-admission.js';

/**
 * Shared-limit charges, coalesced: costs for the same key within `windowMs` are summed and
 * sent as one GCRA call, all keys of a window in one pipeline (one write, one round trip).
 * At thousands of requests per second this is what keeps the Redis store's CPU per request
 * near the in-memory store's; it adds at most windowMs to the shared level's staleness.
 */
interface Pending {
  interval: number;
  cost: number;
  apply: ChargeReply;
}

export class ChargeBatch {
  private pending = new Map<string, Pending>();
  private timer: Timer | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  add(key: string, interval: number, cost: number, apply: ChargeReply): void {
    const p = this.pending.get(key);
    if (p !== undefined) p.cost += cost;
    else this.pending.set(key, { interval, cost, apply });
    this.timer ??= this.clock.setTimeout(() => this.flush(), this.windowMs);
  }

  flush(): void {
    this.timer = null;
    const batch = this.pending;
    if (batch.size === 0) return;
    this.pending = new Map();
    const sentAt = this.clock.now();
    // A charge that never reaches Redis is reported lost (NaN), so estimates stop counting it.
    const lose = (): void => {
      for (const p of batch.values()) p.apply(Number.NaN, p.cost, sentAt);
    };
    if (!this.link.up) return lose();
    const pipe = this.link.redis.pipeline();
    const order: Pending[] = [];
    for (const [key, p] of batch) {
      (pipe as unknown as { gcra(k: string, i: number, c: number, m: string): void }).gcra(key, p.interval, p.cost, 'charge');
      order.push(p);
    }
    pipe.exec().then(
      (results) => {
        if (!results) return lose();
        results.forEach(([err, reply], i) => {
          if (err) this.link.failed('rate_limit', err);
          order[i]!.apply(err ? Number.NaN : Number((reply as [number, string])[1]), order[i]!.cost, sentAt);
        });
      },
      (e) => {
        this.link.failed('rate_limit', e);
        lose();
      },
    );
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.pending.clear();
  }
}
