import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Two forks, one per core of the CI machine (vitest's default is cores − 1 = one file at a
 * time on 2 cores). Files start longest first, so neither fork is left with a long file at
 * the end: the real-time fidelity check (≈ 7 min, mostly waiting on loopback sockets) takes
 * one fork while the other works through the CPU-bound files, then joins it.
 */
const FIRST = [
  'test/fidelity-scenarios.test.ts',
  'test/scenario-expected-winner.test.ts',
  'test/cli-help.test.ts',
];

/**
 * Real-time checks whose tails a busy second core moves (test/fidelity-cases.ts ALONE says
 * which and why): they run after every other file, alone on the machine.
 */
const ALONE = ['test/fidelity-alone.test.ts'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = FIRST.indexOf(relative(process.cwd(), f.moduleId).split('\\').join('/'));
      return i < 0 ? FIRST.length : i;
    };
    const rest = await super.sort(files.filter((f) => rank(f) === FIRST.length));
    return [...files.filter((f) => rank(f) < FIRST.length).sort((a, b) => rank(a) - rank(b)), ...rest];
  }
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts', 'router/**/*.test.ts', 'simulator/**/*.test.ts', 'scenarios/**/*.test.ts', 'reports/**/*.test.ts'],
          exclude: [...ALONE, '**/node_modules/**'],
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'alone', include: ALONE, sequence: { groupOrder: 1 } } },
    ],
  },
});
