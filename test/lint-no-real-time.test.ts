import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The router must be replayable: time comes only from the injected Clock and randomness
 * only from the injected Random. This test greps router/ for the ways real time and
 * unseeded randomness sneak in, outside the two files that define the defaults.
 */
const ROOT = join(import.meta.dirname, '..', 'router');
const ALLOWED = new Set(['core/clock.ts', 'core/random.ts']);
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bMath\.random\s*\(/, 'Math.random('],
  [/\bDate\.now\s*\(/, 'Date.now('],
  [/\bnew\s+Date\s*\(/, 'new Date('],
  [/\bperformance\.now\s*\(/, 'performance.now('],
];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Drop comments so a formula or an explanation in a comment does not trip the check. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('lint: no real time or unseeded randomness in router/', () => {
  it('finds the router sources', () => {
    expect(tsFiles(ROOT).length).toBeGreaterThan(10);
  });

  it('Math.random / Date.now / new Date( / performance.now appear only in core/clock.ts and core/random.ts', () => {
    const offenders: string[] = [];
    for (const file of tsFiles(ROOT)) {
      const rel = relative(ROOT, file).split('\\').join('/');
      if (ALLOWED.has(rel)) continue;
      const lines = stripComments(readFileSync(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        for (const [re, what] of FORBIDDEN) if (re.test(line)) offenders.push(`router/${rel}:${i + 1}: ${what}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('the check itself catches an offender', () => {
    const sample = 'const t = Date.now();\n// Date.now() in a comment is fine\nconst r = Math.random();';
    const hits = stripComments(sample)
      .split('\n')
      .filter((l) => FORBIDDEN.some(([re]) => re.test(l)));
    expect(hits).toHaveLength(2);
  });
});
