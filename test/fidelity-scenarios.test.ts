import { describe, expect, it } from 'vitest';
import { scenarioNames } from '../scenarios/setup/load.js';
import { ALONE, KNOWN_DISAGREEMENT, fidelityCases } from './fidelity-cases.js';

/** The fidelity check of every shipped scenario but ALONE's (test/fidelity-cases.ts says how and why). */
describe('sim and http agree on every shipped scenario', () => {
  it('every known disagreement, and every scenario run alone, names a shipped scenario', () => {
    expect([...Object.keys(KNOWN_DISAGREEMENT), ...ALONE].filter((s) => !scenarioNames().includes(s))).toEqual([]);
  });
  fidelityCases(scenarioNames().filter((s) => !ALONE.includes(s)));
});
