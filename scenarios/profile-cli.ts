import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startProviderProcesses, type ProviderProcesses } from '../simulator/processes.js';
import { createWorkload } from '../simulator/workload.js';
import { analyse, createDoctor, type DoctorAnalysis } from './doctor.js';
import { loadScenario, REPO_ROOT, ScenarioError } from './load.js';
import { runOpenLoop } from './open-loop.js';
import { installSignalHandlers, onCleanup, stopAll } from './procs.js';
import { resolveProviders } from './resolve.js';
import { scenarioRouterConfig } from './router-config.js';
import { selectStrategies } from './runner.js';
import { workloadSpec } from './sim-mode.js';
import { strategyName } from './schema.js';

/**
 * `npm run profile -- <scenario> [--strategy s] [--duration S] [--seed N] [--out DIR]`
 *
 * Runs the proxy under @clinic/doctor while the scenario's own open-loop traffic drives
 * it (mock providers in their own processes; the scenario rate x speed, far below what
 * the proxy can take, so doctor sees a healthy load rather than a saturated one).
 * Writes doctor's HTML next to the report (out/<name>/doctor-<strategy>.html) and prints
 * doctor's verdict: its issue category (none / gc / event-loop / io).
 */

const USAGE = 'usage: npm run profile -- <scenario|file.yaml> [--strategy NAME] [--duration S] [--seed N] [--out DIR]';

const VERDICT: Record<string, string> = {
  none: 'none: no performance issue detected',
  gc: 'gc: garbage collection is a bottleneck (memory churn)',
  'event-loop': 'event-loop: the event loop is blocked by synchronous work',
  io: 'io: the process is waiting on I/O (an upstream or a resource)',
  data: 'data: too little data to decide (run longer)',
  unknown: 'unknown: doctor could not classify the run',
};

function parse(argv: string[]): { scenario: string; strategy?: string; durationS?: number; seed?: number; out?: string } {
  let r;
  try {
    r = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { strategy: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } },
    });
  } catch (e) {
    throw new ScenarioError(`${(e as Error).message}\n${USAGE}`);
  }
  if (r.positionals.length !== 1) throw new ScenarioError(`expected one scenario\n${USAGE}`);
  const num = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0) && !(flag === 'seed' && n === 0)) throw new ScenarioError(`--${flag}: expected a positive number, got "${v}"`);
    return n;
  };
  return {
    scenario: r.positionals[0]!,
    strategy: r.values.strategy,
    durationS: num('duration', r.values.duration),
    seed: num('seed', r.values.seed),
    out: r.values.out,
  };
}

async function main(): Promise<number> {
  installSignalHandlers();
  const args = parse(process.argv.slice(2));
  const { scenario, file, where } = loadScenario(args.scenario);
  const ref = selectStrategies(scenario, args.strategy ? [args.strategy] : undefined, where)[0]!;
  const name = strategyName(ref);
  const providers = resolveProviders(scenario, file, where);
  const seed = args.seed ?? scenario.seed;
  const durationS = args.durationS ?? scenario.load.durationS;
  const speed = scenario.http.speed;
  const outDir = resolve(args.out ?? join(REPO_ROOT, 'out', scenario.name));
  mkdirSync(outDir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), `profile-${scenario.name}-`));

  let procs: ProviderProcesses | undefined;
  let proxy: ChildProcess | undefined;
  const dropCleanup = onCleanup(async () => {
    proxy?.kill('SIGKILL');
    await procs?.stop();
  });
  try {
    procs = await startProviderProcesses({ profiles: providers.map((p) => p.profile), seed, speed });
    const baseUrls = Object.fromEntries(procs.providers.map((p) => [p.id, p.url]));
    const configFile = join(tmp, 'router.json');
    writeFileSync(
      configFile,
      JSON.stringify({ ...scenarioRouterConfig(scenario, providers, ref, { baseUrls, speed }), server: { port: 0, host: '127.0.0.1', drainTimeoutMs: 500 } }),
    );
    const requests = [...createWorkload(workloadSpec(scenario, durationS), seed)];
    process.stderr.write(
      `profiling the proxy (strategy ${name}) under clinic doctor: ${requests.length} requests over ${(durationS / speed).toFixed(1)} s...\n`,
    );
    const doctor = createDoctor({ dest: join(outDir, '.clinic'), name: `doctor-${name}` });
    doctor.on('warning', (m) => process.stderr.write(`doctor: ${m}\n`));
    const dataDir = await new Promise<string>((resolveDir, reject) => {
      doctor.on('port', (port, proc, done) => {
        proxy = proc;
        runOpenLoop({
          origin: `http://127.0.0.1:${port}`,
          model: scenario.model,
          requests,
          speed,
          endMs: durationS * 1000,
          connections: 256,
          timeoutMs: 30_000,
          onSample: () => {},
        }).then(
          () => {
            done();
            proc.kill('SIGINT'); // the proxy drains and exits; doctor then writes its data
          },
          (e: unknown) => {
            proc.kill('SIGINT');
            reject(e as Error);
          },
        );
      });
      doctor.collect(
        [process.execPath, '--import', 'tsx', join(REPO_ROOT, 'router/http/cli.ts'), '--config', configFile, '--port', '0'],
        (err, dir) => (err ? reject(err) : resolveDir(dir)),
      );
    });
    proxy = undefined;
    const html = join(outDir, `doctor-${name}.html`);
    await new Promise<void>((res, rej) => doctor.visualize(dataDir, html, (e) => (e ? rej(e) : res())));
    const analysis: DoctorAnalysis = await analyse(dataDir);
    process.stdout.write(`\nclinic doctor verdict: ${VERDICT[analysis.issueCategory] ?? analysis.issueCategory}\n`);
    process.stdout.write(`details: ${JSON.stringify(analysis.issues)}\n`);
    process.stdout.write(`doctor report: ${html}\n`);
    return 0;
  } finally {
    await procs?.stop();
    dropCleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`${e instanceof ScenarioError ? '' : 'profile failed: '}${e instanceof Error ? e.message : String(e)}\n`);
    void stopAll().finally(() => process.exit(e instanceof ScenarioError ? e.exitCode : 1));
  },
);
