import { Resvg } from '@resvg/resvg-js';
import { BUNDLED_FONTS } from './font-metrics.js';
import { FONT } from './specs-common.js';

/**
 * SVG -> PNG with resvg and only the bundled DejaVu Sans (reports/fonts, Bitstream Vera
 * licence): system fonts are never consulted, so a PNG looks the same on every machine.
 */
export const FONT_FILES = [BUNDLED_FONTS.regular, BUNDLED_FONTS.bold];

/** 2x zoom: crisp on high-DPI screens and in slides, still ~100-200 kB per chart. */
export const PNG_ZOOM = 2;

export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: PNG_ZOOM },
    background: 'white',
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT, sansSerifFamily: FONT },
  });
  return resvg.render().asPng();
}
