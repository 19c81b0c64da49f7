import { describe, expect, it } from 'vitest';
import { floorLoop } from '../bench/sim.js';

/** The simulator bench's floor case (bench/sim.ts): it must do the work it claims, reproducibly. */
describe('bench floor loop', () => {
  it('completes every request, two events each, with the same checksum for the same seed', () => {
    const a = floorLoop(3000);
    const b = floorLoop(3000);
    expect(a.requests).toBe(3000);
    expect(a.events).toBe(6000);
    expect(a.checksum).toBe(b.checksum);
    expect(Number.isFinite(a.checksum) && a.checksum > 0).toBe(true);
    expect(floorLoop(2000).checksum).not.toBe(a.checksum);
  });
});
