import type { Random } from '../../router/core/random.js';
import type { ParamDef, ParamValue } from './space.js';

/**
 * Random search: each candidate draws every searched parameter independently from its
 * range, from one seeded stream, in a fixed order, so the same --seed gives the same
 * candidates whatever the worker count. Random search beats a grid when only a few
 * parameters matter (Bergstra & Bengio 2012): every sample tries a new value of each.
 *   log:    v = exp(ln min + u · (ln max - ln min))       (scale parameters)
 *   linear: v = min + u · (max - min)
 *   int:    round(log draw)                                (counts)
 *   bool:   u < 0.5
 * Values are rounded to 3 significant digits so configs read well and YAML stays short.
 */

export function round3(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  return Number(v.toPrecision(3));
}

export function sampleParam(p: ParamDef, random: Random): ParamValue {
  const u = random.next();
  switch (p.kind) {
    case 'bool':
      return u < 0.5;
    case 'linear':
      return round3(p.min + u * (p.max - p.min));
    case 'int': {
      const lo = Math.log(Math.max(p.min, 0.5));
      const hi = Math.log(p.max + 0.5);
      return Math.min(p.max, Math.max(p.min, Math.round(Math.exp(lo + u * (hi - lo)))));
    }
    case 'log':
      return round3(Math.exp(Math.log(p.min) + u * (Math.log(p.max) - Math.log(p.min))));
  }
}

/** One candidate: a value for each searched parameter (in `params` order). */
export function sampleValues(params: readonly ParamDef[], random: Random): Array<[ParamDef, ParamValue]> {
  return params.map((p) => [p, sampleParam(p, random)]);
}
