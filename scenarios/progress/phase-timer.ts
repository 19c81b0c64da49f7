/**
 * `SCENARIO_TIMING=1 npm run scenario ...` prints when each phase of a run ends (seconds
 * since the process started: imports, scenario loaded, simulation, results.json, each
 * chart, report) on stderr. For chasing the run's wall time; silent otherwise.
 */
const on = Boolean(process.env['SCENARIO_TIMING']);

export function phase(what: string): void {
  if (on) process.stderr.write(`[timing] ${(performance.now() / 1000).toFixed(2)} s ${what}\n`);
}
