/**
 * How much does round-robin's cost per 1k ok depend on the order requests arrive in?
 * Over sockets, two requests sent within about a millisecond can reach the proxy swapped,
 * and round-robin then gives each the other's provider. This assigns a scenario's workload
 * in strict rotation (every provider answering at zero load, as the model says), then swaps
 * K random adjacent pairs, 200 times, and prints the 95% range of the relative change.
 *
 *   npx tsx scripts/order-sensitivity.ts <scenario> [--duration S] [--swaps 1,5,20] [--seed N]
 */
import { deriveRandom } from '../router/core/random.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { loadScenario } from '../scenarios/setup/load.js';
import { resolveProviders } from '../scenarios/setup/resolve.js';
import { workloadSpec } from '../scenarios/modes/sim-mode.js';
import { createProviderModel } from '../simulator/model.js';
import { createWorkload } from '../simulator/workload.js';

const HELP = 'usage: npx tsx scripts/order-sensitivity.ts <scenario> [--duration S (default 8)] [--swaps 1,5,20] [--seed N (default 1)]';
const args = scriptArgs(process.argv.slice(2), { duration: { type: 'string' }, swaps: { type: 'string' }, seed: { type: 'string' } }, HELP);
if (typeof args === 'number') process.exit(args);
const parsed = args;
const name = parsed.positionals[0];
if (!name) {
  process.stderr.write(`a scenario name is required\n${HELP}\n`);
  process.exit(2);
}
const durationS = Number(parsed.values.duration ?? 8);
const swapCounts = (parsed.values.swaps ?? '1,5,20').split(',').map(Number);
const { scenario, file } = loadScenario(name);
const requests = [...createWorkload(workloadSpec(scenario, durationS), scenario.seed)];
const models = resolveProviders(scenario, file).map((p) => createProviderModel(p.profile, scenario.seed));
const cost = requests.map((r) => models.map((m) => m.outcome(r, r.arrivalMs, 0).costUsd));
const per1k = (assign: readonly number[]): number => (1000 * assign.reduce((s, a, i) => s + cost[i]![a]!, 0)) / requests.length;
const rotation = requests.map((_, i) => i % models.length);
const base = per1k(rotation);
const rnd = deriveRandom(Number(parsed.values.seed ?? 1), 'order-sensitivity');
process.stdout.write(`${name}, ${requests.length} requests in ${durationS} s, ${models.length} providers: strict rotation ${base.toFixed(4)} USD per 1k\n`);
for (const k of swapCounts) {
  const rel: number[] = [];
  for (let t = 0; t < 200; t++) {
    const a = [...rotation];
    for (let j = 0; j < k; j++) {
      const i = Math.floor(rnd.next() * (a.length - 1));
      [a[i], a[i + 1]] = [a[i + 1]!, a[i]!];
    }
    rel.push(per1k(a) / base - 1);
  }
  rel.sort((x, y) => x - y);
  process.stdout.write(`${k} swapped pair(s): cost per 1k ok moves ${(100 * rel[5]!).toFixed(1)}% .. ${(100 * rel[194]!).toFixed(1)}% (95% of 200 trials)\n`);
}
