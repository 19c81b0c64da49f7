import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { REPO_ROOT } from '../scenarios/setup/load.js';
import { spawnNode, spawnTs, stopAll, type Child } from '../scenarios/modes/procs.js';

/**
 * Proxy overhead benchmark: the same load straight at a mock provider ("direct") and
 * through the proxy (round-robin over 2 mock providers), all on loopback, in one run.
 *
 *  (a) max throughput, closed loop (autocannon, C connections, D seconds each);
 *  (b) latency at a fixed open-loop rate (400 req/s): request i is due at
 *      t_i = t0 + i / rate and its latency is end - t_i (from the intended send
 *      time, so a stall is charged to every request queued behind it: no
 *      coordinated omission); added p50/p99 = proxy - direct;
 *  (c) the proxy's peak RSS (VmHWM, reset just before) while it carries N concurrent streams,
 *      and, for scale, the peak of a bare node:http SSE server holding the same streams
 *      (bench/floor-sse-server.mjs: no upstream, no router).
 *
 * Process layout (the load generator must not share a CPU budget with what it
 * measures): this process = load generator; child 1 = mock providers (4 servers:
 * 2 instant JSON over HTTP/1.1, 2 slow streaming over HTTP/2 (h2c), as one would
 * configure upstreams that carry many long streams); child 2 = the real proxy CLI
 * (`router/http/cli.ts`). Pass `cpuProf` to run the proxy under `node --cpu-prof`.
 *
 * Run: `npx tsx bench/proxy.ts [--quick] [--parts abc] [--streams N] [--connections N]
 *      [--runtime compiled|tsx] [--cpu-prof DIR]`, or call runProxyBench(opts).
 * Diagnostics (env): BENCH_PROXY_NODE_ARGS="--optimize-for-size ..." adds node flags to the
 * proxy (e.g. memory tuning), BENCH_PROXY_ENV="K=V ..." adds env vars, BENCH_DEBUG_MEM=1
 * prints the proxy's memory every 100 ms through (c), BENCH_PROXY_ECHO=1 echoes the proxy's output
 * (e.g. with --trace-gc).
 *
 * Reading the numbers: the machine is shared by the three processes (2 cores), so the
 * direct figure moves with the mock's own cost; the proxy's CPU per request (printed) is
 * the steadier measure of its overhead.
 */

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
    /** Proxy process CPU time per request (user + system), µs. */
    proxyCpuUsPerRequest: number;
  } | null;
  latency: { rate: number; direct: Percentiles; proxy: Percentiles; addedP50Ms: number; addedP99Ms: number; errors: number } | null;
  /** floorMb: peak RSS of a bare node:http SSE server (bench/floor-sse-server.mjs) holding the same streams. */
  rss: { streams: number; ok: number; errors: number; baselineMb: number; peakMb: number; floorMb: number } | null;
  targets: { throughputRatio?: boolean; addedP99?: boolean; rss?: boolean };
}

export const TARGETS = { throughputRatio: 0.35, addedP99Ms: 1, rssMb: 100 } as const;

const SELF = 'bench/proxy.ts';
const BODY = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 16 });
const STREAM_BODY = JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'Count slowly.' }], stream: true });

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
): Promise<{ rps: number; errors: number }> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    connections,
    duration: durationS,
  });
  return { rps: r.requests.total / durationS, errors: r.errors + r.non2xx + r.timeouts };
}

/**
 * Open loop: request i is due at t0 + i * (1000 / rate) ms whatever happened before.
 * A 1 ms ticker sends everything due; latency is measured from the due time.
 */
async function openLoop(origin: string, path: string, body: string, rate: number, seconds: number): Promise<{ lat: number[]; errors: number }> {
  const pool = new Pool(origin, { connections: 256 });
  const n = Math.round(rate * seconds);
  const gap = 1000 / rate;
  const lat: number[] = [];
  let errors = 0;
  let sent = 0;
  let done = 0;
  const t0 = performance.now() + 5;
  await new Promise<void>((resolve) => {
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
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Run `fn` and report the CPU share (of one core) each pid used meanwhile. */
async function withCpu<T>(pids: Record<string, number>, fn: () => Promise<T>): Promise<{ value: T; cpu: Record<string, number> }> {
  const t0 = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuS(pid)]));
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (procCpuS(pid) - before[k]!) / wall]));
  return { value, cpu };
}

/** Round i of an interleaved comparison: direct first in even rounds, proxy first in odd ones. */
async function interleaved<T>(i: number, direct: () => Promise<T>, proxy: () => Promise<T>): Promise<[T, T]> {
  if (i % 2 === 0) {
    const d = await direct();
    return [d, await proxy()];
  }
  const p = await proxy();
  return [await direct(), p];
}

const fmtCpu = (c: Record<string, number>): string =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${(100 * v).toFixed(0)}%`)
    .join(', ');

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
export function compileCli(dir: string): string {
  const out = join(dir, 'build');
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, join(REPO_ROOT, 'router/http/cli.ts'), '--outDir', out, '--rootDir', REPO_ROOT, '--module', 'nodenext',
    '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--resolveJsonModule', '--noCheck'];
  execFileSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'pipe' });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  return join(out, 'router', 'http', 'cli.js');
}

export async function runProxyBench(opts: ProxyBenchOptions = {}): Promise<ProxyBenchResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const durationS = opts.durationS ?? 10;
  const connections = opts.connections ?? 64;
  const rate = opts.rate ?? 400;
  const openLoopS = opts.openLoopS ?? 10;
  const streams = opts.streams ?? 2000;
  const rounds = opts.rounds ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
  const children: Child[] = [];
  try {
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
    if (process.env.BENCH_PROXY_NODE_ARGS) nodeArgs.push(...process.env.BENCH_PROXY_NODE_ARGS.split(' '));
    const proxy =
      (opts.runtime ?? 'compiled') === 'compiled'
        ? spawnNode('proxy', [...nodeArgs, compileCli(dir), '--config', cfgFile], { env: proxyEnv(), echo: !!process.env.BENCH_PROXY_ECHO })
        : spawnTs('proxy', 'router/http/cli.ts', ['--config', cfgFile], { nodeArgs });
    children.push(proxy);
    const proxyOrigin = (await proxy.waitForLine(/listening on (http:\/\/[\d.:]+)/, 30_000))[1]!;
    const directOrigin = `http://127.0.0.1:${ports[0]}`;
    const path = '/v1/chat/completions';

    const pids = { loadgen: process.pid, mocks: up.pid, proxy: proxy.pid };
    const parts = opts.parts ?? 'abc';
    const result: ProxyBenchResult = { throughput: null, latency: null, rss: null, targets: {} };

    if (parts.includes('a')) {
      log('warm-up...');
      await closedLoop(directOrigin + path, BODY, connections, 2);
      await closedLoop(proxyOrigin + path, BODY, connections, 2);
      // Interleaved rounds (direct/proxy, then proxy/direct, ...) so a slow spell of this
      // shared VM hits both sides alike; the ratio is the median of the rounds' ratios.
      const roundS = Math.max(1, durationS / rounds);
      log(`(a) closed loop, ${connections} connections, ${rounds} interleaved rounds of ${roundS}s each side`);
      const rs: Array<{ d: number; p: number; ratio: number; errD: number; errP: number; cpuUs: number; cpuD: string; cpuP: string }> = [];
      for (let i = 0; i < rounds; i++) {
        const [dc, pc] = await interleaved(
          i,
          () => withCpu(pids, () => closedLoop(directOrigin + path, BODY, connections, roundS)),
          () => withCpu(pids, () => closedLoop(proxyOrigin + path, BODY, connections, roundS)),
        );
        rs.push({
          d: dc.value.rps,
          p: pc.value.rps,
          ratio: pc.value.rps / dc.value.rps,
          errD: dc.value.errors,
          errP: pc.value.errors,
          cpuUs: (pc.cpu.proxy! * 1e6) / pc.value.rps,
          cpuD: fmtCpu(dc.cpu),
          cpuP: fmtCpu(pc.cpu),
        });
        log(`    round ${i + 1}: direct ${dc.value.rps.toFixed(0)} req/s, proxy ${pc.value.rps.toFixed(0)} req/s, ratio ${(pc.value.rps / dc.value.rps).toFixed(3)}`);
      }
      const mid = [...rs].sort((x, y) => x.ratio - y.ratio)[Math.floor(rs.length / 2)]!;
      const d = { rps: mid.d, errors: rs.reduce((a, r) => a + r.errD, 0) };
      const p = { rps: mid.p, errors: rs.reduce((a, r) => a + r.errP, 0) };
      const ratio = mid.ratio;
      log(`    median round: direct ${d.rps.toFixed(0)} req/s (cpu: ${mid.cpuD})`);
      log(`                  proxy  ${p.rps.toFixed(0)} req/s (cpu: ${mid.cpuP}), ratio ${ratio.toFixed(3)} (rounds ${Math.min(...rs.map((r) => r.ratio)).toFixed(3)}-${Math.max(...rs.map((r) => r.ratio)).toFixed(3)})`);
      result.throughput = {
        directRps: d.rps,
        proxyRps: p.rps,
        ratio,
        directErrors: d.errors,
        proxyErrors: p.errors,
        proxyCpuUsPerRequest: mid.cpuUs,
      };
      result.targets.throughputRatio = ratio >= TARGETS.throughputRatio;
    }

    if (parts.includes('b')) {
      const roundSB = Math.max(1, openLoopS / rounds);
      log(`(b) open loop at ${rate} req/s, ${rounds} interleaved rounds of ${roundSB}s each side (after 2s warm-up)`);
      await openLoop(directOrigin, path, BODY, rate, 2);
      await openLoop(proxyOrigin, path, BODY, rate, 2);
      const od = { lat: [] as number[], errors: 0 };
      const op = { lat: [] as number[], errors: 0 };
      const add = (into: { lat: number[]; errors: number }, r: { lat: number[]; errors: number }): void => {
        for (const x of r.lat) into.lat.push(x);
        into.errors += r.errors;
      };
      for (let i = 0; i < rounds; i++) {
        const [d, p] = await interleaved(
          i,
          () => openLoop(directOrigin, path, BODY, rate, roundSB),
          () => openLoop(proxyOrigin, path, BODY, rate, roundSB),
        );
        add(od, d);
        add(op, p);
      }
      const ld = percentiles(od.lat);
      const lp = percentiles(op.lat);
      log(`    direct p50 ${ld.p50.toFixed(3)} p99 ${ld.p99.toFixed(3)} ms; proxy p50 ${lp.p50.toFixed(3)} p99 ${lp.p99.toFixed(3)} ms`);
      const addedP99Ms = lp.p99 - ld.p99;
      result.latency = { rate, direct: ld, proxy: lp, addedP50Ms: lp.p50 - ld.p50, addedP99Ms, errors: od.errors + op.errors };
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
      const f = await concurrentStreams(floorOrigin, streams, floor.pid, false);
      log(`    floor: a bare node:http SSE server (no upstream) peaks at ${f.peakMb.toFixed(1)} MB (ok ${f.ok})`);
      result.rss = { streams, ok: s.ok, errors: s.errors, baselineMb, peakMb: s.peakMb, floorMb: f.peakMb };
      result.targets.rss = s.peakMb <= TARGETS.rssMb && s.errors === 0;
    }
    return result;
  } finally {
    // SIGTERM lets the proxy drain and, under --cpu-prof, write its profile.
    for (const c of children.reverse()) await c.stop(5000);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatProxyBench(r: ProxyBenchResult): string {
  const ok = (b: boolean | undefined): string => (b ? 'PASS' : 'FAIL');
  const f = (x: number, d = 2): string => x.toFixed(d);
  const lines = ['proxy overhead (loopback, round-robin over 2 instant mocks)'];
  const t = r.throughput;
  if (t)
    lines.push(
      `  throughput  direct ${f(t.directRps, 0)} req/s  proxy ${f(t.proxyRps, 0)} req/s  ratio ${f(t.ratio, 3)}x  (target >= ${TARGETS.throughputRatio}x) ${ok(r.targets.throughputRatio)}  [proxy CPU ${f(t.proxyCpuUsPerRequest, 0)} µs/request]`,
    );
  const l = r.latency;
  if (l)
    lines.push(
      `  latency @${l.rate}/s  direct p50 ${f(l.direct.p50, 3)} p99 ${f(l.direct.p99, 3)} ms  proxy p50 ${f(l.proxy.p50, 3)} p99 ${f(l.proxy.p99, 3)} ms`,
      `              added p50 ${f(l.addedP50Ms, 3)} ms  added p99 ${f(l.addedP99Ms, 3)} ms  (target <= ${TARGETS.addedP99Ms} ms) ${ok(r.targets.addedP99)}  errors ${l.errors}`,
    );
  const m = r.rss;
  if (m)
    lines.push(
      `  RSS         ${m.streams} concurrent streams: ok ${m.ok} errors ${m.errors}  peak ${f(m.peakMb, 1)} MB (before ${f(m.baselineMb, 1)} MB)  (target <= ${TARGETS.rssMb} MB) ${ok(r.targets.rss)}`,
      `              floor: bare node:http SSE server, same streams ${f(m.floorMb, 1)} MB; proxy/floor ${f(m.peakMb / m.floorMb, 2)}x`,
    );
  return lines.join('\n');
}

// ---------------------------------------------------------------- entry point

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  if (flag('--role') === 'upstream') {
    void runUpstream();
  } else {
    const quick = args.includes('--quick');
    runProxyBench({
      durationS: quick ? 3 : 10,
      openLoopS: quick ? 3 : 10,
      rounds: quick ? 3 : 5,
      cpuProf: flag('--cpu-prof'),
      parts: flag('--parts'),
      connections: flag('--connections') ? Number(flag('--connections')) : undefined,
      streams: flag('--streams') ? Number(flag('--streams')) : quick ? 500 : 2000,
      runtime: flag('--runtime') === 'tsx' ? 'tsx' : 'compiled',
    })
      .then((r) => {
        console.log(formatProxyBench(r));
        console.log(JSON.stringify(r));
      })
      .catch(async (e: unknown) => {
        console.error(e);
        await stopAll();
        process.exit(1);
      });
  }
}
