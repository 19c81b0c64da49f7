/**
 * `npm run bench [-- --only sim|proxy|access-log] [--quick]`: every benchmark, each in its own
 * process so one cannot warm up or pollute the other. Each case prints its figures as
 * ratios against a baseline measured in the same run (see bench/sim.ts, bench/proxy.ts).
 *
 * The proxy and sim cases also hand back their results, which go to one JSON file
 * (`--json FILE`, default bench.json): every target with its value, floor and verdict, the
 * load average and the commit. `--compare OLD.json` prints each target next to the same
 * target of an earlier file. `--baseline DIR` (another checkout, e.g. a worktree of main)
 * runs that checkout beside this one in the same interleaved rounds.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BARE_FLAGS, VALUE_FLAGS } from './flags.js';
import type { TargetCheck as Check } from './proxy.js';

const here = dirname(fileURLToPath(import.meta.url));
const CASES: Record<string, string> = { sim: 'sim.ts', proxy: 'proxy.ts', 'access-log': 'access-log.ts', store: 'store.ts' };

const USAGE = `usage: npm run bench -- [--only sim|proxy|access-log|store] [--quick] [--stream-body] [--proxy-rounds N] [--store-rounds N] [--requests N] [--rss-requests N] [--semi-space MB]
                  [--quantum MS] [--cpu-prof DIR] [--parts LIST] [--connections N] [--streams N] [--runtime tsx|compiled]
                  [--loadgen wrk|autocannon] [--baseline DIR] [--cost-rounds N] [--json FILE] [--compare FILE]
  every benchmark in its own process; figures are ratios against a baseline measured in the same run
  --json FILE      where the targets and figures go (default bench.json)
  --compare FILE   print each target beside the same target in an earlier bench.json
  --baseline DIR   another checkout of this repository, run in the same interleaved rounds (proxy, sim)
  --stream-body    proxy: the closed- and open-loop rounds send stream: true requests (the SSE path) instead of JSON
  --proxy-rounds N proxy: N interleaved closed-loop rounds of 2 s each (default 5)
  --semi-space MB  sim: the RSS child runs a second time with V8's --max-semi-space-size=MB;
                   proxy: the proxy and every floor run with it (the README's production setting is 4)
  --store-rounds N store: N alternating rounds, redis store vs in-memory (default 10; 4 with --quick, too few
                   for the median's interval, which needs 6)`;
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
for (const flag of ['--proxy-rounds', '--store-rounds']) {
  const at = argv.indexOf(flag);
  if (at >= 0 && !(Number.isInteger(Number(argv[at + 1])) && Number(argv[at + 1]) >= 1)) {
    console.error(`bench: ${flag}: expected a positive integer, got "${argv[at + 1]}"\n${USAGE}`);
    process.exit(2);
  }
}
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
if (only !== undefined && !(only in CASES)) {
  console.error(`unknown bench "${only}"; valid: ${Object.keys(CASES).join(', ')}`);
  process.exit(2);
}
/** The value after `flag`, and argv without both. */
function take(args: string[], flag: string): [string | undefined, string[]] {
  const at = args.indexOf(flag);
  return at < 0 ? [undefined, args] : [args[at + 1], args.filter((_, i) => i !== at && i !== at + 1)];
}
let pass = take(argv, '--only')[1];
let jsonFile: string | undefined;
let compareFile: string | undefined;
[jsonFile, pass] = take(pass, '--json');
[compareFile, pass] = take(pass, '--compare');
const old = compareFile === undefined ? undefined : readBenchJson(compareFile);

interface BenchJson {
  createdAt: string;
  commit: string;
  loadAvg: number[];
  checks: Check[];
  cases: Record<string, unknown>;
}

function readBenchJson(file: string): BenchJson {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as BenchJson;
    if (!Array.isArray(j.checks)) throw new Error('no "checks" list');
    return j;
  } catch (e) {
    console.error(`bench: cannot read --compare ${file}: ${(e as Error).message}`);
    process.exit(2);
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'bench-json-'));
const out: BenchJson = { createdAt: new Date().toISOString(), commit: gitHead(), loadAvg: loadavg(), checks: [], cases: {} };
let failed = 0;
for (const [name, file] of Object.entries(CASES)) {
  if (only !== undefined && only !== name) continue;
  console.log(`\n=== bench: ${name} ===`);
  const json = join(tmp, `${name}.json`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, file), ...pass, '--json-out', json], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench ${name} exited with ${r.status ?? r.signal}`);
  }
  if (existsSync(json)) {
    const res = JSON.parse(readFileSync(json, 'utf8')) as { checks?: Check[] };
    out.cases[name] = res;
    for (const c of res.checks ?? []) out.checks.push(c);
  }
}
rmSync(tmp, { recursive: true, force: true });
out.loadAvg = loadavg();
const target = jsonFile ?? 'bench.json';
writeFileSync(target, JSON.stringify(out, null, 2) + '\n');
console.log(`\nwrote ${target} (${out.checks.length} targets; load average ${out.loadAvg.map((x) => x.toFixed(1)).join(' ')})`);
if (old !== undefined) console.log(compareChecks(old, out).join('\n'));
process.exit(failed ? 1 : 0);

function gitHead(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Each target of `now` beside the same-named target of `before`: value, change, verdicts. */
function compareChecks(before: BenchJson, now: BenchJson): string[] {
  const f = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3));
  const verdict = (c: Check): string => (c.met ? 'met' : 'NOT met');
  const lines = [`compared with ${before.commit} (${before.createdAt}, load average ${before.loadAvg.map((x) => x.toFixed(1)).join(' ')}):`];
  const byName = new Map(before.checks.map((c) => [c.name, c]));
  for (const c of now.checks) {
    const b = byName.get(c.name);
    lines.push(
      b === undefined
        ? `  ${c.name}: ${f(c.value)} ${c.unit} (${verdict(c)}); not in the earlier file`
        : `  ${c.name}: ${f(b.value)} -> ${f(c.value)} ${c.unit} (${f(c.value / b.value)}x; ${verdict(b)} -> ${verdict(c)})`,
    );
  }
  return lines;
}
