/**
 * The README's fault-semantics table, rendered from simulator/fault-kinds.ts (the one table
 * the profile schema, the pure model, the wire plan, the servers and the virtual-time
 * transport read).
 *
 *   npx tsx scripts/fault-table.ts           print the table
 *   npx tsx scripts/fault-table.ts --write   replace it in README.md (between its markers)
 *
 * test/fault-kinds.test.ts fails when README.md is not current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { faultSemanticsTable } from '../simulator/fault-kinds.js';
import { README_BEGIN, README_END, withFaultTable } from './fault-table-readme.js';

const HELP = `usage: npx tsx scripts/fault-table.ts [--write]
Prints the fault-semantics table; --write puts it into README.md between
${README_BEGIN} and ${README_END}.`;

const args = scriptArgs(process.argv.slice(2), { write: { type: 'boolean' } }, HELP);
if (typeof args === 'number') process.exit(args);
const { values } = args;
if (values.write) {
  const file = join(import.meta.dirname, '..', 'README.md');
  writeFileSync(file, withFaultTable(readFileSync(file, 'utf8')));
  process.stdout.write(`README.md: fault-semantics table written\n`);
} else process.stdout.write(`${faultSemanticsTable()}\n`);
