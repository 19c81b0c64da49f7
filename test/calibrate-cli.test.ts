/** `npm run calibrate`: bad input exits 2 with a message naming the file/flag; a real run writes its outputs. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCalibrateArgs, runCalibrate } from '../simulator/calibrate/cli.js';
import { loadProfile } from '../simulator/profile.js';

const dir = mkdtempSync(join(tmpdir(), 'calibrate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'simulator/calibrate/cli.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('npm run calibrate (CLI)', () => {
  it('exit 2 on an empty file, an unknown format, a file with no success, and a bad flag', () => {
    const out = join(dir, 'out');
    const empty = cli([file('empty.jsonl', ''), '--out', out]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('empty.jsonl: empty file');
    const unknown = cli([file('what.jsonl', '{"hello": 1}\n'), '--out', out]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('cannot tell the format');
    const flag = cli([file('x.json', '[]'), '--out', out, '--format', 'parquet']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain('--format: unknown format "parquet"');
  });

  it('no successful request, bad --holdout, missing --out: clear errors', async () => {
    const fails = file('fails.json', JSON.stringify([{ error_code: 429, error_msg: '' }, { error_code: 500, error_msg: '' }]));
    await expect(runCalibrate(parseCalibrateArgs([fails, '--out', join(dir, 'o')]), () => {})).rejects.toThrow(/no successful request among 2 records/);
    expect(() => parseCalibrateArgs([fails, '--out', 'o', '--holdout', '1'])).toThrow(/--holdout: expected a share in \[0, 1\)/);
    expect(() => parseCalibrateArgs([fails])).toThrow(/--out is required/);
  });

  it('fits LLMPerf files, writes valid profiles with a header, reports malformed lines by number', async () => {
    const good = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'data', 'calibration', 'llmperf', 'anyscale_13b.json'), 'utf8')) as unknown[];
    const jsonl = file('anyscale.jsonl', `${good.slice(0, 60).map((r) => JSON.stringify(r)).join('\n')}\n{"error_code": nul\n`);
    const out = join(dir, 'run');
    const printed: string[] = [];
    const r = await runCalibrate(parseCalibrateArgs([jsonl, '--format', 'llmperf', '--out', out, '--no-report']), (s) => printed.push(s));
    expect(r.groups).toHaveLength(1);
    expect(printed.join('\n')).toContain('skipped 1 line(s): line 61: not a JSON object');
    expect(printed.join('\n')).toMatch(/holdout {7}fitted on 30, checked on 30/);
    expect(printed.join('\n')).toMatch(/ttft {8}KS 0\.\d{3} \(5% critical 0\.\d{3}, n=30, m=1200\)/);
    const profileFile = join(out, 'profiles', 'anyscale.yaml');
    const text = readFileSync(profileFile, 'utf8');
    expect(text.split('\n')[0]).toBe('# Calibrated profile: anyscale');
    expect(text).toContain('# Source: ');
    const ttft = loadProfile(profileFile).ttft;
    expect(ttft.medianMs + (ttft.shiftMs ?? 0)).toBeGreaterThan(150); // anyscale 13b: ~210 ms
    expect(existsSync(join(out, 'workload.yaml'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'calibration.json'), 'utf8')).groups[0].group).toBe('anyscale');
  });
});
