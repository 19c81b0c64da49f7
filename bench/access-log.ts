import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import type { Transport } from '../router/core/types.js';
import { AccessLog } from '../router/http/access-log.js';
import { startProxy } from '../router/http/start.js';
import { Registry } from 'prom-client';
import { parsePrometheusText } from '../test/proxy-prom.js';

/**
 * What the access log costs the proxy: CPU per request with the log off, on (a file on
 * disk) and on with a stalled writer (a FIFO nobody reads: the open never completes, the
 * queue fills, lines are dropped and counted). The proxy runs in this process over an
 * in-memory transport that answers at once, so the proxy's own work is most of the CPU;
 * the load (undici, 32 connections, N requests per round) runs here too and is the same
 * in every variant. Rounds interleave off/on/stalled and each figure is the median of its
 * rounds; printed as ratios against "off" measured in the same run. On a shared machine
 * the rounds' spread is larger than the log's cost, so the log's own work per line is
 * also timed alone (no HTTP, a sink that keeps nothing).
 *
 * Run: `npm run bench -- --only access-log [--quick]` (or `npx tsx bench/access-log.ts`).
 */

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const PER_ROUND = quick ? 3_000 : 10_000;
const CONNECTIONS = 32;
const BODY = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 16 });

const transport: Transport = {
  async send() {
    return { status: 200, headers: {}, body: { choices: [{ message: { role: 'assistant', content: 'hi' } }] }, usage: { inputTokens: 12, outputTokens: 4 } };
  },
};

type Variant = 'off' | 'file' | 'stalled';

async function round(variant: Variant, dir: string, i: number): Promise<{ cpuUs: number; dropped: number; lines: number; rssMb: number }> {
  let dest: string | undefined;
  if (variant === 'file') dest = join(dir, `access-${i}.jsonl`);
  if (variant === 'stalled') {
    dest = join(dir, `fifo-${i}`);
    execFileSync('mkfifo', [dest]);
  }
  const proxy = await startProxy(
    {
      server: { port: 0, ...(dest ? { access_log: dest, access_log_buffer_bytes: 1 << 20 } : {}) },
      endpoints: [{ id: 'a', provider: 'p', model: 'chat', base_url: 'http://127.0.0.1:9/v1' }],
    },
    { transport, port: 0, host: '127.0.0.1' },
  );
  const pool = new Pool(proxy.url, { connections: CONNECTIONS, pipelining: 1 });
  const one = async (): Promise<void> => {
    const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
    await res.body.text();
  };
  // Warm-up, then the measured requests.
  await Promise.all(Array.from({ length: 500 }, one));
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next++ < PER_ROUND) await one();
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  const prom = parsePrometheusText(await proxy.server.metrics.render());
  const dropped = prom.get('llm_router_access_log_dropped_total')?.samples[0]?.value ?? 0;
  const lines = prom.get('llm_router_access_log_lines_total')?.samples[0]?.value ?? 0;
  await pool.close();
  if (variant === 'stalled') {
    // A reader appears (draining what was queued), so the writer's open completes and the proxy can close.
    const reader = createReadStream(dest!).resume();
    await proxy.close();
    reader.destroy();
    rmSync(dest!, { force: true });
  } else await proxy.close();
  if (variant === 'file') statSync(dest!);
  return { cpuUs: (cpu.user + cpu.system) / PER_ROUND, dropped, lines, rssMb };
}

/** The log's own work per line, without HTTP: build the record, attach an attempt, serialise, queue (into a sink that keeps nothing). */
function perLineUs(): number {
  const log = new AccessLog({ dest: 'unused', registry: new Registry(), sink: { write() {}, reopen: async () => {}, flush: async () => {}, close: async () => {} } });
  const N = quick ? 50_000 : 200_000;
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const rec = log.begin(undefined, i, 1);
    rec.model = 'chat';
    log.onRouterEvent({ type: 'attempt-end', at: i + 5, requestId: rec.key, endpointId: 'a', model: 'chat', reason: 'first', ok: true, errorCode: undefined, status: 200, latencyMs: 4, ttftMs: 2, usage: { inputTokens: 12, outputTokens: 4 }, costUsd: 1e-6 });
    log.end(rec, i + 5, 200, null, 'a');
  }
  const c = process.cpuUsage(t0);
  return (c.user + c.system) / N;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-access-log-'));
  const res: Record<Variant, Array<Awaited<ReturnType<typeof round>>>> = { off: [], file: [], stalled: [] };
  try {
    for (let i = 0; i < ROUNDS; i++)
      for (const v of ["off", "file", "stalled"] as const) {
        if (process.env.BENCH_DEBUG) console.error(`round ${i} ${v}`);
        res[v].push(await round(v, dir, i));
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const off = median(res.off.map((r) => r.cpuUs));
  console.log(`access log: CPU per request (proxy + in-process load), median of ${ROUNDS} interleaved rounds of ${PER_ROUND} requests`);
  for (const v of ['off', 'file', 'stalled'] as const) {
    const cpu = median(res[v].map((r) => r.cpuUs));
    const dropped = res[v].reduce((s, r) => s + r.dropped, 0);
    const lines = res[v].reduce((s, r) => s + r.lines, 0);
    const extra = v === 'off' ? '' : `  lines ${lines}, dropped ${dropped} (${((dropped / Math.max(1, lines)) * 100).toFixed(1)}%), RSS ${median(res[v].map((r) => r.rssMb)).toFixed(0)} MB`;
    console.log(`  ${v.padEnd(8)} ${cpu.toFixed(1).padStart(7)} µs/request  x${(cpu / off).toFixed(3)} vs off${extra}`);
  }
  const line = perLineUs();
  console.log(`  the log's own work per line (record, attempt, JSON, queue; no HTTP): ${line.toFixed(2)} µs = ${((line / off) * 100).toFixed(1)}% of "off"`);
}

await main();
process.exit(0);
