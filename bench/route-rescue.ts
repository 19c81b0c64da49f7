/**
 * CPU per route() with the hang rescue (hedging.onHang) on vs off, adaptive over 2 endpoints, a
 * transport answering at once (JSON), the system clock; interleaved rounds, median of 10:
 *   npx tsx bench/route-rescue.ts
 */
import { createRouter } from '../router/index.js';
import type { Transport } from '../router/core/types.js';
import { scriptArgs } from '../scenarios/cli/strict-args.js';

const parsed = scriptArgs(process.argv.slice(2), {}, 'usage: npx tsx bench/route-rescue.ts');
if (typeof parsed === 'number') process.exit(parsed);
const t: Transport = { send: async () => ({ status: 200, headers: {}, body: { ok: true }, usage: { inputTokens: 10, outputTokens: 10 } }), check: async () => true } as unknown as Transport;
const mk = (on: boolean) => createRouter({ endpoints: [{ id: 'a', provider: 'p', model: 'm' }, { id: 'b', provider: 'q', model: 'm' }], strategy: 'adaptive', hedging: { onHang: { enabled: on } } }, { transport: t });
const routers = { off: mk(false), on: mk(true) };
async function round(r: ReturnType<typeof mk>, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: 50 }, () => r.route({ model: 'm', messages: [{ role: 'user', content: 'hi' }] } as never)));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}
const res: { off: number[]; on: number[] } = { off: [], on: [] };
for (let k = 0; k < 12; k++) for (const name of (k % 2 ? ['on', 'off'] : ['off', 'on']) as ('on' | 'off')[]) res[name].push(await round(routers[name], 20000));
const med = (xs: number[]) => xs.slice(2).sort((a, b) => a - b)[Math.floor((xs.length - 2) / 2)]!;
console.log('µs CPU per route, median of 10 rounds (2 warm-up dropped): off', med(res.off).toFixed(2), 'on', med(res.on).toFixed(2), 'ratio', (med(res.on) / med(res.off)).toFixed(3));
process.exit(0);
