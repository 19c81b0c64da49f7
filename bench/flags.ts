/**
 * The flags `npm run bench` (bench/index.ts) takes. It passes all of them, but --only, --json
 * and --compare, to every case it runs (sim.ts, proxy.ts, ...), so a case accepts every one of
 * them, reads those it needs, and refuses any other (exit 2), as a case run alone does too.
 */
export const VALUE_FLAGS = new Set(['--only', '--proxy-rounds', '--store-rounds', '--requests', '--rss-requests', '--semi-space', '--quantum', '--cpu-prof', '--parts', '--connections', '--streams', '--runtime',
  '--loadgen', '--baseline', '--cost-rounds', '--json', '--compare']);
export const BARE_FLAGS = new Set(['--quick', '--stream-body']);

type Opt = { type: 'string' } | { type: 'boolean' };

/** parseArgs options for a case: every flag bench/index.ts may pass it, plus --json-out (where it writes its result). */
export function caseOptions(): Record<string, Opt> {
  const o: Record<string, Opt> = { 'json-out': { type: 'string' } };
  for (const f of VALUE_FLAGS) o[f.slice(2)] = { type: 'string' };
  for (const f of BARE_FLAGS) o[f.slice(2)] = { type: 'boolean' };
  return o;
}
