import { readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { writeReport } from './render.js';
import { tableText } from './table.js';
import { ResultsError, parseResults } from './validate.js';

/**
 * `npm run report -- <results.json> [--out DIR]`: re-render a saved run. Output goes next to
 * the results file unless --out says otherwise. Bad input prints one clear message (naming
 * the file and field) and exits 2 (like every other npm script); a failure while rendering
 * exits 1 — never a stack trace.
 */

const USAGE = 'usage: npm run report -- <results.json> [--out DIR]';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    return fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const [file, ...extra] = args.positionals;
  if (!file || extra.length > 0) return fail(USAGE);

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(`${file}: cannot read results file${code === 'ENOENT' ? ' (no such file)' : code ? ` (${code})` : ''}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const results = parseResults(json, file);
  const outDir = args.values.out ?? dirname(file);
  const started = performance.now();
  const written = await writeReport(results, outDir);
  console.log(tableText(results));
  const rel = relative(process.cwd(), written.html);
  console.log(`\nwrote ${rel && !rel.startsWith('..') ? rel : written.html} and ${written.svgs.length} charts (SVG + PNG) in ${Math.round(performance.now() - started)} ms`);
  return 0;
}

/** Print the message; exit 2 = bad input (the default), 1 = the rendering failed. */
function fail(message: string, code = 2): number {
  console.error(`report: ${message}`);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Validation errors already name file and field; anything else gets its message only.
    process.exitCode = e instanceof ResultsError ? fail(e.message) : fail(`failed: ${(e as Error)?.message ?? String(e)}`, 1);
  },
);
