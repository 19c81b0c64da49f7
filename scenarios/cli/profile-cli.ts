import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startProviderProcesses, type ProviderProcesses } from '../../simulator/processes.js';
import type { SimRequest } from '../../simulator/types.js';
import { createWorkload } from '../../simulator/workload.js';
import { analyse, buildProfiledProxy, catchingUncaught, checkDoctorData, createDoctor, doctorDataDir, finishProfiledChild } from './doctor.js';
import { loadScenario, REPO_ROOT, ScenarioError } from '../setup/load.js';
import { runOpenLoop } from '../load/open-loop.js';
import { installSignalHandlers, onCleanup, stopAll } from '../modes/procs.js';
import { resolveProviders } from '../setup/resolve.js';
import { scenarioRouterConfig } from '../setup/router-config.js';
import { selectStrategies } from '../modes/runner.js';
import { workloadSpec } from '../modes/sim-mode.js';
import { strategyName } from '../spec/schema.js';

/**
 * `npm run profile -- <scenario> [--strategy s] [--duration S] [--seed N] [--out DIR]`
 *
 * Runs the proxy under @clinic/doctor while the scenario's own open-loop traffic drives
 * it (mock providers in their own processes; the scenario rate x speed, far below what
 * the proxy can take, so doctor sees a healthy load rather than a saturated one).
 * Writes doctor's HTML next to the report (out/<name>/doctor-<strategy>.html) and prints
 * doctor's verdict: its issue category (none / gc / event-loop / io).
 *
 * The proxy runs as an esbuild bundle, not through tsx (tsx's loader threads would each
 * run doctor's sampler and corrupt its data; see doctor.ts), and is stopped through
 * doctor's own `done()` so its sampler flushes. If doctor still fails to collect, or
 * its data does not decode, we collect once more; if that fails too, we print one line
 * saying what failed and where the raw data is, and exit 1.
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
      options: { strategy: { type: 'string' }, duration: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    throw new ScenarioError(`${(e as Error).message}\n${USAGE}`);
  }
  if (r.values.help) throw new ScenarioError(USAGE, 0);
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

/** Doctor itself failed to collect (not our load or the proxy's startup): worth one more try. */
class DoctorFailure extends Error {}

/** One line, for an error message built from another error's message. */
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

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
  const dest = join(outDir, '.clinic');
  mkdirSync(outDir, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), `profile-${scenario.name}-`));
  // The bundled proxy resolves its packages from node_modules, so it must live in the repo.
  mkdirSync(join(REPO_ROOT, 'out'), { recursive: true });
  const buildDir = mkdtempSync(join(REPO_ROOT, 'out', '.profile-proxy-'));

  let procs: ProviderProcesses | undefined;
  let proxy: ChildProcess | undefined;
  const dropCleanup = onCleanup(async () => {
    proxy?.kill('SIGKILL');
    await procs?.stop();
  });

  /**
   * Start the providers, run the proxy under doctor while the open loop drives it, stop
   * everything; returns doctor's data directory. Fresh providers each time (their
   * outage timeline starts when they do) and a fresh cwd: the child writes
   * node_trace.*.log there, and doctor refuses to start if one is left over.
   */
  const collectOnce = async (proxyJs: string, requests: SimRequest[], runName: string): Promise<string> => {
    rmSync(doctorDataDir(dest, runName), { recursive: true, force: true });
    procs = await startProviderProcesses({ profiles: providers.map((p) => p.profile), seed, speed });
    const cwd = process.cwd();
    try {
      const baseUrls = Object.fromEntries(procs.providers.map((p) => [p.id, p.url]));
      const configFile = join(tmp, 'router.json');
      writeFileSync(
        configFile,
        JSON.stringify({ ...scenarioRouterConfig(scenario, providers, ref, { baseUrls, speed }), server: { port: 0, host: '127.0.0.1', drainTimeoutMs: 500 } }),
      );
      const doctor = createDoctor({ dest, name: runName });
      doctor.on('warning', (m) => process.stderr.write(`doctor: ${m}\n`));
      let load: Promise<void> | undefined;
      process.chdir(mkdtempSync(join(tmp, 'cwd-')));
      const collected = await new Promise<string>((resolveDir, reject) => {
        doctor.on('port', (port, proc, done) => {
          proxy = proc;
          load = runOpenLoop({
            origin: `http://127.0.0.1:${port}`,
            model: scenario.model,
            requests,
            speed,
            endMs: durationS * 1000,
            connections: 256,
            timeoutMs: 30_000,
            onSample: () => {},
          })
            .then(() => undefined)
            .finally(() => finishProfiledChild(proc, done));
          load.catch(() => {}); // awaited below
        });
        doctor.collect([process.execPath, proxyJs, '--config', configFile, '--port', '0'], (err, dir) =>
          err ? reject(new DoctorFailure(`clinic doctor: ${err.message}`)) : resolveDir(dir),
        );
      }).then(
        (dir) => ({ dir }),
        (e: unknown) => ({ error: e as Error }),
      );
      if (load) await load; // a load error is ours, not doctor's: no retry
      if ('error' in collected) throw collected.error;
      if (!load) throw new Error('the proxy exited under clinic doctor before it listened (its output is above)');
      return collected.dir;
    } finally {
      process.chdir(cwd);
      proxy = undefined;
      await procs.stop();
      procs = undefined;
    }
  };

  try {
    const proxyJs = await buildProfiledProxy(buildDir);
    const requests = [...createWorkload(workloadSpec(scenario, durationS), seed)];
    process.stderr.write(
      `profiling the proxy (strategy ${name}) under clinic doctor: ${requests.length} requests over ${(durationS / speed).toFixed(1)} s...\n`,
    );
    // Doctor can fail to collect, or write files its own decoders cannot read: check
    // the data before its report and analysis read it, and collect once more if so.
    let dataDir = '';
    rmSync(doctorDataDir(dest, `doctor-${name}-retry`), { recursive: true, force: true }); // an earlier run's
    for (let attempt = 1; ; attempt++) {
      const runName = attempt === 1 ? `doctor-${name}` : `doctor-${name}-retry`;
      let problem: string | undefined;
      try {
        dataDir = await collectOnce(proxyJs, requests, runName);
        problem = checkDoctorData(dataDir);
      } catch (e) {
        if (!(e instanceof DoctorFailure)) throw e;
        dataDir = doctorDataDir(dest, runName);
        problem = e.message;
      }
      if (!problem) break;
      problem = oneLine(problem);
      if (attempt === 2) throw new Error(`clinic doctor failed twice, last with: ${problem}; raw data: ${dataDir}`);
      process.stderr.write(`doctor: unusable data (${problem}) in ${dataDir}; collecting once more\n`);
    }

    const html = join(outDir, `doctor-${name}.html`);
    const analysis = await catchingUncaught(async () => {
      await new Promise<void>((res, rej) => createDoctor({ dest, name: `doctor-${name}` }).visualize(dataDir, html, (e) => (e ? rej(e) : res())));
      return analyse(dataDir);
    }).catch((e: unknown) => {
      throw new Error(`clinic doctor could not analyse its data: ${oneLine(e instanceof Error ? e.message : String(e))}; raw data: ${dataDir}`);
    });
    process.stdout.write(`\nclinic doctor verdict: ${VERDICT[analysis.issueCategory] ?? analysis.issueCategory}\n`);
    process.stdout.write(`details: ${JSON.stringify(analysis.issues)}\n`);
    process.stdout.write(`doctor report: ${html}\n`);
    return 0;
  } finally {
    await procs?.stop();
    dropCleanup();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(buildDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const help = e instanceof ScenarioError && e.exitCode === 0;
    (help ? process.stdout : process.stderr).write(`${e instanceof ScenarioError ? '' : 'profile failed: '}${e instanceof Error ? e.message : String(e)}\n`);
    void stopAll().finally(() => process.exit(e instanceof ScenarioError ? e.exitCode : 1));
  },
);
