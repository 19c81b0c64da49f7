/**
 * Writes the JSON Schemas of scenario files, of the proxy's config file and of provider profiles to schemas/
 * (scenarios/spec/json-schema.ts builds them from the zod schemas):
 *   npm run schemas            write them
 *   npm run schemas -- --check exit 1 if a committed file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { schemaFiles } from '../scenarios/spec/json-schema.js';

const USAGE = 'usage: npm run schemas -- [--check]   (writes schemas/*.schema.json; --check: exit 1 if one is out of date)';
const DIR = resolve(import.meta.dirname, '..', 'schemas');

const args = scriptArgs(process.argv.slice(2), { check: { type: 'boolean' } }, USAGE);
if (typeof args === 'number') process.exit(args);
const { values } = args;
let stale = 0;
for (const [name, text] of Object.entries(schemaFiles())) {
  const file = join(DIR, name);
  let old = '';
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    // missing: written below, or stale under --check
  }
  if (old === text) continue;
  if (values.check) {
    stale++;
    process.stderr.write(`schemas/${name} is out of date: run npm run schemas\n`);
  } else {
    writeFileSync(file, text);
    process.stdout.write(`wrote schemas/${name}\n`);
  }
}
process.exit(stale ? 1 : 0);
