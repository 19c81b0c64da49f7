import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResultsFile } from '../reports/contract.js';
import { parseResults } from '../reports/validate.js';

/** Shared fixtures for the report tests: the bundled sample, plus variants shaped like other runs. */

export const FIXTURE = fileURLToPath(new URL('../reports/fixtures/sample-results.json', import.meta.url));

/** A fresh deep copy each call, so tests may mutate it. */
export function sampleJson(): Record<string, any> {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, any>;
}

export function sample(): ResultsFile {
  return parseResults(sampleJson(), 'sample-results.json');
}

/** An http-mode run: no regret, no CI, no faults, no SLOs, two strategies. */
export function httpLike(): ResultsFile {
  const r = sample();
  return {
    scenario: 'flash-crowd',
    mode: 'http',
    seed: 7,
    durationS: 60,
    strategies: r.strategies.slice(0, 2).map(({ regret: _r, ci: _c, ...s }) => s),
  };
}

/** An hour-long run: one timeline point per second, to exercise downsampling. */
export function longRun(seconds = 3600): ResultsFile {
  const r = sample();
  return {
    ...r,
    durationS: seconds,
    strategies: r.strategies.map((s) => ({
      ...s,
      timeline: Array.from({ length: seconds }, (_, t) => ({ ...s.timeline[t % s.timeline.length]!, t })),
    })),
  };
}
