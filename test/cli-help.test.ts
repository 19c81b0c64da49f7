/**
 * Every npm script a person runs (all but test/typecheck/build) answers --help with exit 0
 * and its usage on stdout, and an unknown flag with exit 2 and the usage on stderr, before
 * starting any work. The scripts are read from package.json, so a new one is covered.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const scripts = (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const TOOLS = Object.entries(scripts).filter(([name]) => !['test', 'typecheck', 'build'].includes(name));

/** Run a script's command (`tsx file` or `node file`) directly, bounded in time. */
function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [bin, file] = command.split(' ') as [string, string];
  const argv = bin === 'tsx' ? ['--import', 'tsx', file, ...args] : [file, ...args];
  return new Promise((done) => {
    execFile(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

describe('npm scripts: --help and bad flags', () => {
  it('covers the scripts a person runs', () => {
    expect(TOOLS.map(([n]) => n)).toEqual(expect.arrayContaining(['scenario', 'router', 'providers', 'tune', 'bench', 'profile', 'report', 'train-classifier', 'convert']));
    for (const [, cmd] of TOOLS) expect(cmd).toMatch(/^(tsx|node) \S+$/);
  });

  it('each answers --help with exit 0 and a usage line; an unknown flag with exit 2', { timeout: 240_000 }, async () => {
    // Two processes at a time (two cores; the whole suite runs beside this test).
    const results: Array<{ name: string; help: Awaited<ReturnType<typeof run>>; bad: Awaited<ReturnType<typeof run>> }> = [];
    for (const [name, cmd] of TOOLS) {
      const [help, bad] = await Promise.all([run(cmd, ['--help']), run(cmd, ['--no-such-flag'])]);
      results.push({ name, help, bad });
    }
    for (const { name, help, bad } of results) {
      expect(help.code, `${name} --help: ${help.stderr}`).toBe(0);
      expect(help.stdout, name).toMatch(/usage: /);
      expect(bad.code, `${name} --no-such-flag: ${bad.stdout}${bad.stderr}`).toBe(2);
      expect(bad.stderr, name).toMatch(/no-such-flag/);
    }
  });

  /** A scenario script: --help exits 0 with its usage; an unknown flag (after `flagArgs`) or scenario exits 2 naming it. */
  async function rejectsBadFlagAndScenario(cmd: string, flagArgs: string[]): Promise<void> {
    const [help, flag, name] = await Promise.all([run(cmd, ['--help']), run(cmd, [...flagArgs, '--no-such-flag']), run(cmd, ['no-such-scenario'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: /);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/no-such-flag/);
    expect(name.code).toBe(2);
    expect(name.stderr).toMatch(/unknown scenario "no-such-scenario"/);
  }

  it('scripts/verdicts.ts and paired-verdicts.ts: --help exits 0; an unknown flag or scenario exits 2 with a message, before any run', { timeout: 60_000 }, async () => {
    await rejectsBadFlagAndScenario('tsx scripts/verdicts.ts', []);
    const [pHelp, pFlag] = await Promise.all([run('tsx scripts/paired-verdicts.ts', ['--help']), run('tsx scripts/paired-verdicts.ts', ['--no-such-flag'])]);
    expect(pHelp.code).toBe(0);
    expect(pHelp.stdout).toMatch(/usage: /);
    expect(pFlag.code).toBe(2);
    expect(pFlag.stderr).toMatch(/no-such-flag/);
  });

  it('bench cases run alone (bench/sim.ts, bench/proxy.ts): --help exits 0, an unknown flag 2; a flag npm run bench passes for another case is accepted', { timeout: 60_000 }, async () => {
    for (const file of ['bench/sim.ts', 'bench/proxy.ts']) {
      const [help, other, bad] = await Promise.all([
        run(`tsx ${file}`, ['--help']),
        run(`tsx ${file}`, ['--store-rounds', '3', '--proxy-rounds', '2', '--cost-rounds', '2', '--help']),
        run(`tsx ${file}`, ['--no-such-flag']),
      ]);
      expect(help.code, file).toBe(0);
      expect(help.stdout, file).toMatch(/usage: /);
      expect(other.code, `${file}: ${other.stderr}`).toBe(0);
      expect(bad.code, file).toBe(2);
      expect(bad.stderr, file).toMatch(/no-such-flag/);
    }
  });

  it('scripts/failover-bound.ts: --help exits 0; an unknown flag or scenario exits 2 with a message, before any run', { timeout: 60_000 }, async () => {
    await rejectsBadFlagAndScenario('tsx scripts/failover-bound.ts', ['brownout']);
  });

  it('scripts/standings.ts: --help exits 0; an unknown flag or scenario, or a bad --cost, exits 2 with a message, before any run', { timeout: 60_000 }, async () => {
    await rejectsBadFlagAndScenario('tsx scripts/standings.ts', []);
    const cost = await run('tsx scripts/standings.ts', ['--cost', 'bogus', 'brownout']);
    expect(cost.code).toBe(2);
    expect(cost.stderr).toMatch(/--cost: billed or attempts, got "bogus"/);
    const readme = await run('tsx scripts/standings.ts', ['--cost', 'attempts', '--readme', 'README.md', 'brownout']);
    expect(readme.code).toBe(2);
    expect(readme.stderr).toMatch(/--cost attempts cannot be combined with --readme/);
  });

  it('bench/proxy.ts: --parts other than the letters a, b, c exits 2 with a message, before starting anything', { timeout: 60_000 }, async () => {
    const bad = await run('tsx bench/proxy.ts', ['--parts', 'xyz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--parts takes any of the letters a, b, c \(got "xyz"\)/);
  });

  it('bench/idle-deps.ts: --help exits 0; an unknown flag or a bad --runs exits 2', { timeout: 60_000 }, async () => {
    const [help, bad, runs] = await Promise.all([
      run('tsx bench/idle-deps.ts', ['--help']),
      run('tsx bench/idle-deps.ts', ['--no-such-flag']),
      run('tsx bench/idle-deps.ts', ['--runs', '0']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: /);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no-such-flag/);
    expect(runs.code).toBe(2);
    expect(runs.stderr).toMatch(/--runs takes a positive integer/);
  });
});
