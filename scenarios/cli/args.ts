import { parseArgs } from 'node:util';
import { ScenarioError } from '../setup/load.js';
import { MAX_DURATION_S } from '../../simulator/types.js';
import { parseSweep, type SweepSpec } from '../seeds/sweep.js';

/**
 * Command-line options of `npm run scenario <name> -- [...]`. Parsing is strict:
 * an unknown flag or a bad value is a ScenarioError (exit 2) naming the flag.
 */
export interface ScenarioArgs {
  scenario: string;
  /** both: sim then http on the same seed, and the fidelity check (fidelity-run.ts). */
  mode: 'http' | 'sim' | 'both';
  /** undefined = the scenario's list; 'all' = the scenario's list plus every registered strategy. */
  strategies: string[] | 'all' | undefined;
  seed: number | undefined;
  durationS: number | undefined;
  out: string | undefined;
  speed: number | undefined;
  driver: 'autocannon' | 'open-loop' | undefined;
  quiet: boolean;
  /** sim: skip the oracle/regret (faster for very long runs). */
  oracle: boolean;
  /**
   * K seeds (seed, seed+1, ...): means with 95% confidence intervals and paired verdicts.
   * undefined = the mode's default (sim: DEFAULT_SIM_SEEDS; http: 1, one run is one sample).
   */
  seeds: number | undefined;
  /** A saved baseline results.json: exit 1 when a strategy is significantly worse. */
  gate: string | undefined;
  /** sim: worker threads for the strategies (1 = this thread); undefined = automatic. */
  workers: number | undefined;
  /** sim: capacity sweep over the offered load (scenarios/seeds/sweep.ts). */
  sweep: SweepSpec | undefined;
  /** http: N proxy replicas per strategy behind the load generator (scenarios/spec/replicas.ts); overrides replicas.count. */
  replicas: number | undefined;
}

/** Paired seeds a sim-mode run uses unless --seeds says otherwise (a few seconds of CPU per shipped scenario). */
export const DEFAULT_SIM_SEEDS = 10;

export const USAGE = `usage: npm run scenario <name|file.yaml> -- [--mode http|sim|both] [--strategies a,b|all] [--seed N]
                     [--duration S] [--out DIR] [--speed K] [--driver autocannon|open-loop] [--no-oracle] [--quiet]
                     [--seeds K]   (K paired seeds and a verdict; sim default ${DEFAULT_SIM_SEEDS}, --seeds 1 = a single run;
                     http default 1: one run is one sample; with K > 1, --duration runs the first S seconds
                     of the timeline instead of rescaling it)
                     [--gate baseline/results.json]   (sim mode)
                     [--sweep rate=FROM..TO[/STEPS]]   (sim mode: capacity sweep over the offered load, req/s)
                     [--replicas N]   (http mode: N proxy processes per strategy, the load spread round-robin;
                     <strategy>@shared ones share one redis-server started on a free loopback port)
                     [--workers N]   (sim mode: strategies in parallel on N threads; 1 = one after another
                     in this thread; default min(cores, strategies) for runs big enough to gain)
                     --mode both: sim and http (open loop) on the same seed, then the fidelity check: writes
                     fidelity.json and fidelity.svg/.png beside sim/ and http/; exits 1 when outside tolerance`;

function num(flag: string, v: string | undefined, check: (n: number) => boolean, expect: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || !check(n)) throw new ScenarioError(`--${flag}: expected ${expect}, got "${v}"\n${USAGE}`);
  return n;
}

export function parseScenarioArgs(argv: readonly string[]): ScenarioArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        mode: { type: 'string' },
        strategies: { type: 'string' },
        strategy: { type: 'string' },
        seed: { type: 'string' },
        duration: { type: 'string' },
        out: { type: 'string' },
        speed: { type: 'string' },
        driver: { type: 'string' },
        quiet: { type: 'boolean', default: false },
        'no-oracle': { type: 'boolean', default: false },
        seeds: { type: 'string' },
        gate: { type: 'string' },
        workers: { type: 'string' },
        sweep: { type: 'string' },
        replicas: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new ScenarioError(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new ScenarioError(USAGE, 0);
  if (positionals.length !== 1)
    throw new ScenarioError(`${positionals.length === 0 ? 'missing the scenario name' : `one scenario at a time, got: ${positionals.join(' ')}`}\n${USAGE}`);
  const mode = values.mode ?? 'http';
  if (mode !== 'http' && mode !== 'sim' && mode !== 'both') throw new ScenarioError(`--mode: expected http, sim or both, got "${mode}"`);
  if (mode === 'both' && values.driver !== undefined) throw new ScenarioError(`--driver: --mode both always drives http mode open loop (the same requests at the same times as sim)`);
  const driver = values.driver;
  if (driver !== undefined && driver !== 'autocannon' && driver !== 'open-loop')
    throw new ScenarioError(`--driver: expected autocannon or open-loop, got "${driver}"`);
  const list = values.strategies ?? values.strategy;
  let strategies: ScenarioArgs['strategies'];
  if (list !== undefined) {
    const names = list.split(',').map((s) => s.trim()).filter(Boolean);
    if (names.length === 0) throw new ScenarioError('--strategies: expected a comma-separated list or "all"');
    strategies = names.length === 1 && names[0] === 'all' ? 'all' : names;
  }
  const seeds = num('seeds', values.seeds, (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'an integer from 1 to 1000');
  if (values.gate !== undefined && mode !== 'sim') throw new ScenarioError(`--gate needs --mode sim (replications in virtual time)\n${USAGE}`);
  if (values.sweep !== undefined && mode !== 'sim') throw new ScenarioError(`--sweep needs --mode sim (a capacity sweep runs in virtual time)\n${USAGE}`);
  const sweep = values.sweep !== undefined ? parseSweep(values.sweep) : undefined;
  if (values.replicas !== undefined && mode !== 'http')
    throw new ScenarioError(`--replicas needs --mode http (in sim, the scenario's replicas: { count } block sets it)\n${USAGE}`);
  return {
    scenario: positionals[0]!,
    mode,
    strategies,
    seed: num('seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer'),
    durationS: num('duration', values.duration, (n) => n > 0 && n <= MAX_DURATION_S, `seconds > 0, at most ${MAX_DURATION_S} (7 days)`),
    out: values.out,
    speed: num('speed', values.speed, (n) => n > 0, 'a number > 0'),
    driver,
    quiet: values.quiet ?? false,
    oracle: !(values['no-oracle'] ?? false),
    seeds,
    gate: values.gate,
    workers: num('workers', values.workers, (n) => Number.isInteger(n) && n >= 1 && n <= 256, 'an integer from 1 to 256'),
    sweep,
    replicas: num('replicas', values.replicas, (n) => Number.isInteger(n) && n >= 2 && n <= 64, 'an integer from 2 to 64'),
  };
}
