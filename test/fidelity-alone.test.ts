import { describe } from 'vitest';
import { ALONE, fidelityCases } from './fidelity-cases.js';

/** The fidelity check of the scenarios that run alone on the machine (test/fidelity-cases.ts ALONE; vitest.config.ts runs this file last). */
describe('sim and http agree on every shipped scenario (run alone)', () => {
  fidelityCases(ALONE);
});
