/**
 * How close a strategy comes to instant failover in a scenario with one fault window, in sim
 * mode, per seed from the scenario's own (plus --seed-offset):
 *   npx tsx scripts/failover-bound.ts <scenario> [--strategy S] [--seeds K] [--seed-offset N]
 * Three runs of the same requests: as the scenario is (fault), with no fault (every provider's
 * timeline removed) and without the faulted provider at all. "bound": each request arriving in the
 * fault window as served by the fleet without that provider, every other one as with no fault,
 * i.e. a router that leaves the provider the instant the fault starts, never probes it, and comes
 * back the instant it ends. p99 over the successful requests (rank ceil(0.99 n)), mean [95% t]
 * over seeds, and the paired differences. Exits 2 on bad input.
 */
import { primaryFault } from '../scenarios/setup/faults.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { tInterval } from '../scenarios/stats/confidence.js';
import { loadForScript, simOnce, type ScriptScenario } from './sim-once.js';

const USAGE = 'usage: npx tsx scripts/failover-bound.ts <scenario> [--strategy S] [--seeds K] [--seed-offset N]';

/** The p99 of the successful latencies (rank ceil(0.99 n)). */
function p99(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(0.99 * s.length) - 1)] ?? NaN;
}

/** Latency of each successful request by id (failures: absent). */
async function latencies(s: ScriptScenario, strategy: string, seed: number): Promise<Map<number, { at: number; ms: number | null }>> {
  const out = new Map<number, { at: number; ms: number | null }>();
  await simOnce(s, strategy, seed, { oracle: false, onRequest: (o) => void out.set(o.id, { at: o.arrivalMs, ms: o.ok ? o.latencyMs : null }) });
  return out;
}

async function main(): Promise<number> {
  const args = scriptArgs(
    process.argv.slice(2),
    { strategy: { type: 'string', default: 'adaptive' }, seeds: { type: 'string', default: '10' }, 'seed-offset': { type: 'string', default: '0' } },
    USAGE,
  );
  if (typeof args === 'number') return args;
  const { values, positionals } = args;
  const k = Number(values.seeds);
  const offset = Number(values['seed-offset']);
  if (positionals.length !== 1 || !Number.isInteger(k) || k < 2 || !Number.isInteger(offset) || offset < 0) {
    process.stderr.write(`expected one scenario, --seeds >= 2, --seed-offset >= 0\n${USAGE}\n`);
    return 2;
  }
  const s = loadForScript(positionals[0]!);
  if (s === 2) return 2;
  const fault = primaryFault(s.providers, s.durationS);
  if (fault === undefined) {
    process.stderr.write(`${s.scenario.name} has no fault window\n`);
    return 2;
  }
  const calm = s.providers.map((p) => ({ ...p, profile: { ...p.profile, timeline: [] } }));
  const noFault: ScriptScenario = { ...s, providers: calm };
  const without: ScriptScenario = { ...s, providers: calm.filter((p) => p.id !== fault.provider) };
  const from = fault.startS * 1000;
  const to = (fault.endS ?? s.durationS) * 1000;
  const rows: Record<'fault' | 'no fault' | 'bound', number[]> = { fault: [], 'no fault': [], bound: [] };
  for (let i = 0; i < k; i++) {
    const seed = s.scenario.seed + offset + i;
    const [f, n, w] = [await latencies(s, values.strategy, seed), await latencies(noFault, values.strategy, seed), await latencies(without, values.strategy, seed)];
    const ok = (m: Map<number, { ms: number | null }>): number[] => [...m.values()].flatMap((r) => (r.ms === null ? [] : [r.ms]));
    const bound: number[] = [];
    for (const [id, r] of n) {
      const src = r.at >= from && r.at < to ? w.get(id) : r;
      if (src === undefined) throw new Error(`seed ${seed}: request ${id} missing from the run without ${fault.provider}`);
      if (src.ms !== null) bound.push(src.ms);
    }
    rows.fault.push(p99(ok(f)));
    rows['no fault'].push(p99(ok(n)));
    rows.bound.push(p99(bound));
  }
  const fmt = (xs: number[]): string => {
    const v = tInterval(xs);
    return `${v.mean.toFixed(0)} [${v.lo.toFixed(0)}, ${v.hi.toFixed(0)}]`;
  };
  const diff = (a: number[], b: number[]): number[] => a.map((x, i) => x - b[i]!);
  console.log(
    `${s.scenario.name}, ${values.strategy}, seeds ${s.scenario.seed + offset}..${s.scenario.seed + offset + k - 1}; fault on ${fault.provider} ${fault.startS}-${fault.endS ?? s.durationS} s; p99 ms, mean [95% t]`,
  );
  for (const [name, xs] of Object.entries(rows)) console.log(`  ${name.padEnd(9)} ${fmt(xs)}`);
  console.log(`  fault - bound     ${fmt(diff(rows.fault, rows.bound))}`);
  console.log(`  bound - no fault  ${fmt(diff(rows.bound, rows['no fault']))}`);
  return 0;
}

process.exitCode = await main();
