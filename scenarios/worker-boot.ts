import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Start a worker thread whose entry is a TypeScript file. On Node 20 `--import tsx` in
 * execArgv does not reach a worker's entry module, so the worker boots from a tiny ESM
 * snippet that registers tsx's loader (tsx/esm/api `register()`) and then imports the
 * entry. Works the same under `tsx` (npm scripts) and under vitest (whose own transform
 * never reaches worker threads). Same approach as scenarios/tune/pool.ts.
 */

/** The file URL `import(name)` loads (import.meta.resolve is missing under some runners; fall back to require.resolve). */
function resolveUrl(name: string): string {
  const resolver = (import.meta as { resolve?: (s: string) => string }).resolve;
  if (typeof resolver === 'function') {
    try {
      return resolver(name);
    } catch {
      // fall through
    }
  }
  return pathToFileURL(createRequire(import.meta.url).resolve(name)).href;
}

function tsxApiUrl(): string {
  const url = resolveUrl('tsx/esm/api');
  const mjs = url.replace(/\.cjs$/, '.mjs');
  return mjs !== url && existsSync(new URL(mjs)) ? mjs : url;
}

const urls = new Map<string, string>();
const urlOf = (name: string): string => {
  let u = urls.get(name);
  if (u === undefined) urls.set(name, (u = name === 'tsx' ? tsxApiUrl() : resolveUrl(name)));
  return u;
};

/**
 * A worker running `entry` (a file URL of a .ts module). `preload` names JavaScript
 * packages to import before tsx's loader is registered: they load at native speed
 * (vega + vega-lite are a few hundred modules; through the loader hooks they cost
 * ~0.6 s more CPU), and the entry's own imports of them then hit the module cache
 * (same resolved URL). An error while booting (tsx missing, a syntax error) reaches
 * the Worker's 'error' event like any other.
 */
export function startTsWorker(entry: URL, workerData: unknown, preload: readonly string[] = []): Worker {
  const pre = preload.map((n) => `await import(${JSON.stringify(urlOf(n))});`).join(' ');
  const boot = `(async () => { ${pre} (await import(${JSON.stringify(urlOf('tsx'))})).register(); await import(${JSON.stringify(entry.href)}); })();`;
  return new Worker(boot, { eval: true, workerData });
}
