import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadProfile, type ProviderProfile } from './profile.js';
import { startProviderProcesses } from './processes.js';

/**
 * `npm run providers -- --scenario <name> | --profile <file|name>... [--port-base N]
 *  [--speed X] [--seed N] [--min-chunk-ms MS]`
 *
 * Starts one mock provider process per profile and prints, once all listen, one line
 * per provider on stdout:  `provider <id> http://127.0.0.1:<port>/v1`
 * then keeps running until SIGINT/SIGTERM, when it stops every child and exits.
 * Diagnostics go to stderr; a bad scenario/profile exits 2 before anything starts.
 */

const PROFILE_DIR = fileURLToPath(new URL('./profiles/', import.meta.url));

const USAGE = `usage: npm run providers -- (--scenario NAME | --profile FILE|NAME ...) [--port-base N] [--speed X] [--seed N] [--min-chunk-ms MS]`;

function profileFile(ref: string): string {
  if (existsSync(ref)) return ref;
  const named = join(PROFILE_DIR, `${ref}.yaml`);
  if (existsSync(named)) return named;
  throw new Error(`--profile ${ref}: no such file, and no profile named "${ref}" in simulator/profiles/`);
}

function numberArg(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

async function scenarioProfiles(name: string): Promise<{ profiles: ProviderProfile[]; seed: number; speed: number }> {
  // The scenario engineer's loader and resolver: one meaning of a scenario everywhere.
  const { loadScenario } = await import('../scenarios/setup/load.js');
  const { resolveProviders } = await import('../scenarios/setup/resolve.js');
  const { scenario, file, where } = loadScenario(name);
  const profiles = resolveProviders(scenario, file, where).map((p) => p.profile);
  const s = scenario as { seed?: number; http?: { speed?: number } };
  return { profiles, seed: s.seed ?? 1, speed: s.http?.speed ?? 1 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      profile: { type: 'string', multiple: true },
      'port-base': { type: 'string' },
      speed: { type: 'string' },
      seed: { type: 'string' },
      'min-chunk-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const profiles: ProviderProfile[] = [];
  let seed = 1;
  let speed = 1;
  if (values.scenario !== undefined) {
    const s = await scenarioProfiles(values.scenario);
    profiles.push(...s.profiles);
    seed = s.seed;
    speed = s.speed;
  }
  for (const ref of values.profile ?? []) profiles.push(loadProfile(profileFile(ref)));
  if (profiles.length === 0) throw new Error(`no providers: give --scenario or --profile\n${USAGE}`);
  seed = numberArg('seed', values.seed, 0) ?? seed;
  speed = numberArg('speed', values.speed, Number.MIN_VALUE) ?? speed;
  const portBase = numberArg('port-base', values['port-base'], 1);
  const minChunkMs = numberArg('min-chunk-ms', values['min-chunk-ms'], 0);

  const procs = await startProviderProcesses({ profiles, seed, speed, portBase, minChunkMs });
  let stopping = false;
  const stop = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${sig}: stopping ${procs.providers.length} provider(s)\n`);
    void procs.stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  for (const p of procs.providers) process.stdout.write(`provider ${p.id} ${p.url}\n`);
  process.stderr.write(`${procs.providers.length} provider(s) up (seed ${seed}, speed ${speed}); Ctrl-C to stop\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`providers: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
