import { parseScenarioArgs } from './args.js';
import { ScenarioError } from './load.js';
import { installSignalHandlers, stopAll } from './procs.js';
import { createProgress } from './progress.js';
import { runScenario } from './runner.js';
import { formatSummary } from './summary.js';

/**
 * `npm run scenario <name|file.yaml> -- [--mode http|sim] [--strategies a,b|all]
 *  [--seed N] [--duration S] [--out DIR] [--speed K] [--driver autocannon|open-loop]`
 *
 * Exit codes: 0 done; 1 the run failed (a child died, a port was taken...); 2 bad input
 * (unknown scenario: the valid names are listed; malformed file: file and field named).
 * Every child process is stopped on every path out, signals included.
 */
async function main(): Promise<number> {
  installSignalHandlers();
  let args;
  try {
    args = parseScenarioArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ScenarioError) {
      (e.exitCode === 0 ? process.stdout : process.stderr).write(`${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  const progress = createProgress({ quiet: args.quiet });
  const started = performance.now();
  try {
    const run = await runScenario({ ...args, progress });
    progress.stop();
    process.stdout.write(`\n${formatSummary(run.results)}\n`);
    process.stdout.write(`\nwrote ${run.outDir}/ (results.json, report.html, charts) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  } catch (e) {
    progress.stop();
    if (e instanceof ScenarioError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`scenario failed: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`scenario: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
