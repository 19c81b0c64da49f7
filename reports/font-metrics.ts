import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Text widths from the bundled TTF itself. Headless vega (no node-canvas) guesses every
 * character as 0.8 em wide, ~35% too wide for DejaVu Sans, which pushes legends and rotated
 * axis titles around. Reading the font's own advance widths (cmap format 4 + hmtx) makes the
 * layout match what resvg then draws with the same file. Kerning is ignored (< 1% here).
 */

/** The bundled DejaVu Sans files (reports/fonts, Bitstream Vera licence): regular and bold. */
export const BUNDLED_FONTS = {
  regular: fileURLToPath(new URL('./fonts/DejaVuSans.ttf', import.meta.url)),
  bold: fileURLToPath(new URL('./fonts/DejaVuSans-Bold.ttf', import.meta.url)),
};

export interface FontMetrics {
  /** Advance width of `text` in em (multiply by the font size in px). */
  widthEm(text: string): number;
}

interface Tables {
  [tag: string]: number; // offset of each table
}

export function loadFontMetrics(file: string): FontMetrics {
  const buf = readFileSync(file);
  const u16 = (o: number): number => buf.readUInt16BE(o);
  const numTables = u16(4);
  const tables: Tables = {};
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    tables[buf.toString('latin1', rec, rec + 4)] = buf.readUInt32BE(rec + 8);
  }
  const need = (tag: string): number => {
    const at = tables[tag];
    if (at === undefined) throw new Error(`${file}: font has no "${tag}" table`);
    return at;
  };
  const unitsPerEm = u16(need('head') + 18);
  const numHMetrics = u16(need('hhea') + 34);
  const hmtx = need('hmtx');
  const advance = (glyph: number): number => u16(hmtx + 4 * Math.min(glyph, numHMetrics - 1));
  const glyphOf = cmap4(buf, need('cmap'), file);
  const notdef = advance(0) / unitsPerEm;
  const cache = new Map<number, number>();
  const charEm = (code: number): number => {
    let w = cache.get(code);
    if (w === undefined) {
      const g = code <= 0xffff ? glyphOf(code) : 0;
      w = g === 0 ? notdef : advance(g) / unitsPerEm;
      cache.set(code, w);
    }
    return w;
  };
  return {
    widthEm(text: string): number {
      let em = 0;
      for (const ch of text) em += charEm(ch.codePointAt(0)!);
      return em;
    },
  };
}

/** The Unicode BMP cmap (platform 3/1 or 0/3, format 4): segments of code ranges -> glyph ids. */
function cmap4(buf: Buffer, cmap: number, file: string): (code: number) => number {
  const u16 = (o: number): number => buf.readUInt16BE(o);
  let sub = -1;
  for (let i = 0; i < u16(cmap + 2); i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = u16(rec);
    const encoding = u16(rec + 2);
    const at = cmap + buf.readUInt32BE(rec + 4);
    if (((platform === 3 && encoding === 1) || (platform === 0 && encoding === 3)) && u16(at) === 4) sub = at;
  }
  if (sub < 0) throw new Error(`${file}: font has no Unicode format-4 cmap`);
  const segs = u16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segs + 2;
  const deltas = starts + 2 * segs;
  const rangeOffsets = deltas + 2 * segs;
  return (code) => {
    for (let i = 0; i < segs; i++) {
      if (u16(ends + 2 * i) < code) continue;
      const start = u16(starts + 2 * i);
      if (start > code) return 0;
      const delta = u16(deltas + 2 * i);
      const ro = u16(rangeOffsets + 2 * i);
      if (ro === 0) return (code + delta) & 0xffff;
      // glyph = glyphIdArray entry found relative to this idRangeOffset slot (spec formula).
      const g = u16(rangeOffsets + 2 * i + ro + 2 * (code - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
}
