/**
 * The Bad input section: malformed or partial lines are skipped, counted and
 * reported with their line numbers (the first few), never a crash; an empty file, a file
 * with no successful request, an unreadable file or an unknown format: a clear error and
 * exit 2 from the CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrate, readInput } from '../simulator/calibrate/calibrate.js';
import { parseCalibrateArgs, runCalibrate } from '../simulator/calibrate/cli.js';
import { CalibrateError, SKIP_EXAMPLES } from '../simulator/calibrate/observations.js';

const dir = mkdtempSync(join(tmpdir(), 'calibrate-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** One access-log line: a streamed request answered by endpoint `a` (ok) or failed with a 500. */
const logLine = (i: number, ok = true): string =>
  JSON.stringify({
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    status: ok ? 200 : 500,
    error: ok ? null : 'upstream_error',
    stream: true,
    tokens_in: 100,
    tokens_out: ok ? 50 : 0,
    attempts: [{ endpoint: 'a', outcome: ok ? 'ok' : 'upstream_error', status: ok ? 200 : 500, duration_ms: 900 + i, ttft_ms: ok ? 200 + i : null, tokens_out: ok ? 50 : 0, start_ms: 0 }],
  });

function cli(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'simulator/calibrate/cli.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

describe('calibrate: malformed lines', () => {
  it('router log: each kind of bad line is skipped with its line number and reason; good lines around them are all used', () => {
    const good = Array.from({ length: 30 }, (_, i) => logLine(i));
    const bad = [
      '{"time": "2026-01-01T00:00:00Z", "attem', // partial (a crash mid-write)
      '[1, 2]',
      JSON.stringify({ time: 'yesterday', attempts: [] }),
      JSON.stringify({ time: '2026-01-01T00:00:00Z', attempts: 'none' }),
      JSON.stringify({ time: '2026-01-01T00:00:00Z', attempts: [{ endpoint: 'a' }] }),
      'garbage',
      '{}',
    ];
    // Bad lines at 3, 6, 9, ... (1-based): interleaved with the good ones.
    const lines: string[] = [];
    let b = 0;
    for (const g of good) {
      lines.push(g, ...(lines.length % 3 === 1 && b < bad.length ? [bad[b++]!] : []));
    }
    const text = `${lines.join('\n')}\n`;
    const r = readInput(file('mixed.jsonl', text), {});
    expect(r.skipped.count).toBe(bad.length);
    expect(r.skipped.first).toHaveLength(SKIP_EXAMPLES);
    const numbered = text.split('\n');
    for (const s of r.skipped.first) expect(bad).toContain(numbered[s.line - 1]);
    expect(r.skipped.first.map((s) => s.why)).toEqual([
      'not JSON (a partial line?)',
      'not a JSON object',
      '"time" is not an ISO date',
      '"attempts" is not an array',
      'attempts[0] lacks endpoint, outcome or duration_ms',
    ]);
    expect(r.groups.get('a')).toHaveLength(30);
  });

  it('the CLI prints the count, the first few line numbers and "..." when there are more', async () => {
    const lines = [...Array.from({ length: 20 }, (_, i) => logLine(i)), ...Array.from({ length: 8 }, () => 'not json')];
    const printed: string[] = [];
    await runCalibrate(parseCalibrateArgs([file('tail.jsonl', lines.join('\n')), '--out', join(dir, 'o1'), '--holdout', '0', '--no-report']), (s) => printed.push(s));
    const line = printed.find((s) => s.includes('skipped'))!;
    expect(line).toContain('skipped 8 line(s): line 21: not JSON (a partial line?); line 22:');
    expect(line).toContain('line 25: not JSON (a partial line?); ...');
    expect(line).not.toContain('line 26');
  });

  it('a file of nothing but bad lines is an error that says how many were skipped and why', () => {
    expect(() => readInput(file('allbad.jsonl', `${logLine(0).slice(0, 20)}\n[1]\n`), { format: 'router-log' })).toThrow(
      /allbad\.jsonl: no usable router-log records \(2 lines skipped, e\.g\. line 1: not JSON/,
    );
  });

  it('a router log with failed requests only: no latencies to fit, a clear error', () => {
    expect(() => calibrate([file('fails.jsonl', Array.from({ length: 5 }, (_, i) => logLine(i, false)).join('\n'))], { holdout: 0.5, seed: 1 })).toThrow(CalibrateError);
    expect(() => readInput(join(dir, 'fails.jsonl'), {})).toThrow(/fails\.jsonl: no successful request among 5 records/);
  });
});

describe('calibrate CLI: exit 2 with a clear message', () => {
  it('no successful request, only bad lines, a missing file, broken JSON, whitespace only', () => {
    const out = join(dir, 'out');
    const cases: Array<[string, RegExp]> = [
      [file('nosuccess.json', JSON.stringify([{ error_code: 429, error_msg: 'rate' }, { error_code: 503, error_msg: '' }])), /nosuccess\.json: no successful request among 2 records/],
      [file('onlybad.jsonl', 'x\ny\n'), /onlybad\.jsonl: cannot tell the format/],
      [join(dir, 'missing.jsonl'), /missing\.jsonl: cannot read \(ENOENT\)/],
      [file('broken.json', '[{"ttft_s": 0.2,'), /broken\.json: not valid JSON/],
      [file('blank.jsonl', '  \n\n'), /blank\.jsonl: empty file/],
    ];
    for (const [f, msg] of cases) {
      const r = cli([f, '--out', out]);
      expect(r.status, f).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
    }
    const flag = cli([join(dir, 'nosuccess.json'), '--out', out, '--max-components', '0']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain('--max-components: expected an integer in 1..8');
  });
});
