import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { REPO_ROOT } from '../scenarios/setup/load.js';
import { spawnNode, spawnTs, stopAll, type Child } from '../scenarios/modes/procs.js';

/**
 * What the proxy's SSE event check (router/transport/sse-check.ts) costs: the proxy's CPU
 * per streamed event, this checkout against another one (`--before DIR`, e.g. a worktree of
 * main), in one run on one machine. Both proxies are child processes fed by the same paced
 * upstream (bench/stream-check/upstream.mjs: one event per socket write every 2 ms, as real
 * providers send); each round streams STREAMS x EVENTS through one proxy, then the other, and
 * reads the proxy's CPU time from /proc/<pid>/stat (Linux). Printed: median ns per event per
 * side and the median after/before ratio of the interleaved rounds, with its range.
 *
 * Run: `npx tsx bench/stream-check.ts --before /path/to/main-checkout [--rounds 7]`.
 */

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const before = arg('--before');
if (!before) {
  console.error('usage: npx tsx bench/stream-check.ts --before <checkout of the baseline> [--rounds N]');
  process.exit(2);
}
const ROUNDS = Number(arg('--rounds') ?? 7);
const STREAMS = 40;
const EVENTS = 400;

/** CPU ms used so far by a process (utime + stime, 100 Hz ticks). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function portOf(c: Child): Promise<string> {
  return (await c.waitForLine(/listening (\d+)/, 60_000))[1]!;
}

async function round(proxy: Child, port: string): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: STREAMS });
  const c0 = cpuMs(proxy.pid);
  await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      const r = await pool.request({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }),
      });
      const text = await r.body.text();
      if (!text.endsWith('data: [DONE]\n\n')) throw new Error('a stream did not end with [DONE]');
    }),
  );
  const ms = cpuMs(proxy.pid) - c0;
  await pool.close();
  return (ms * 1e6) / (STREAMS * EVENTS);
}

const median = (x: number[]): number => [...x].sort((a, b) => a - b)[x.length >> 1]!;

try {
  const up = spawnNode('upstream', [join(REPO_ROOT, 'bench/stream-check/upstream.mjs')], { env: { EVENTS: String(EVENTS), PACE_MS: '2' } });
  const upPort = await portOf(up);
  const sides = {
    before: spawnTs('proxy-before', 'bench/stream-check/proxy.ts', [before, upPort]),
    after: spawnTs('proxy-after', 'bench/stream-check/proxy.ts', [REPO_ROOT, upPort]),
  };
  const ports = { before: await portOf(sides.before), after: await portOf(sides.after) };
  await round(sides.before, ports.before); // warm-up
  await round(sides.after, ports.after);
  const b: number[] = [];
  const a: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    b.push(await round(sides.before, ports.before));
    a.push(await round(sides.after, ports.after));
  }
  const ratios = b.map((x, i) => a[i]! / x);
  console.log(
    `proxy CPU per streamed event (${STREAMS} streams x ${EVENTS} events, one event per upstream write every 2 ms, ${ROUNDS} interleaved rounds):\n` +
      `  before ${(median(b) / 1000).toFixed(2)} µs  after ${(median(a) / 1000).toFixed(2)} µs  after/before median ${median(ratios).toFixed(3)} (rounds ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`,
  );
} finally {
  await stopAll();
}
