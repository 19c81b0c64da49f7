import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNode, spawnTs, stopAll, type Child } from '../scenarios/modes/procs.js';
import { startRedis, type TestRedis } from '../test/helpers/redis-server.js';
import { writeFileSync as writeJson } from 'node:fs';
import { closedLoop, compileCli, procCpuS, type TargetCheck } from './proxy.js';
import { medianInterval } from '../scenarios/stats/confidence.js';

/**
 * Store overhead: proxy CPU per request with `store: redis` vs the in-memory default, same
 * run, same mock upstream, same config otherwise (endpoint RPM/TPM limits and a client key
 * with an RPM, so every request goes through both shared admissions).
 *
 * Layout: this process = load generator (autocannon, closed loop); children = mock
 * providers, redis-server (own instance, loopback, no persistence, stopped by PID), the two
 * compiled proxies. Rounds alternate the order (memory first, then redis first, ...); the
 * figure is the median of the per-round ratios (redis CPU µs/request / memory CPU µs/request).
 *
 * Run: `npm run bench -- --only store [--quick] [--store-rounds N]` or `npx tsx bench/store.ts [--quick] [--rounds N] [--cpu-prof DIR]`
 * (`--cpu-prof`: both proxies write a .cpuprofile into DIR when they stop).
 * Goal (issue #16): ratio <= 1.15.
 */
const BODY = JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 16 });
const KEY = 'bench-client-key';

function config(ports: number[], store: unknown): Record<string, unknown> {
  const ep = (id: string, port: number) => ({
    id, provider: 'mock', model: 'fast', upstreamModel: id, baseUrl: `http://127.0.0.1:${port}/v1`,
    limits: { rpm: 100_000_000, tpm: 1_000_000_000 },
  });
  return {
    server: { port: 0, drainTimeoutMs: 2000, clientKeys: [{ name: 'bench', keyEnv: 'BENCH_CLIENT_KEY', rpm: 100_000_000 }] },
    endpoints: [ep('fast-a', ports[0]!), ep('fast-b', ports[1]!)],
    strategy: 'round-robin',
    ...(store ? { store } : {}),
  };
}

const GOAL = 1.15;

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const at = Math.max(process.argv.indexOf('--rounds'), process.argv.indexOf('--store-rounds'));
  const rounds = at > 0 ? Number(process.argv[at + 1]) : quick ? 4 : 10;
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error('--rounds / --store-rounds: expected a positive integer');
    process.exit(2);
  }
  const roundS = quick ? 2 : 4;
  const profAt = process.argv.indexOf('--cpu-prof');
  const cpuProf = profAt > 0 ? process.argv[profAt + 1] : undefined;
  if (profAt > 0 && (cpuProf === undefined || cpuProf.startsWith('--'))) {
    console.error('--cpu-prof: expected a directory');
    process.exit(2);
  }
  const nodeArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [];
  const connections = 32;
  const dir = mkdtempSync(join(tmpdir(), 'bench-store-'));
  const children: Child[] = [];
  let redis: TestRedis | undefined;
  try {
    const up = spawnTs('mock-providers', 'bench/proxy.ts', ['--role', 'upstream']);
    children.push(up);
    const ports = (await up.waitForLine(/^READY ([\d,]+)/, 30_000))[1]!.split(',').map(Number);
    redis = await startRedis();
    const cli = compileCli(dir);
    const start = async (name: string, store: unknown): Promise<{ origin: string; pid: number }> => {
      const f = join(dir, `${name}.json`);
      writeFileSync(f, JSON.stringify(config(ports, store)));
      const p = spawnNode(name, [...nodeArgs, cli, '--config', f], { env: { BENCH_CLIENT_KEY: KEY } });
      children.push(p);
      return { origin: (await p.waitForLine(/listening on (http:\/\/[\d.:]+)/, 30_000))[1]!, pid: p.pid };
    };
    const mem = await start('proxy-memory', null);
    const red = await start('proxy-redis', { kind: 'redis', url: redis.url, key_prefix: 'bench', required: true });
    const path = '/v1/chat/completions';
    const headers = { authorization: `Bearer ${KEY}` };
    const measure = async (t: { origin: string; pid: number }, s: number): Promise<{ rps: number; cpuUs: number; errors: number }> => {
      const c0 = procCpuS(t.pid);
      const r = await closedLoop(t.origin + path, BODY, connections, s, headers);
      return { rps: r.rps, errors: r.errors, cpuUs: ((procCpuS(t.pid) - c0) * 1e6) / (r.rps * s) };
    };
    console.error('warm-up...');
    await measure(mem, 2);
    await measure(red, 2);
    const ratios: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let m, r;
      if (i % 2 === 0) {
        m = await measure(mem, roundS);
        r = await measure(red, roundS);
      } else {
        r = await measure(red, roundS);
        m = await measure(mem, roundS);
      }
      ratios.push(r.cpuUs / m.cpuUs);
      console.log(`round ${i + 1}: memory ${m.cpuUs.toFixed(0)} µs/req (${m.rps.toFixed(0)} req/s, ${m.errors} err)  redis ${r.cpuUs.toFixed(0)} µs/req (${r.rps.toFixed(0)} req/s, ${r.errors} err)  ratio ${(r.cpuUs / m.cpuUs).toFixed(3)}`);
    }
    const sorted = [...ratios].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    const ci = medianInterval(sorted);
    const met = median <= GOAL;
    const ciText = ci ? `>= 95% interval of the median ${ci[0].toFixed(3)}-${ci[1].toFixed(3)}` : `range ${sorted[0]!.toFixed(3)}-${sorted.at(-1)!.toFixed(3)}; no interval below 6 rounds`;
    // The goal is on the median; the interval says whether the rounds could tell.
    const verdict = !met ? 'NOT met' : ci && ci[1] > GOAL ? `met by the median, but its interval reaches ${ci[1].toFixed(3)}` : 'met';
    console.log(`store: proxy CPU per request, redis / memory = ${median.toFixed(3)}x (median of ${rounds} rounds; ${ciText}; goal <= ${GOAL}) ${verdict}`);
    const jsonAt = process.argv.indexOf('--json-out');
    if (jsonAt > 0) {
      const check: TargetCheck = { name: 'store: proxy CPU per request, redis / memory', unit: 'x', value: median, op: '<=', target: GOAL, floor: 1, floorName: 'the in-memory store, same rounds', met };
      writeJson(process.argv[jsonAt + 1]!, JSON.stringify({ ratios, median, interval: ci, checks: [check] }, null, 2));
    }
  } finally {
    for (const c of children) await c.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (e: unknown) => {
  console.error(e);
  await stopAll();
  process.exit(1);
});
