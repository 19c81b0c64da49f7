import { describe, expect, it } from 'vitest';
import { SharedBucket } from '../router/store/shared-bucket.js';

/** A replica's estimate of a shared limit (router/store/shared-bucket.ts): exact arithmetic. */
describe('SharedBucket', () => {
  it('a reply resets the level to the shared one, minus own charges not yet confirmed', () => {
    const b = new SharedBucket(60, 0.5, 0); // 60 per minute; this replica assumes half the refill: 0.5 per s
    b.take(10, 0); // unconfirmed 10
    b.take(5, 0); // unconfirmed 15
    // The first charge's reply: the shared backlog after it was 20 s (= 20 tokens spent by everyone).
    b.reply(20_000, 10, 0, 100);
    // 60 - 20 + 100 ms x 0.0005/ms - 5 still unconfirmed
    expect(b.waitMs(35.05, 100)).toBe(0);
    expect(b.waitMs(36.05, 100)).toBeCloseTo(1 / 0.0005, 6); // one token short at 0.5/s: 2000 ms
  });

  it('between replies the estimate refills at the share, not the whole limit', () => {
    const b = new SharedBucket(60, 0.25, 0);
    b.take(60, 0);
    expect(b.waitMs(1, 0)).toBeCloseTo(4000, 6); // 1 token at 0.25 / s
  });

  it('a lost charge (NaN) is no longer counted against later replies', () => {
    const b = new SharedBucket(60, 1, 0);
    b.take(10, 0);
    b.reply(Number.NaN, 10, 0, 0); // Redis never saw it
    b.reply(0, 0, 0, 0); // a refresh: the shared counter is empty
    expect(b.waitMs(60, 0)).toBe(0); // full again: the lost 10 are not subtracted a second time
  });
});
