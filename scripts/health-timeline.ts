/**
 * One endpoint's health, replica by replica, from a LLM_ROUTER_HEALTH_TRACE file
 * (router/http/health-trace.ts): when each replica ejected it, when the ejection ended, which
 * replica probed and how that went, when each came back. Both worlds on one time axis
 * (scenario seconds): sim lines carry engine ms; http lines carry the proxy's monotonic ms
 * and the wall time, which the runner's `http-epoch` line (scenario t=0, speed) converts.
 * One block per run: the plain sim run, each order-spread rerun (`j=<jitter seed>`), each http run.
 *
 *   LLM_ROUTER_HEALTH_TRACE=/tmp/t.jsonl npm run scenario replicas-outage -- --mode both --speed 2 --strategies cost@shared
 *   npx tsx scripts/health-timeline.ts /tmp/t.jsonl --strategy cost@shared [--endpoint mid] [--from 15] [--to 60] [--summary]
 */
import { readFileSync } from 'node:fs';
import { scriptArgs } from '../scenarios/cli/strict-args.js';

const HELP =
  'usage: npx tsx scripts/health-timeline.ts <trace.jsonl> --strategy S [--endpoint ID (mid)] [--from S (15)] [--to S (60)] [--summary]\n' +
  '  --summary  one line per run: failures in [from, to), ejections, probes, first recovery';
const args = scriptArgs(process.argv.slice(2), { strategy: { type: 'string' }, endpoint: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, summary: { type: 'boolean' } }, HELP);
if (typeof args === 'number') process.exit(args);
const fail = (m: string): never => {
  process.stderr.write(`${m}\n${HELP}\n`);
  process.exit(2);
};
const file = args.positionals[0] ?? fail('a trace file is required');
if (args.positionals.length > 1) fail(`one trace file expected, got ${args.positionals.length}`);
const strategy = args.values.strategy ?? fail('--strategy is required');
const endpoint = args.values.endpoint ?? 'mid';
const num = (flag: string, v: string | undefined, d: number): number => {
  const n = v === undefined ? d : Number(v);
  return Number.isFinite(n) ? n : fail(`--${flag}: expected a number of seconds, got "${v}"`);
};
const from = num('from', args.values.from, 15);
const to = num('to', args.values.to, 60);

interface Line {
  src: 'sim' | 'http' | 'http-epoch';
  label?: string;
  jitter?: string | number;
  replica?: number;
  pid?: number;
  wallMs: number;
  epochMs?: number;
  speed?: number;
  type: string;
  at: number;
  endpointId?: string;
  from?: string;
  to?: string;
  reason?: string;
  ok?: boolean;
  status?: number;
}
interface Ev extends Line {
  t: number; // scenario s
  rep: number;
}

let text = '';
try {
  text = readFileSync(file, 'utf8');
} catch (e) {
  fail(`cannot read ${file}: ${(e as Error).message}`);
}
const lines: Line[] = [];
text.split('\n').forEach((l, i) => {
  if (l.trim() === '') return;
  try {
    lines.push(JSON.parse(l) as Line);
  } catch {
    fail(`${file}:${i + 1}: not a JSON line`);
  }
});

// Runs: sim lines by jitter seed; http lines belong to the last http-epoch line of this strategy before them.
const runs = new Map<string, Ev[]>();
let http: { key: string; epochMs: number; speed: number } | null = null;
let httpRuns = 0;
const raw = new Map<string, Line[]>();
for (const l of lines) {
  if (l.src === 'http-epoch') {
    http = l.label === strategy ? { key: `http #${++httpRuns}`, epochMs: l.epochMs!, speed: l.speed! } : null;
    if (http) raw.set(http.key, []);
    continue;
  }
  if (l.src === 'sim') {
    if (l.label !== strategy) continue;
    const key = `sim ${l.jitter === undefined ? 'plain' : `j=${l.jitter}`}`;
    if (!runs.has(key)) runs.set(key, []);
    runs.get(key)!.push({ ...l, t: l.at / 1000, rep: l.replica! });
  } else if (l.src === 'http' && http !== null && l.wallMs >= http.epochMs - 1000) {
    raw.get(http.key)!.push({ ...l, epochMs: http.epochMs, speed: http.speed });
  }
}
// http: a health event is noticed lazily; its `at` (the proxy's monotonic clock) is when it
// happened. Each process's wall - monotonic offset comes from its attempt lines (emitted at once).
for (const [key, ls] of raw) {
  const offset = new Map<number, number>();
  for (const l of ls) if (l.type !== 'health') offset.set(l.pid!, Math.min(offset.get(l.pid!) ?? Infinity, l.wallMs - l.at));
  const reps = new Map<number, number>();
  runs.set(
    key,
    ls.map((l) => {
      if (!reps.has(l.pid!)) reps.set(l.pid!, reps.size);
      const wall = offset.has(l.pid!) ? l.at + offset.get(l.pid!)! : l.wallMs;
      return { ...l, t: ((wall - l.epochMs!) * l.speed!) / 1000, rep: reps.get(l.pid!)! };
    }),
  );
}
if (runs.size === 0) fail(`no lines for strategy ${strategy} in ${file}`);

const f = (t: number): string => t.toFixed(3).padStart(8);
for (const [key, evs] of runs) {
  evs.sort((a, b) => a.t - b.t);
  const mine = evs.filter((e) => e.endpointId === endpoint);
  const failures = mine.filter((e) => e.type === 'attempt-end' && !e.ok && e.reason !== 'probe' && e.t >= from && e.t < to);
  const ejections = mine.filter((e) => e.type === 'health' && e.to === 'ejected' && e.t >= from && e.t < to);
  const probes = mine.filter((e) => e.type === 'attempt-end' && e.reason === 'probe' && e.t >= from && e.t < to);
  const back = mine.find((e) => e.type === 'health' && e.to === 'healthy' && e.from !== 'cooldown' && e.t >= from && e.t < to);
  const byStatus = new Map<string, number>();
  for (const e of failures) byStatus.set(String(e.status ?? 'no status'), (byStatus.get(String(e.status ?? 'no status')) ?? 0) + 1);
  const split = [...byStatus].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ');
  process.stdout.write(
    `${key}: ${failures.length} failures in [${from}, ${to}) s${split ? ` (${split})` : ''}; ejections ${ejections.map((e) => `${e.t.toFixed(1)}r${e.rep}`).join(' ') || '-'}; ` +
      `probes ${probes.map((e) => `${e.t.toFixed(1)}r${e.rep}${e.ok ? '+' : '-'}`).join(' ') || '-'}; first recovery ${back ? back.t.toFixed(2) : '-'}\n`,
  );
  if (args.values.summary) continue;
  for (const e of mine) {
    if (e.t < from || e.t >= to) continue;
    let what: string;
    if (e.type === 'health') {
      if (e.from === 'cooldown' && e.to === 'healthy') continue; // a cooldown's end: implied by its start (+ its length)
      what = `${e.from} -> ${e.to}`;
    } else if (e.type === 'attempt-start') what = 'probe sent';
    else what = e.reason === 'probe' ? `probe ${e.ok ? 'ok' : `failed (${e.status ?? '-'})`}` : `${e.reason} attempt failed (${e.status ?? '-'})`;
    process.stdout.write(`  ${f(e.t)} s  r${e.rep} ${'  '.repeat(e.rep)}${what}\n`);
  }
}
