import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starting worker threads whose code is TypeScript, cheaply.
 *
 * Preferred: bundle the worker's entry once per run with esbuild (the copy tsx itself
 * runs on) into a temporary directory, split at dynamic imports so each worker loads
 * only what its jobs need, and start workers on plain JavaScript: ~0.2 s to a ready
 * worker instead of ~0.9 s, since through tsx every one of the ~100 modules costs
 * round trips to the loader-hooks thread. Packages stay external, imported by absolute
 * URL, and every `import.meta.url` keeps the value of its source file, so paths
 * derived from it (scenario and profile directories, fonts, the classifier model)
 * point where they do under tsx.
 *
 * Fallback (no esbuild, a failed build): the worker boots from a snippet that registers
 * tsx's loader and imports the .ts entry (on Node 20 `--import tsx` in execArgv does not
 * reach a worker's entry module). Both work under
 * `tsx` (npm scripts) and under vitest.
 */

export interface WorkerScript {
  /** The entry to start workers on. */
  readonly url: URL;
  /** True when `url` is a bundle (plain JavaScript); false for the .ts entry run through tsx. */
  readonly bundled: boolean;
  /** Remove the bundle's temporary directory (after every worker is gone). */
  dispose(): void;
}

/** The file URL `import(name)` loads (import.meta.resolve is missing under some runners; fall back to require.resolve). */
function resolveUrl(name: string, from: string = import.meta.url): string {
  const resolver = (import.meta as { resolve?: (s: string, parent?: string) => string }).resolve;
  if (typeof resolver === 'function' && from === import.meta.url) {
    try {
      return resolver(name);
    } catch {
      // fall through
    }
  }
  return pathToFileURL(createRequire(from).resolve(name)).href;
}

function tsxApiUrl(): string {
  const url = resolveUrl('tsx/esm/api');
  const mjs = url.replace(/\.cjs$/, '.mjs');
  return mjs !== url && existsSync(new URL(mjs)) ? mjs : url;
}

interface EsbuildPlugin {
  name: string;
  setup(build: {
    onLoad(o: { filter: RegExp }, cb: (a: { path: string }) => Promise<{ contents: string; loader: 'ts' }>): void;
    onResolve(o: { filter: RegExp }, cb: (a: ResolveArgs) => Promise<ResolveResult | undefined>): void;
    resolve(path: string, o: { kind: string; resolveDir: string; importer: string; pluginData: unknown }): Promise<{ path: string; errors: unknown[] }>;
  }): void;
}
interface ResolveArgs {
  path: string;
  kind: string;
  resolveDir: string;
  importer: string;
  pluginData: unknown;
}
type ResolveResult = { path: string; external: true } | { errors: unknown[] };
interface Esbuild {
  build(o: Record<string, unknown>): Promise<{ errors: unknown[] }>;
}

/** esbuild as tsx resolves it (a dependency of tsx, so present wherever tsx is). */
async function loadEsbuild(): Promise<Esbuild> {
  const tsxPkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return (await import(resolveUrl('esbuild', pathToFileURL(tsxPkg).href))) as Esbuild;
}

const INNER = 'llm-router-inner-resolve';

/** `import.meta.url` -> the source file's own URL; bare package imports -> external, by absolute URL. */
const sourcePlugin: EsbuildPlugin = {
  name: 'llm-router-worker',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const text = await readFile(path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href)), loader: 'ts' };
    });
    build.onResolve({ filter: /^[^./]/ }, async (a) => {
      if (a.path.startsWith('node:') || a.pluginData === INNER) return undefined;
      const r = await build.resolve(a.path, { kind: a.kind, resolveDir: a.resolveDir, importer: a.importer, pluginData: INNER });
      if (r.errors.length) return { errors: r.errors };
      // Built-ins without the node: prefix resolve to their own name, not a file.
      if (!r.path.startsWith('/')) return undefined;
      return { path: pathToFileURL(r.path).href, external: true };
    });
  },
};

/** The .ts entry itself, started through tsx. */
export function tsxScript(entry: URL): WorkerScript {
  return { url: entry, bundled: false, dispose: () => {} };
}

/** Bundle `entry` (a .ts file URL) for worker threads; on any failure, the tsx fallback (reason passed to `onFallback`). */
export async function prepareWorkerScript(entry: URL, onFallback: (why: string) => void = () => {}): Promise<WorkerScript> {
  let dir: string | undefined;
  try {
    const esbuild = await loadEsbuild();
    dir = mkdtempSync(join(tmpdir(), 'llm-router-workers-'));
    const file = fileURLToPath(entry);
    await esbuild.build({
      entryPoints: [file],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      entryNames: '[name]',
      plugins: [sourcePlugin],
      logLevel: 'silent',
    });
    const name = file.slice(file.lastIndexOf('/') + 1).replace(/\.ts$/, '.mjs');
    const out = dir;
    return { url: pathToFileURL(join(out, name)), bundled: true, dispose: () => rmSync(out, { recursive: true, force: true }) };
  } catch (e) {
    if (dir) rmSync(dir, { recursive: true, force: true });
    onFallback(e instanceof Error ? e.message.split('\n')[0]! : String(e));
    return tsxScript(entry);
  }
}

const urls = new Map<string, string>();
const urlOf = (name: string): string => {
  let u = urls.get(name);
  if (u === undefined) urls.set(name, (u = name === 'tsx' ? tsxApiUrl() : resolveUrl(name)));
  return u;
};

/**
 * A worker running `script`. Through tsx, `preload` names JavaScript packages to import
 * before tsx's loader is registered: they load at native speed (vega + vega-lite are a
 * few hundred modules; through the hooks they cost ~0.4 s more CPU) and the entry's own
 * imports of them then hit the module cache (same resolved URL). An error while booting
 * reaches the Worker's 'error' event like any other.
 */
export function startWorker(script: WorkerScript, workerData: unknown, preload: readonly string[] = []): Worker {
  if (script.bundled) return new Worker(script.url, { workerData });
  const pre = preload.map((n) => `await import(${JSON.stringify(urlOf(n))});`).join(' ');
  const boot = `(async () => { ${pre} (await import(${JSON.stringify(urlOf('tsx'))})).register(); await import(${JSON.stringify(script.url.href)}); })();`;
  return new Worker(boot, { eval: true, workerData });
}
