/**
 * `npm run bench [-- --only sim|proxy|access-log] [--quick]`: every benchmark, each in its own
 * process so one cannot warm up or pollute the other. Each case prints its figures as
 * ratios against a baseline measured in the same run (see bench/sim.ts, bench/proxy.ts).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CASES: Record<string, string> = { sim: 'sim.ts', proxy: 'proxy.ts', 'access-log': 'access-log.ts', store: 'store.ts' };

const USAGE = `usage: npm run bench -- [--only sim|proxy|access-log|store] [--quick] [--requests N] [--rss-requests N] [--semi-space MB]
                  [--quantum MS] [--cpu-prof DIR] [--parts LIST] [--connections N] [--streams N] [--runtime tsx|compiled]
  every benchmark in its own process; figures are ratios against a baseline measured in the same run`;
/** Flags the cases read (bench/sim.ts, bench/proxy.ts): with a value, or alone. */
const VALUE_FLAGS = new Set(['--only', '--requests', '--rss-requests', '--semi-space', '--quantum', '--cpu-prof', '--parts', '--connections', '--streams', '--runtime']);
const BARE_FLAGS = new Set(['--quick']);

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (VALUE_FLAGS.has(a) && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) i++;
  else if (!BARE_FLAGS.has(a)) {
    console.error(`bench: ${VALUE_FLAGS.has(a) ? `${a} needs a value` : `unknown argument "${a}"`}\n${USAGE}`);
    process.exit(2);
  }
}
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
if (only !== undefined && !(only in CASES)) {
  console.error(`unknown bench "${only}"; valid: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}
const pass = argv.filter((a, i) => a !== '--only' && (onlyAt < 0 || i !== onlyAt + 1));

let failed = 0;
for (const [name, file] of Object.entries(CASES)) {
  if (only !== undefined && only !== name) continue;
  console.log(`\n=== bench: ${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, file), ...pass], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${name} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed ? 1 : 0);
