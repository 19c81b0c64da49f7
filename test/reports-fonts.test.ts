import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUNDLED_FONTS, loadFontMetrics } from '../reports/font-metrics.js';

describe('bundled font and its metrics', () => {
  it('ships DejaVu Sans regular and bold with the licence text', () => {
    for (const f of Object.values(BUNDLED_FONTS)) {
      expect(existsSync(f), f).toBe(true);
      expect(readFileSync(f).readUInt32BE(0), f).toBe(0x00010000); // TrueType sfnt version
    }
    expect(readFileSync(new URL('../reports/fonts/LICENSE-DejaVu.txt', import.meta.url), 'utf8')).toMatch(/Bitstream Vera/);
  });

  it('reads the real advance widths (DejaVu Sans: 2048 units per em)', () => {
    const m = loadFontMetrics(BUNDLED_FONTS.regular);
    expect(m.widthEm(' ')).toBeCloseTo(651 / 2048, 6);
    expect(m.widthEm('a')).toBeCloseTo(1255 / 2048, 6);
    expect(m.widthEm('0123456789')).toBeCloseTo((10 * 1303) / 2048, 6); // tabular digits
    expect(m.widthEm('')).toBe(0);
    expect(m.widthEm('\u{1F600}')).toBeCloseTo(1229 / 2048, 6); // not in the font: .notdef width
    const b = loadFontMetrics(BUNDLED_FONTS.bold);
    expect(b.widthEm('latency')).toBeGreaterThan(m.widthEm('latency'));
  });
});
