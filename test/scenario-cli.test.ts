import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The CLI's bad-input paths: exit 2 with the message a person needs. Bounded by a timeout. */
function cli(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scenarios/cli/cli.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('npm run scenario (CLI)', () => {
  it('unknown scenario: lists the valid ones, exit 2', () => {
    const r = cli(['no-such-scenario']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown scenario "no-such-scenario"');
    expect(r.stderr).toContain('outage-failover');
  });

  it('malformed scenario file: names file and field, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scn-cli-'));
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'name: broken\nproviders: []\nload: { rate: 1, durationS: 5, mix: [] }\nstrategies: [round-robin]\n');
    const r = cli([file, '--mode', 'sim']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}.providers`);
    expect(r.stderr).toContain(`${file}.load.mix`);
    // No question and no headline metrics either: both named.
    expect(r.stderr).toContain(`${file}.question: required`);
    expect(r.stderr).toContain(`${file}.headline: required`);
  });

  it('a duration past 7 days (flag or file) is refused before anything runs, exit 2', () => {
    const r = cli(['outage-failover', '--mode', 'sim', '--duration', '1e7']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--duration');
    expect(r.stderr).toContain('at most 604800');
    const dir = mkdtempSync(join(tmpdir(), 'scn-cli-long-'));
    const file = join(dir, 'long.yaml');
    writeFileSync(
      file,
      'name: long\nproviders: [{ id: a, profile: openai-gpt-4o-mini }]\nload: { rate: 1, durationS: 1e9, mix: [{ class: general }] }\nstrategies: [round-robin]\n',
    );
    const f = cli([file, '--mode', 'sim']);
    expect(f.status).toBe(2);
    expect(f.stderr).toContain(`${file}.load.durationS: at most 604800 s (7 days)`);
  });

  it('--seeds 0: exit 2 naming the flag', () => {
    const r = cli(['outage-failover', '--mode', 'sim', '--seeds', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--seeds: expected an integer from 1 to 1000, got "0"');
  });

  it('unknown strategy: lists the valid ones, exit 2', () => {
    const r = cli(['outage-failover', '--mode', 'sim', '--strategies', 'fastest']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('valid strategies');
  });

  it('--gate with a missing baseline: exit 2 naming the file, before anything runs or is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scn-cli-gate-'));
    const out = join(dir, 'out');
    const r = cli(['outage-failover', '--mode', 'sim', '--gate', join(dir, 'missing.json'), '--out', out, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`cannot read baseline ${join(dir, 'missing.json')}`);
    expect(r.stdout).not.toContain('wrote');
    expect(existsSync(out)).toBe(false);
  });

  it('sim run prints the summary table', () => {
    const out = mkdtempSync(join(tmpdir(), 'scn-cli-out-'));
    const r = cli(['outage-failover', '--mode', 'sim', '--duration', '5', '--strategies', 'round-robin,cost', '--out', out, '--quiet']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/strategy\s+ok %\s+goodput\/s\s+p50 ms\s+p99 ms\s+p99\.9 ms\s+\$\/1k ok\s+failover s/);
    expect(r.stdout).toContain('round-robin');
    expect(r.stdout).toContain('cost');
  });
});
