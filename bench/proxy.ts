import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { loadavg } from 'node:os';
import { REPO_ROOT } from '../scenarios/setup/load.js';
import { installSignalHandlers, spawnNode, spawnTs, stopAll, type Child } from '../scenarios/modes/procs.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { caseOptions } from './flags.js';

/**
 * Proxy overhead benchmark: the same load straight at a mock provider ("direct") and
 * through the proxy (round-robin over 2 mock providers), all on loopback, in one run.
 *
 *  (a) max throughput, closed loop (wrk, 2 threads, C connections, D seconds each; autocannon
 *      with 2 workers when wrk cannot be had); the headline is the proxy's CPU time (user +
 *      system, from /proc) per request: the steadiest figure on a shared machine;
 *      Its floor: bench/floor-proxy.mjs (node:http + undici forwarding, nothing else) in the
 *      same rounds: what this stack costs per request before any of the proxy's own work;
 *  (b) latency at a fixed open-loop rate (400 req/s): request i is due at
 *      t_i = t0 + i / rate and its latency is end - t_i (from the intended send
 *      time, so a stall is charged to every request queued behind it: no
 *      coordinated omission); added p50/p99 = proxy - direct, per round, median of rounds;
 *      the floor proxy, a further side of the same interleaved rounds, gives what any proxy
 *      on this stack adds;
 *  (c) the proxy's peak RSS (VmHWM, reset just before) while it carries N concurrent streams,
 *      and, for scale, the peak of a bare node:http SSE server holding the same streams
 *      (bench/floor-sse-server.mjs: no upstream, no router); then, like for like, a proxy
 *      started for (c) only against a bare forwarding proxy on the same stack
 *      (bench/floor-stream-proxy.mjs: node:http + h2c sessions, forwarding only); and the
 *      RSS of each of those three 0.5 s after it starts, before any stream (the idle gap;
 *      bench/idle-deps.ts splits it by package).
 *
 * Process layout (the load generator must not share a CPU budget with what it
 * measures): this process = load generator; child 1 = mock providers (4 servers:
 * 2 instant JSON over HTTP/1.1, 2 slow streaming over HTTP/2 (h2c), as one would
 * configure upstreams that carry many long streams); child 2 = the real proxy CLI
 * (`router/http/cli.ts`). Pass `cpuProf` to run the proxy under `node --cpu-prof`.
 *
 * Run: `npx tsx bench/proxy.ts [--quick] [--stream-body] [--proxy-rounds N] [--parts abc] [--streams N] [--connections N]
 *      [--runtime compiled|tsx] [--cpu-prof DIR] [--loadgen wrk|autocannon] [--baseline DIR]
 *      [--json-out FILE]`, or call runProxyBench(opts). `--baseline DIR`: another checkout
 *      (e.g. `git worktree add /tmp/main main`) whose proxy joins every interleaved round.
 * Diagnostics (env): BENCH_PROXY_NODE_ARGS="--optimize-for-size ..." adds node flags to the
 * proxy (e.g. memory tuning), BENCH_PROXY_ENV="K=V ..." adds env vars, BENCH_DEBUG_MEM=1
 * prints the proxy's memory every 100 ms through (c), BENCH_PROXY_ECHO=1 echoes the proxy's output
 * (e.g. with --trace-gc).
 *
 * Reading the numbers: the machine is shared by the three processes (2 cores), so the
 * direct figure moves with the mock's own cost; the proxy's CPU per request (printed) is
 * the steadier measure of its overhead.
 */

/** RSS (MB) of the fresh proxy (with its heap), the SSE floor and the forwarding floor at one moment of (c). */
export interface RestingRss { proxyMb: number; proxyHeapUsedMb: number; proxyHeapTotalMb: number; floorMb: number; forwardFloorMb: number }

export interface ProxyBenchOptions {
  /** Closed-loop seconds per side (default 10). */
  durationS?: number;
  /** Closed-loop connections (default 64). */
  connections?: number;
  /** Open-loop rate, req/s (default 400) and seconds per side (default 10, after 2 s warm-up). */
  rate?: number;
  openLoopS?: number;
  /** Interleaved direct/proxy rounds splitting (a) and (b) (default 5); ratios are per-round medians. */
  rounds?: number;
  /** Concurrent streaming requests for the RSS check (default 2000). */
  streams?: number;
  /** (a) and (b) send streaming requests (instant SSE upstream) instead of JSON ones. */
  streamBody?: boolean;
  /** Directory for the proxy's .cpuprofile (node --cpu-prof); off when absent. */
  cpuProf?: string;
  /**
   * How the proxy runs: 'compiled' (default) = the CLI compiled by tsc to plain JS, as
   * deployed; 'tsx' = `node --import tsx` (adds ~35 MB RSS for the loader thread and
   * transpile caches, nothing to CPU once warm).
   */
  runtime?: 'compiled' | 'tsx';
  /** Which parts to run: any of 'a', 'b', 'c' (default all). */
  parts?: string;
  /**
   * V8's --max-semi-space-size (MB) for every node process measured: the proxies and the floors
   * alike, so each ratio stays like for like (0 or absent: Node's default, 16 MB on 64-bit).
   * The README's production setting is 4 (NODE_OPTIONS), which caps the young generation a
   * burst of allocation grows and keeps: the idle gap of (c) is mostly that.
   */
  semiSpaceMb?: number;
  /** Closed-loop load generator for (a): 'wrk' (default; see ensureWrk) or 'autocannon'. */
  loadgen?: LoadGen;
  /**
   * Another checkout of this repository (e.g. a worktree of main): its proxy runs beside
   * this one, on the same mocks and config, as a third side of every interleaved round,
   * so before/after figures come from one run on one machine state.
   */
  baselineRoot?: string;
  log?: (line: string) => void;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Each part is null when it was not run (see `parts`). */
export interface ProxyBenchResult {
  throughput: {
    directRps: number;
    proxyRps: number;
    ratio: number;
    directErrors: number;
    proxyErrors: number;
    /** Proxy process CPU time per request (user + system), µs: median over the rounds (the headline). */
    proxyCpuUsPerRequest: number;
    /** The floor proxy's (bench/floor-proxy.mjs: node:http + undici, forwarding only) CPU µs per request and req/s, medians of the same rounds. */
    floorCpuUsPerRequest: number;
    floorRps: number;
    /** The mock provider's CPU µs per request in the direct rounds (median): a node:http server answering JSON. */
    mockCpuUsPerRequest: number;
    /** The kernel's share (system time ÷ user + system) of the proxy's CPU, median of rounds: what no JS change can remove. */
    proxySysShare: number;
    /** Per round, for the record: [direct req/s, proxy req/s, proxy CPU µs/request]. */
    rounds: Array<[number, number, number]>;
    loadgen: LoadGen;
    /** With baselineRoot: the other checkout's proxy, same rounds; ratios are this proxy ÷ that one (medians of per-round ratios). */
    baseline?: { proxyRps: number; ratio: number; proxyCpuUsPerRequest: number; cpuRatio: number; rounds: Array<[number, number]> };
  } | null;
  /** addedP99Ms is the median over the interleaved rounds of (proxy p99 - direct p99) of that round. */
  latency: {
    rate: number;
    direct: Percentiles;
    proxy: Percentiles;
    addedP50Ms: number;
    addedP99Ms: number;
    roundsAddedP99Ms: number[];
    errors: number;
    /** The bare forwarding proxy (bench/floor-proxy.mjs) in the same rounds: the least a proxy on this stack adds. */
    floor?: { all: Percentiles; addedP99Ms: number; roundsAddedP99Ms: number[]; proxyAboveP99Ms: number };
    baseline?: { addedP99Ms: number; roundsAddedP99Ms: number[] };
  } | null;
  /** floorMb: peak RSS of a bare node:http SSE server (bench/floor-sse-server.mjs) holding the same streams. */
  rss: {
    streams: number; ok: number; errors: number; baselineMb: number; peakMb: number; floorMb: number; baselineProxyPeakMb?: number;
    /** A proxy of this checkout started for (c) only (no load before it), and its errors. */
    freshPeakMb?: number; freshErrors?: number;
    /** Peak RSS of bench/floor-stream-proxy.mjs (node:http + h2c forwarding, nothing else) holding the same streams. */
    forwardFloorMb?: number;
    /**
     * RSS (MB) of each process of (c) 0.5 s after it listens, before any stream: the fresh
     * proxy (with its heap, from /health), the SSE floor and the forwarding floor. The gap at
     * peak is mostly this idle gap: what the proxy loads at start (see bench/idle-deps.ts).
     */
    idle?: RestingRss;
    /** The same readings 1 s after each process's streams ended (their clients' sockets closed). */
    afterStreams?: RestingRss;
  } | null;
  targets: { throughputRatio?: boolean; addedP99?: boolean; rss?: boolean; cpu?: boolean };
  /** The same verdicts as a list: value, target, the floor measured in this run and value ÷ floor. */
  checks: TargetCheck[];
  loadAvg: number[];
  /** V8 --max-semi-space-size of every measured node process (MB); 0 or absent = Node's default. */
  semiSpaceMb?: number;
}

/** One target's verdict: `value` against `target` (`op`), with the floor it is read against (same run). */
export interface TargetCheck {
  name: string;
  unit: string;
  value: number;
  op: '<=' | '>=';
  target: number;
  floor: number | null;
  floorName: string | null;
  met: boolean;
}

export const TARGETS = { throughputRatio: 0.3, addedP99Ms: 1, rssFloorRatio: 1.25, cpuUsPerRequest: 60 } as const;

export type LoadGen = 'wrk' | 'autocannon';

const SELF = 'bench/proxy.ts';
const BODY = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 16 });
const STREAM_BODY = JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'Count slowly.' }], stream: true });
/** --stream-body: (a) and (b) send this instead of BODY, so they measure the stream path (SSE pass-through, push). */
const FAST_STREAM_BODY = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 16, stream: true });

// ---------------------------------------------------------------- mock upstream role

/** A provider that answers at once (TTFT ~0, effectively infinite decode speed, no faults). */
function instantProfile(id: string, model: string): Record<string, unknown> {
  return {
    id,
    model,
    provider: id,
    ttft: { medianMs: 0.001, sigma: 0 },
    throughput: { tokensPerSecond: 1e9, jitter: 0 },
    answerTokens: { median: 16, sigma: 0 },
    capacity: { maxConcurrent: 1_000_000, queue: 0 },
    failures: { baseErrorRate: 0, kinds: {} },
    price: { input: 0.1, output: 0.4 },
    quality: { coding: 1, math: 1, reasoning: 1, writing: 1, general: 1 },
  };
}

/** A provider whose streams last ~3 s (60 tokens at 20 tok/s) so N of them overlap. */
function slowStreamProfile(id: string, model: string): Record<string, unknown> {
  return { ...instantProfile(id, model), throughput: { tokensPerSecond: 20, jitter: 0 }, answerTokens: { median: 60, sigma: 0 } };
}

async function runUpstream(): Promise<void> {
  const { startProviderServer } = await import('../simulator/server.js');
  const { parseProfile } = await import('../simulator/profile.js');
  const profiles = [
    instantProfile('fast-a', 'fast-a'),
    instantProfile('fast-b', 'fast-b'),
    slowStreamProfile('slow-a', 'slow-a'),
    slowStreamProfile('slow-b', 'slow-b'),
  ];
  const servers: Array<{ port: number; close(): Promise<void> }> = [];
  for (const p of profiles) servers.push(await startProviderServer(parseProfile(p, `bench ${String(p.id)}`), { seed: 1, minChunkMs: 100 }));
  console.log(`READY ${servers.map((s) => s.port).join(',')}`);
  const stop = (): void => void Promise.all(servers.map((s) => s.close())).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// ---------------------------------------------------------------- load generation

/** Percentiles by sorting (at most a few 10k samples). */
export function percentiles(samples: number[]): Percentiles {
  const s = Float64Array.from(samples).sort();
  const at = (q: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: s.length ? s[s.length - 1]! : NaN };
}

export async function closedLoop(
  url: string,
  body: string,
  connections: number,
  durationS: number,
  headers: Record<string, string> = {},
  workers?: number,
): Promise<LoopRun> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections,
    duration: durationS,
    ...(workers ? { workers } : {}),
  });
  return { requests: r.requests.total, rps: r.requests.total / durationS, errors: r.errors + r.non2xx + r.timeouts };
}

/**
 * Whether wrk (the Debian/Ubuntu package `wrk`) can be run; when missing and this process is
 * root with apt-get, install it. wrk is a C event loop: on this 2-core machine it drives a
 * node:http server past 50k req/s, where autocannon (one JS thread) caps near 25k and so
 * hides part of the proxy's overhead in the direct baseline.
 */
export function ensureWrk(log: (l: string) => void): boolean {
  const probe = (): boolean => spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  if (probe()) return true;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error !== undefined) return false;
  log('wrk not found: apt-get install -y wrk');
  spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'wrk'], { stdio: 'ignore', timeout: 300_000 });
  return probe();
}

/** One closed-loop run's figures: completed requests (all statuses), non-2xx + socket errors. */
export interface LoopRun {
  requests: number;
  rps: number;
  errors: number;
}

/** A wrk run (2 threads, POST `body`): requests, req/s and errors parsed from its summary. */
export async function wrkLoop(dir: string, url: string, body: string, connections: number, durationS: number): Promise<LoopRun> {
  const script = join(dir, 'post.lua');
  if (!existsSync(script))
    writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`);
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', ['-t2', `-c${connections}`, `-d${durationS}s`, '-s', script, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr.on('data', (d: Buffer) => (text += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
  });
  return parseWrk(out);
}

/** wrk's summary: requests completed, req/s, and errors (socket errors + non-2xx/3xx responses). */
export function parseWrk(out: string): LoopRun {
  const num = (re: RegExp): number => Number(out.match(re)?.[1] ?? NaN);
  const requests = num(/(\d+) requests in/);
  const socket = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = (socket ? socket.slice(1).reduce((a, x) => a + Number(x), 0) : 0) + (num(/Non-2xx or 3xx responses: (\d+)/) || 0);
  if (!Number.isFinite(requests)) throw new Error(`cannot read wrk output: ${out}`);
  return { requests, rps: num(/Requests\/sec:\s+([\d.]+)/), errors };
}

/**
 * Open loop: request i is due at t0 + i * (1000 / rate) ms whatever happened before.
 * A 1 ms ticker sends everything due; latency is measured from the due time.
 */
export async function openLoop(origin: string, path: string, body: string, rate: number, seconds: number): Promise<{ lat: number[]; errors: number }> {
  const pool = new Pool(origin, { connections: 256 });
  const n = Math.round(rate * seconds);
  const gap = 1000 / rate;
  const lat: number[] = [];
  let errors = 0;
  let sent = 0;
  let done = 0;
  const t0 = performance.now() + 5;
  await new Promise<void>((resolve) => {
    if (n === 0) return resolve();
    const fire = (due: number): void => {
      pool
        .request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode !== 200) errors++;
          lat.push(performance.now() - due);
        })
        .catch(() => errors++)
        .finally(() => {
          if (++done === n) resolve();
        });
    };
    const tick = (): void => {
      const now = performance.now();
      while (sent < n && t0 + sent * gap <= now) fire(t0 + sent++ * gap);
      if (sent < n) setTimeout(tick, 1);
    };
    setTimeout(tick, 5);
  });
  await pool.close();
  return { lat, errors };
}

/** Kilobytes -> MB from /proc/<pid>/status (Linux). */
function procMem(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Start VmHWM afresh (Linux: write 5 to clear_refs), so (c) reports the peak while the
 * streams run, not one left from (a) or (b) in the same process. The baseline printed
 * as "before" still shows what (a)/(b) left behind.
 */
function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not Linux or not allowed: VmHWM then covers the whole run (an upper bound)
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux, 100 Hz ticks). */
export function procCpuS(pid: number): number {
  const [user, sys] = procCpuSplitS(pid);
  return user + sys;
}

/** [user, system] CPU seconds a process has used so far (see procCpuS). */
function procCpuSplitS(pid: number): [number, number] {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return [Number(rest[11]) / 100, Number(rest[12]) / 100];
  } catch {
    return [NaN, NaN];
  }
}

/** VmRSS of `pid` (MB) `settleMs` after it said it listens: its idle footprint before any load. */
async function idleRss(pid: number, settleMs = 500): Promise<number> {
  await new Promise((r) => setTimeout(r, settleMs));
  return procMem(pid, 'VmRSS');
}

/** The proxy's own heap (MB), from its /health answer. */
async function proxyHeapMb(origin: string): Promise<{ used: number; total: number }> {
  const pool = new Pool(origin, { connections: 1 });
  try {
    const h = (await (await pool.request({ method: 'GET', path: '/health' })).body.json()) as { memory: Record<string, number> };
    return { used: h.memory.heapUsedBytes! / 1048576, total: h.memory.heapTotalBytes! / 1048576 };
  } finally {
    await pool.close();
  }
}

async function concurrentStreams(origin: string, n: number, pid: number, debugMem = !!process.env.BENCH_DEBUG_MEM): Promise<{ ok: number; errors: number; peakMb: number }> {
  const pool = new Pool(origin, { connections: n });
  let ok = 0;
  let errors = 0;
  let peak = 0;
  const kinds = new Map<string, number>();
  const sampler = setInterval(() => (peak = Math.max(peak, procMem(pid, 'VmRSS'))), 50);
  // Diagnostics: the proxy's own memory breakdown every 100 ms (MB: rss/heapUsed/heapTotal/external, in-flight), and a heap snapshot at 2 s.
  const memLog: string[] = [];
  const t0 = performance.now();
  const memPool = new Pool(origin, { connections: 1 }); // not queued behind the streams
  const memTimer = debugMem
    ? setInterval(() => {
        void memPool.request({ method: 'GET', path: '/health' }).then(async (r) => {
          const h = (await r.body.json()) as { inFlight: number; memory: Record<string, number> };
          const mb = (k: string): string => (h.memory[k]! / 1048576).toFixed(0);
          memLog.push(`${((performance.now() - t0) / 1000).toFixed(1)}s ${mb('rssBytes')}/${mb('heapUsedBytes')}/${mb('heapTotalBytes')}/${mb('externalBytes')} n=${h.inFlight}`);
        });
      }, 100)
    : undefined;
  if (process.env.BENCH_PROXY_NODE_ARGS?.includes('heapsnapshot-signal')) setTimeout(() => process.kill(pid, 'SIGUSR2'), Number(process.env.BENCH_SNAPSHOT_AT_MS ?? 2000));
  if (debugMem) await (await memPool.request({ method: 'GET', path: '/health' })).body.dump(); // connected before the burst
  resetPeakRss(pid);
  const cpu0 = procCpuS(pid);
  await Promise.all(
    Array.from({ length: n }, async () => {
      try {
        const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: STREAM_BODY });
        const text = await res.body.text();
        if (res.statusCode === 200 && text.includes('[DONE]')) ok++;
        else {
          errors++;
          kinds.set(`${res.statusCode} ${text.slice(-160)}`, (kinds.get(`${res.statusCode} ${text.slice(-160)}`) ?? 0) + 1);
        }
      } catch (e) {
        errors++;
        kinds.set(String((e as Error).message), (kinds.get(String((e as Error).message)) ?? 0) + 1);
      }
    }),
  );
  clearInterval(sampler);
  clearInterval(memTimer);
  if (debugMem) console.error(`    ${((performance.now() - t0) / 1000).toFixed(1)} s wall, proxy CPU ${(procCpuS(pid) - cpu0).toFixed(2)} s`);
  if (memLog.length) console.error(`    memory MB rss/heapUsed/heapTotal/external every 100 ms: ${memLog.filter((l, i) => l.split(' ')[0] !== memLog[i - 1]?.split(' ')[0]).join('  ')}`);
  await memPool.close();
  peak = Math.max(peak, procMem(pid, 'VmHWM'));
  for (const [k, n] of [...kinds].slice(0, 5)) console.error(`    ${n} x ${k}`);
  await pool.close();
  return { ok, errors, peakMb: peak };
}

// ---------------------------------------------------------------- the run

/** Extra env for the proxy (experiments): BENCH_PROXY_ENV="K=V K2=V2". */
function proxyEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (process.env.BENCH_PROXY_ENV ?? '').split(' ').filter(Boolean)) {
    const i = kv.indexOf('=');
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/**
 * Compile the proxy CLI (and what it imports) to plain JS in `dir` with the project's
 * TypeScript, so the proxy runs as deployed; node_modules is linked for package imports.
 */
export function compileCli(dir: string, root: string = REPO_ROOT): string {
  const out = join(dir, 'build');
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, join(root, 'router/http/cli.ts'), '--outDir', out, '--rootDir', root, '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--resolveJsonModule', '--noCheck'];
  execFileSync(process.execPath, args, { cwd: root, stdio: 'pipe' });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  return join(out, 'router', 'http', 'cli.js');
}

/** The median of `xs` (NaN when empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Round i runs the sides in a rotated order (i = 0: a, b, c; 1: b, c, a; ...) so a slow spell of the shared VM hits each alike. */
async function rotated<T>(i: number, sides: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(sides.length);
  for (let k = 0; k < sides.length; k++) {
    const j = (i + k) % sides.length;
    out[j] = await sides[j]!();
  }
  return out;
}

/** Verdicts of the proxy targets with their floors (same run). */
export function proxyChecks(r: Pick<ProxyBenchResult, 'throughput' | 'latency' | 'rss'>): TargetCheck[] {
  const out: TargetCheck[] = [];
  const t = r.throughput;
  if (t) {
    out.push({ name: 'proxy CPU per request at saturation', unit: 'µs', value: t.proxyCpuUsPerRequest, op: '<=', target: TARGETS.cpuUsPerRequest,
      floor: t.floorCpuUsPerRequest, floorName: 'a bare node:http + undici forwarding proxy, same rounds', met: t.proxyCpuUsPerRequest <= TARGETS.cpuUsPerRequest });
    // The ratio is against direct req/s (same rounds); its floor is the bare forwarding proxy's ratio.
    out.push({ name: `throughput ÷ direct (${t.loadgen})`, unit: 'x', value: t.ratio, op: '>=', target: TARGETS.throughputRatio,
      floor: t.floorRps / t.directRps, floorName: 'the bare forwarding proxy ÷ direct', met: t.ratio >= TARGETS.throughputRatio });
  }
  const l = r.latency;
  if (l)
    out.push({ name: `added p99 at ${l.rate} req/s open loop (median of rounds)`, unit: 'ms', value: l.addedP99Ms, op: '<=', target: TARGETS.addedP99Ms,
      ...(l.floor
        ? { floor: l.floor.addedP99Ms, floorName: 'the bare forwarding proxy\'s added p99, same rounds' }
        : { floor: l.direct.p99, floorName: 'direct p99 ms' }),
      met: l.addedP99Ms <= TARGETS.addedP99Ms });
  const m = r.rss;
  if (m) {
    out.push({ name: `peak RSS holding ${m.streams} streams (target ${TARGETS.rssFloorRatio}x the floor)`, unit: 'MB', value: m.peakMb, op: '<=',
      target: Math.round(TARGETS.rssFloorRatio * m.floorMb * 10) / 10, floor: m.floorMb, floorName: 'bare node:http SSE server MB, same streams',
      met: m.peakMb / m.floorMb <= TARGETS.rssFloorRatio && m.errors === 0 });
    // Like for like: both started just before (c), both forwarding to the same h2c upstreams.
    if (m.freshPeakMb !== undefined && m.forwardFloorMb !== undefined)
      out.push({ name: `peak RSS of a fresh proxy holding ${m.streams} streams (target ${TARGETS.rssFloorRatio}x the forwarding floor)`, unit: 'MB', value: m.freshPeakMb, op: '<=',
        target: Math.round(TARGETS.rssFloorRatio * m.forwardFloorMb * 10) / 10, floor: m.forwardFloorMb, floorName: 'bare node:http + h2c forwarding proxy MB, same streams',
        met: m.freshPeakMb / m.forwardFloorMb <= TARGETS.rssFloorRatio && m.freshErrors === 0 });
  }
  return out;
}

export async function runProxyBench(opts: ProxyBenchOptions = {}): Promise<ProxyBenchResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const durationS = opts.durationS ?? 10;
  const connections = opts.connections ?? 32;
  const rate = opts.rate ?? 400;
  const openLoopS = opts.openLoopS ?? 10;
  const streams = opts.streams ?? 2000;
  const rounds = opts.rounds ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
  const children: Child[] = [];
  try {
    let loadgen: LoadGen = opts.loadgen ?? 'wrk';
    if (loadgen === 'wrk' && !ensureWrk(log)) {
      loadgen = 'autocannon';
      log('wrk is not available (Debian package `wrk`): falling back to autocannon with 2 workers; its direct figure may be capped by the load generator');
    }
    const up = spawnTs('mock-providers', SELF, ['--role', 'upstream']);
    children.push(up);
    const ports = (await up.waitForLine(/^READY ([\d,]+)/, 30_000))[1]!.split(',').map(Number);
    const base = (i: number): string => `http://127.0.0.1:${ports[i]}/v1`;
    const config = {
      server: { port: 0, bodyLimitBytes: 1_048_576, drainTimeoutMs: 2000 },
      endpoints: [
        { id: 'fast-a', provider: 'mock', model: 'fast', upstreamModel: 'fast-a', baseUrl: base(0) },
        { id: 'fast-b', provider: 'mock', model: 'fast', upstreamModel: 'fast-b', baseUrl: base(1) },
        { id: 'slow-a', provider: 'mock', model: 'slow', upstreamModel: 'slow-a', baseUrl: base(2), http2: true },
        { id: 'slow-b', provider: 'mock', model: 'slow', upstreamModel: 'slow-b', baseUrl: base(3), http2: true },
      ],
      strategy: 'round-robin',
    };
    const cfgFile = join(dir, 'proxy.json');
    writeFileSync(cfgFile, JSON.stringify(config));
    const nodeArgs = opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`] : [];
    const semiSpaceMb = opts.semiSpaceMb ?? 0;
    const v8Args = semiSpaceMb > 0 ? [`--max-semi-space-size=${semiSpaceMb}`] : [];
    nodeArgs.push(...v8Args);
    if (process.env.BENCH_PROXY_NODE_ARGS) nodeArgs.push(...process.env.BENCH_PROXY_NODE_ARGS.split(' '));
    const cliJs = (opts.runtime ?? 'compiled') === 'compiled' ? compileCli(join(dir, 'this')) : null;
    const startThisProxy = (name: string, args: string[]): Child =>
      cliJs !== null
        ? spawnNode(name, [...args, cliJs, '--config', cfgFile], { env: proxyEnv(), echo: !!process.env.BENCH_PROXY_ECHO })
        : spawnTs(name, 'router/http/cli.ts', ['--config', cfgFile], { nodeArgs: args });
    const proxy = startThisProxy('proxy', nodeArgs);
    children.push(proxy);
    const proxyOrigin = (await proxy.waitForLine(/listening on (http:\/\/[\d.:]+)/, 30_000))[1]!;
    let baseProxy: Child | undefined;
    let baseOrigin = '';
    if (opts.baselineRoot !== undefined) {
      // Same node flags minus the profiler: only this checkout's proxy is profiled.
      baseProxy = spawnNode('baseline-proxy', [...v8Args, compileCli(join(dir, 'baseline'), opts.baselineRoot), '--config', cfgFile], { env: proxyEnv() });
      children.push(baseProxy);
      baseOrigin = (await baseProxy.waitForLine(/listening on (http:\/\/[\d.:]+)/, 30_000))[1]!;
      log(`baseline proxy: ${opts.baselineRoot} (pid ${baseProxy.pid})`);
    }
    const directOrigin = `http://127.0.0.1:${ports[0]}`;
    const path = '/v1/chat/completions';
    // The floor of (a): the same stack (node:http + undici Pool) forwarding and nothing else.
    const floorProxy = spawnNode('floor-proxy', [...v8Args, join(REPO_ROOT, 'bench', 'floor-proxy.mjs'), directOrigin, `http://127.0.0.1:${ports[1]}`]);
    children.push(floorProxy);
    const floorOrigin = (await floorProxy.waitForLine(/listening on (http:\/\/[\d.:]+)/, 30_000))[1]!;

    const pids: Record<string, number> = { loadgen: process.pid, mocks: up.pid, proxy: proxy.pid, floor: floorProxy.pid };
    if (baseProxy) pids.base = baseProxy.pid;
    const parts = opts.parts ?? 'abc';
    const result: ProxyBenchResult = { throughput: null, latency: null, rss: null, targets: {}, checks: [], loadAvg: loadavg(), semiSpaceMb };
    const body = opts.streamBody === true ? FAST_STREAM_BODY : BODY;
    if (opts.streamBody === true) log('(a) and (b) send stream: true requests (--stream-body)');
    const loop = (origin: string, s: number): Promise<LoopRun> =>
      loadgen === 'wrk' ? wrkLoop(dir, origin + path, body, connections, s) : closedLoop(origin + path, body, connections, s, {}, 2);

    // Warm-up before (a) and (b): 2 s was not enough under load (a first round ~2x the
    // CPU/request of the rest, JIT still compiling); 2 s each side, twice, interleaved, at full
    // speed. (b) run alone after only its own 2 s at 400 req/s read a proxy p99 of 12-18 ms in
    // its first round and 3.8-4.8 in its fifth, in each of three runs.
    if (parts.includes('a') || parts.includes('b')) {
      log('warm-up...');
      for (let i = 0; i < 2; i++) for (const o of [directOrigin, proxyOrigin, floorOrigin, ...(baseProxy ? [baseOrigin] : [])]) await loop(o, 2);
    }
    if (parts.includes('a')) {
      const roundS = Math.max(1, durationS / rounds);
      log(`(a) closed loop with ${loadgen}, ${connections} connections, ${rounds} interleaved rounds of ${roundS}s each side (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
      type Side = { run: LoopRun; cpuS: Record<string, number>; proxySysShare: number };
      const side = async (origin: string): Promise<Side> => {
        const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuS(pid)]));
        const sys0 = procCpuSplitS(proxy.pid)[1];
        const run = await loop(origin, roundS);
        const cpuS = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuS(pid) - before[k]!]));
        return { run, cpuS, proxySysShare: (procCpuSplitS(proxy.pid)[1] - sys0) / cpuS.proxy! };
      };
      const rs: Array<{ d: Side; p: Side; f: Side; b?: Side }> = [];
      for (let i = 0; i < rounds; i++) {
        const sides = [() => side(directOrigin), () => side(proxyOrigin), () => side(floorOrigin), ...(baseProxy ? [() => side(baseOrigin)] : [])];
        const [d, p, f, b] = await rotated(i, sides);
        rs.push({ d: d!, p: p!, f: f!, b });
        const us = (x: Side, k: string): string => ((x.cpuS[k]! * 1e6) / x.run.requests).toFixed(1);
        log(
          `    round ${i + 1}: direct ${d!.run.rps.toFixed(0)} req/s; proxy ${p!.run.rps.toFixed(0)} req/s, ${us(p!, 'proxy')} µs CPU/request; ` +
            `floor proxy ${f!.run.rps.toFixed(0)} req/s, ${us(f!, 'floor')} µs` +
            (b ? `; baseline ${b.run.rps.toFixed(0)} req/s, ${us(b, 'base')} µs CPU/request` : '') + `; load ${loadavg()[0]!.toFixed(1)}`,
        );
      }
      const cpuOf = (x: Side, k: string): number => (x.cpuS[k]! * 1e6) / x.run.requests;
      const ratios = rs.map((r) => r.p.run.rps / r.d.run.rps);
      const mid = rs[[...ratios.keys()].sort((x, y) => ratios[x]! - ratios[y]!)[rs.length >> 1]!]!;
      result.throughput = {
        directRps: mid.d.run.rps,
        proxyRps: mid.p.run.rps,
        ratio: median(ratios),
        directErrors: rs.reduce((a, r) => a + r.d.run.errors, 0),
        proxyErrors: rs.reduce((a, r) => a + r.p.run.errors, 0),
        proxyCpuUsPerRequest: median(rs.map((r) => cpuOf(r.p, 'proxy'))),
        floorCpuUsPerRequest: median(rs.map((r) => cpuOf(r.f, 'floor'))),
        floorRps: median(rs.map((r) => r.f.run.rps)),
        mockCpuUsPerRequest: median(rs.map((r) => cpuOf(r.d, 'mocks'))),
        proxySysShare: median(rs.map((r) => r.p.proxySysShare)),
        rounds: rs.map((r) => [r.d.run.rps, r.p.run.rps, cpuOf(r.p, 'proxy')]),
        loadgen,
      };
      if (baseProxy) {
        const bs = rs.map((r) => r.b!);
        result.throughput.baseline = {
          proxyRps: median(bs.map((b) => b.run.rps)),
          ratio: median(rs.map((r) => r.p.run.rps / r.b!.run.rps)),
          proxyCpuUsPerRequest: median(bs.map((b) => cpuOf(b, 'base'))),
          cpuRatio: median(rs.map((r) => cpuOf(r.p, 'proxy') / cpuOf(r.b!, 'base'))),
          rounds: bs.map((b) => [b.run.rps, cpuOf(b, 'base')]),
        };
      }
      result.targets.throughputRatio = result.throughput.ratio >= TARGETS.throughputRatio;
      result.targets.cpu = result.throughput.proxyCpuUsPerRequest <= TARGETS.cpuUsPerRequest;
    }

    if (parts.includes('b')) {
      const roundSB = Math.max(1, openLoopS / rounds);
      const names = ['direct', 'proxy', 'floor proxy', ...(baseProxy ? ['baseline'] : [])];
      const origins = [directOrigin, proxyOrigin, floorOrigin, ...(baseProxy ? [baseOrigin] : [])];
      log(`(b) open loop at ${rate} req/s, ${rounds} interleaved rounds of ${roundSB}s each side (${names.join(', ')}; after 2s at this rate)`);
      for (const o of origins) await openLoop(o, path, body, rate, 2);
      const all = origins.map(() => ({ lat: [] as number[], errors: 0 }));
      const added: number[][] = origins.map(() => []);
      for (let i = 0; i < rounds; i++) {
        const runs = await rotated(i, origins.map((o) => () => openLoop(o, path, body, rate, roundSB)));
        const p99 = runs.map((r) => percentiles(r.lat).p99);
        runs.forEach((r, k) => {
          for (const x of r.lat) all[k]!.lat.push(x);
          all[k]!.errors += r.errors;
          if (k > 0) added[k]!.push(p99[k]! - p99[0]!);
        });
        log(`    round ${i + 1}: p99 ms ${names.map((nm, k) => `${nm} ${p99[k]!.toFixed(3)}`).join(', ')}`);
      }
      const ld = percentiles(all[0]!.lat);
      const lp = percentiles(all[1]!.lat);
      log(`    all rounds: direct p50 ${ld.p50.toFixed(3)} p99 ${ld.p99.toFixed(3)} ms; proxy p50 ${lp.p50.toFixed(3)} p99 ${lp.p99.toFixed(3)} ms`);
      const addedP99Ms = median(added[1]!);
      result.latency = {
        rate,
        direct: ld,
        proxy: lp,
        addedP50Ms: lp.p50 - ld.p50,
        addedP99Ms,
        roundsAddedP99Ms: added[1]!,
        errors: all.reduce((x, r) => x + r.errors, 0),
        floor: { all: percentiles(all[2]!.lat), addedP99Ms: median(added[2]!), roundsAddedP99Ms: added[2]!, proxyAboveP99Ms: median(added[1]!.map((x, i) => x - added[2]![i]!)) },
      };
      if (baseProxy) result.latency.baseline = { addedP99Ms: median(added[3]!), roundsAddedP99Ms: added[3]! };
      result.targets.addedP99 = addedP99Ms <= TARGETS.addedP99Ms;
    }

    if (parts.includes('c')) {
      const baselineMb = procMem(proxy.pid, 'VmRSS');
      log(`(c) ${streams} concurrent streams through the proxy`);
      const s = await concurrentStreams(proxyOrigin, streams, proxy.pid);
      log(`    ok ${s.ok}, errors ${s.errors}, proxy peak RSS ${s.peakMb.toFixed(1)} MB (before ${baselineMb.toFixed(1)} MB)`);
      // The same streams held by a bare node:http SSE server, same node flags: what node:http alone costs.
      const floor = spawnNode('floor', [...nodeArgs, join(REPO_ROOT, 'bench', 'floor-sse-server.mjs')]);
      children.push(floor);
      const floorOrigin = (await floor.waitForLine(/listening on (http:\/\/[\d.:]+)/, 30_000))[1]!;
      const floorIdleMb = await idleRss(floor.pid);
      const f = await concurrentStreams(floorOrigin, streams, floor.pid, false);
      const floorAfterMb = await idleRss(floor.pid, 1000);
      log(`    floor: a bare node:http SSE server (no upstream) peaks at ${f.peakMb.toFixed(1)} MB (ok ${f.ok})`);
      result.rss = { streams, ok: s.ok, errors: s.errors, baselineMb, peakMb: s.peakMb, floorMb: f.peakMb };
      // The proxy above has been through (a) and (b): its heap kept some of what that load grew.
      // For a like-for-like reading, a fresh proxy of this checkout and the least any forwarding
      // proxy on node's stack holds (floor-stream-proxy.mjs: node:http + one h2c session per
      // upstream, as the proxy's slow endpoints use), each started just now, carry the same streams.
      const freshProxy = startThisProxy('proxy-fresh', nodeArgs.filter((a) => !a.startsWith('--cpu-prof')));
      children.push(freshProxy);
      const freshOrigin = (await freshProxy.waitForLine(/listening on (http:\/\/[\d.:]+)/, 30_000))[1]!;
      const freshIdleMb = await idleRss(freshProxy.pid);
      const freshHeap = await proxyHeapMb(freshOrigin);
      const fp = await concurrentStreams(freshOrigin, streams, freshProxy.pid, false);
      const freshAfterMb = await idleRss(freshProxy.pid, 1000);
      const freshAfterHeap = await proxyHeapMb(freshOrigin);
      const fwd = spawnNode('floor-stream-proxy', [...nodeArgs.filter((a) => !a.startsWith('--cpu-prof')), join(REPO_ROOT, 'bench', 'floor-stream-proxy.mjs'), `http://127.0.0.1:${ports[2]}`, `http://127.0.0.1:${ports[3]}`]);
      children.push(fwd);
      const fwdOrigin = (await fwd.waitForLine(/listening on (http:\/\/[\d.:]+)/, 30_000))[1]!;
      const fwdIdleMb = await idleRss(fwd.pid);
      const ff = await concurrentStreams(fwdOrigin, streams, fwd.pid, false);
      const fwdAfterMb = await idleRss(fwd.pid, 1000);
      log(`    fresh proxy peaks at ${fp.peakMb.toFixed(1)} MB (ok ${fp.ok}, errors ${fp.errors}); a bare forwarding proxy (node:http + h2c upstream) at ${ff.peakMb.toFixed(1)} MB (ok ${ff.ok})`);
      result.rss.freshPeakMb = fp.peakMb;
      result.rss.freshErrors = fp.errors;
      result.rss.forwardFloorMb = ff.peakMb;
      result.rss.idle = { proxyMb: freshIdleMb, proxyHeapUsedMb: freshHeap.used, proxyHeapTotalMb: freshHeap.total, floorMb: floorIdleMb, forwardFloorMb: fwdIdleMb };
      result.rss.afterStreams = { proxyMb: freshAfterMb, proxyHeapUsedMb: freshAfterHeap.used, proxyHeapTotalMb: freshAfterHeap.total, floorMb: floorAfterMb, forwardFloorMb: fwdAfterMb };
      log(`    ${formatResting('idle, 0.5 s after start', result.rss.idle)}`);
      log(`    ${formatResting('1 s after the streams', result.rss.afterStreams)}`);
      if (baseProxy) {
        const b = await concurrentStreams(baseOrigin, streams, baseProxy.pid, false);
        log(`    baseline proxy peaks at ${b.peakMb.toFixed(1)} MB (ok ${b.ok})`);
        result.rss.baselineProxyPeakMb = b.peakMb;
      }
      result.targets.rss = s.peakMb / f.peakMb <= TARGETS.rssFloorRatio && s.errors === 0;
    }
    result.checks = proxyChecks(result);
    result.loadAvg = loadavg();
    return result;
  } finally {
    // SIGTERM lets the proxy drain and, under --cpu-prof, write its profile.
    for (const c of children.reverse()) await c.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "met"/"NOT met" lines for a list of checks: value, target, floor and value ÷ floor. */
export function formatChecks(checks: readonly TargetCheck[]): string[] {
  const f = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3));
  return checks.map(
    (c) =>
      `  ${c.met ? 'met    ' : 'NOT met'} ${c.name}: ${f(c.value)} ${c.unit} (target ${c.op} ${c.target} ${c.unit})` +
      (c.floor === null
        ? ''
        : // a ratio to a floor at or below zero (an added latency can be) says nothing: give the difference
          `; floor ${f(c.floor)} (${c.floorName}), ${c.floor > 0 ? `ratio to floor ${f(c.value / c.floor)}` : `${f(c.value - c.floor)} ${c.unit} above it`}`),
  );
}

/** One line of resting RSS readings: `when`, then the proxy (and its heap), both floors and the gap. */
export function formatResting(when: string, r: RestingRss): string {
  const f = (x: number): string => x.toFixed(1);
  return `${when}: proxy ${f(r.proxyMb)} MB (heap used ${f(r.proxyHeapUsedMb)} of ${f(r.proxyHeapTotalMb)} MB); SSE floor ${f(r.floorMb)} MB; forwarding floor ${f(r.forwardFloorMb)} MB; proxy minus forwarding floor ${f(r.proxyMb - r.forwardFloorMb)} MB`;
}

export function formatProxyBench(r: ProxyBenchResult): string {
  const f = (x: number, d = 2): string => x.toFixed(d);
  const lines = [
    `proxy overhead (loopback, round-robin over 2 instant mocks; load average ${r.loadAvg.map((x) => x.toFixed(1)).join(' ')}` +
      `${(r.semiSpaceMb ?? 0) > 0 ? `; node --max-semi-space-size=${r.semiSpaceMb} for the proxy and every floor` : ''})`,
  ];
  const t = r.throughput;
  if (t) {
    lines.push(
      `  floor       bare node:http + undici forwarding proxy ${f(t.floorRps, 0)} req/s, CPU ${f(t.floorCpuUsPerRequest, 1)} µs/request; the mock answering direct ${f(t.mockCpuUsPerRequest, 1)} µs/request`,
      `  throughput  direct ${f(t.directRps, 0)} req/s  proxy ${f(t.proxyRps, 0)} req/s  ratio ${f(t.ratio, 3)}x (${t.loadgen})  proxy CPU ${f(t.proxyCpuUsPerRequest, 1)} µs/request (median of ${t.rounds.length} rounds: ${t.rounds.map((x) => f(x[2], 0)).join(', ')}; ${f(100 * t.proxySysShare, 0)}% of it in the kernel)`,
    );
    if (t.baseline)
      lines.push(
        `  baseline    proxy ${f(t.baseline.proxyRps, 0)} req/s, CPU ${f(t.baseline.proxyCpuUsPerRequest, 1)} µs/request (rounds: ${t.baseline.rounds.map((x) => f(x[1], 0)).join(', ')}); this ÷ baseline: req/s ${f(t.baseline.ratio, 3)}x, CPU/request ${f(t.baseline.cpuRatio, 3)}x`,
      );
  }
  const l = r.latency;
  if (l) {
    lines.push(
      `  latency @${l.rate}/s  direct p50 ${f(l.direct.p50, 3)} p99 ${f(l.direct.p99, 3)} ms  proxy p50 ${f(l.proxy.p50, 3)} p99 ${f(l.proxy.p99, 3)} ms (all rounds)`,
      `              added p99 per round ${l.roundsAddedP99Ms.map((x) => f(x, 3)).join(', ')} ms; median ${f(l.addedP99Ms, 3)} ms  errors ${l.errors}`,
    );
    if (l.floor)
      lines.push(
        `  floor       the bare forwarding proxy: p50 ${f(l.floor.all.p50, 3)} p99 ${f(l.floor.all.p99, 3)} ms (all rounds); added p99 per round ${l.floor.roundsAddedP99Ms.map((x) => f(x, 3)).join(', ')} ms; median ${f(l.floor.addedP99Ms, 3)} ms; ` +
          `the proxy's p99 minus the floor's, median of rounds ${f(l.floor.proxyAboveP99Ms, 3)} ms`,
      );
    if (l.baseline) lines.push(`  baseline    added p99 per round ${l.baseline.roundsAddedP99Ms.map((x) => f(x, 3)).join(', ')} ms; median ${f(l.baseline.addedP99Ms, 3)} ms`);
  }
  const m = r.rss;
  if (m) {
    lines.push(`  RSS         ${m.streams} concurrent streams: ok ${m.ok} errors ${m.errors}  peak ${f(m.peakMb, 1)} MB (before ${f(m.baselineMb, 1)} MB); floor ${f(m.floorMb, 1)} MB`);
    if (m.baselineProxyPeakMb !== undefined) lines.push(`  baseline    peak ${f(m.baselineProxyPeakMb, 1)} MB (${f(m.baselineProxyPeakMb / m.floorMb, 2)}x the floor)`);
    if (m.freshPeakMb !== undefined && m.forwardFloorMb !== undefined)
      lines.push(`  fresh       a proxy started for (c): peak ${f(m.freshPeakMb, 1)} MB (${f(m.freshPeakMb / m.floorMb, 2)}x the SSE floor); a bare forwarding proxy: ${f(m.forwardFloorMb, 1)} MB (${f(m.forwardFloorMb / m.floorMb, 2)}x the SSE floor)`);
    if (m.idle) lines.push(`  idle        ${formatResting('0.5 s after start, before any stream', m.idle)}`);
    if (m.afterStreams) lines.push(`  after       ${formatResting('1 s after the streams ended', m.afterStreams)}`);
  }
  lines.push('targets:', ...formatChecks(r.checks));
  return lines.join('\n');
}

// ---------------------------------------------------------------- entry point

const USAGE =
  'usage: npx tsx bench/proxy.ts [--quick] [--proxy-rounds N] [--parts abc] [--connections N] [--streams N] [--runtime compiled|tsx] [--loadgen wrk|autocannon] [--baseline DIR] [--stream-body] [--cpu-prof DIR] [--semi-space MB] [--json-out FILE]\n       (usually through npm run bench -- --only proxy ...)';

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const parsed = scriptArgs(
    process.argv.slice(2),
    // Every flag npm run bench passes (bench/flags.ts; those for other cases are ignored), and the upstream child's.
    { ...caseOptions(), role: { type: 'string' } },
    USAGE,
  );
  if (typeof parsed === 'number') process.exit(parsed);
  const values = parsed.values as Record<string, string | boolean | undefined>;
  /** A flag's value as given (undefined when absent). */
  const str = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const v = { role: str('role'), quick: values.quick === true, 'stream-body': values['stream-body'] === true, 'cpu-prof': str('cpu-prof'), parts: str('parts'), baseline: str('baseline'), 'json-out': str('json-out') };
  /** A positive integer flag, or undefined when absent; exits 2 on anything else. */
  const count = (name: 'proxy-rounds' | 'connections' | 'streams' | 'semi-space'): number | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (Number.isInteger(n) && n > 0) return n;
    console.error(`bench proxy: --${name} takes a positive integer (got "${raw}")\n${USAGE}`);
    process.exit(2);
  };
  const choice = <T extends string>(name: 'runtime' | 'loadgen', allowed: readonly T[], dflt: T): T => {
    const x = str(name);
    if (x === undefined) return dflt;
    if ((allowed as readonly string[]).includes(x)) return x as T;
    console.error(`bench proxy: --${name} takes ${allowed.join(' or ')} (got "${x}")\n${USAGE}`);
    process.exit(2);
  };
  if (v.parts !== undefined && !/^[abc]+$/.test(v.parts)) {
    console.error(`bench proxy: --parts takes any of the letters a, b, c (got "${v.parts}")\n${USAGE}`);
    process.exit(2);
  }
  if (v.role === 'upstream') {
    void runUpstream();
  } else if (v.role !== undefined) {
    console.error(`bench proxy: --role takes upstream (got "${v.role}")\n${USAGE}`);
    process.exit(2);
  } else {
    // Children (mock upstream, proxies, floors) stop with this process: on SIGINT/SIGTERM, on a
    // crash, and when the reader of its output goes away (EPIPE, e.g. piped into head).
    installSignalHandlers();
    for (const out of [process.stdout, process.stderr]) out.on('error', () => process.exit(1));
    const quick = v.quick === true;
    // --proxy-rounds N: more interleaved rounds of (a), 2 s each (a comparison with --baseline on a busy machine).
    const pr = count('proxy-rounds');
    const connections = count('connections');
    const streams = count('streams');
    runProxyBench({
      durationS: pr !== undefined ? 2 * pr : quick ? 3 : 10,
      openLoopS: quick ? 3 : 10,
      rounds: pr ?? (quick ? 3 : 5),
      cpuProf: v['cpu-prof'],
      parts: v.parts,
      connections,
      streams: streams ?? (quick ? 500 : 2000),
      runtime: choice('runtime', ['compiled', 'tsx'] as const, 'compiled'),
      loadgen: choice('loadgen', ['wrk', 'autocannon'] as const, 'wrk'),
      baselineRoot: v.baseline,
      streamBody: v['stream-body'] === true,
      semiSpaceMb: count('semi-space'),
    })
      .then((r) => {
        console.log(formatProxyBench(r));
        console.log(JSON.stringify(r));
        const out = v['json-out'];
        if (out !== undefined) writeFileSync(out, JSON.stringify(r, null, 2));
      })
      .catch(async (e: unknown) => {
        console.error(e);
        await stopAll();
        process.exit(1);
      });
  }
}
