/** `--seeds K` and `--gate`: argument rules, and the CLI exit code when the gate fails. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioArgs } from '../scenarios/cli/args.js';

const root = resolve(import.meta.dirname, '..');

function cli(args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scenarios/cli/cli.ts', ...args], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: err.stdout + err.stderr };
  }
}

describe('scenario --seeds / --gate', () => {
  it('parses K (http too: K runs, one sample each) and refuses --gate outside sim mode', () => {
    expect(parseScenarioArgs(['brownout', '--mode', 'sim', '--seeds', '3']).seeds).toBe(3);
    expect(parseScenarioArgs(['brownout', '--seeds', '3']).seeds).toBe(3);
    expect(() => parseScenarioArgs(['brownout', '--gate', 'x.json'])).toThrow(/--gate needs --mode sim/);
    expect(() => parseScenarioArgs(['brownout', '--mode', 'sim', '--seeds', '0'])).toThrow(/--seeds: expected an integer/);
  });

  it('passes against an identical run and fails (exit 1) against a much better baseline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-'));
    const base = ['outage-failover', '--mode', 'sim', '--seeds', '3', '--duration', '10', '--strategies', 'round-robin', '--quiet'];
    const first = cli([...base, '--out', join(dir, 'a')]);
    expect(first.code).toBe(0);
    const baseline = join(dir, 'a', 'results.json');
    const results = JSON.parse(readFileSync(baseline, 'utf8')) as { strategies: Array<{ ci?: Record<string, { mean: number; lo: number; hi: number }>; summary: { latencyMs: { p99: number } } }> };
    expect(results.strategies[0]!.ci?.['latencyMs.p99']).toBeDefined();

    const same = cli([...base, '--out', join(dir, 'b'), '--gate', baseline]);
    expect(same.code).toBe(0);
    expect(same.out).toContain('gate: passed');

    // Inject a regression by making the saved baseline 3x faster than what the code does.
    const s = results.strategies[0]!;
    const ci = s.ci!['latencyMs.p99']!;
    s.ci!['latencyMs.p99'] = { ...ci, mean: ci.mean / 3, lo: ci.lo / 3, hi: ci.hi / 3 };
    s.summary.latencyMs.p99 /= 3;
    const better = join(dir, 'better.json');
    writeFileSync(better, JSON.stringify(results));
    const worse = cli([...base, '--out', join(dir, 'c'), '--gate', better]);
    expect(worse.code).toBe(1);
    expect(worse.out).toMatch(/round-robin latencyMs\.p99/);
  });
});
