import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';

/**
 * The browser builds of vega, vega-lite and vega-embed, read from node_modules so the report
 * can inline them (no CDN: the HTML must open offline). Their package "exports" hide the
 * build/ files, so we resolve the main entry and walk up to the package directory.
 * All three are BSD-3-Clause; their licence banner travels with the inlined code.
 */
const require = createRequire(import.meta.url);

export const LIBS = [
  { name: 'vega', file: 'build/vega.min.js' },
  { name: 'vega-lite', file: 'build/vega-lite.min.js' },
  { name: 'vega-embed', file: 'build/vega-embed.min.js' },
] as const;

export interface InlineLib {
  name: string;
  version: string;
  code: string;
}

function packageDir(name: string): string {
  const main = require.resolve(name);
  const marker = `${sep}node_modules${sep}${name}${sep}`;
  const at = main.lastIndexOf(marker);
  if (at < 0) throw new Error(`cannot locate the ${name} package directory from ${main}`);
  return main.slice(0, at + marker.length - 1);
}

let cache: Promise<InlineLib[]> | undefined;

/** Loaded once per process (~830 kB); every report reuses the same strings. */
export function loadLibs(): Promise<InlineLib[]> {
  cache ??= Promise.all(
    LIBS.map(async ({ name, file }) => {
      const dir = packageDir(name);
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string };
      return { name, version: pkg.version, code: await readFile(join(dir, file), 'utf8') };
    }),
  );
  return cache;
}

/** Guard against a dependency ever shipping "</script" (it would end our inline <script> early). */
export function scriptSafe(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

