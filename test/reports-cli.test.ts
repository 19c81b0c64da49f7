import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleJson } from './reports-helpers.js';

/** `npm run report` end to end, as a child process (tsx, like the npm script), bounded by a timeout. */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const dir = mkdtempSync(join(tmpdir(), 'reports-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ['reports/cli.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const noStack = (s: string): void => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('npm run report', () => {
  it('re-renders a saved results.json into --out', async () => {
    const out = join(dir, 'ok');
    const r = await run(['reports/fixtures/sample-results.json', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^strategy\s+requests/m);
    expect(r.stdout).toContain('report.html');
    for (const f of ['report.html', 'throughput.svg', 'throughput.png', 'regret.png']) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('rejects a malformed file naming the field, exit 2, no stack trace', async () => {
    const j = sampleJson();
    j.strategies[2].summary.latencyMs = { p50: 1, p90: 2, p99: 'slow', p999: 4, max: 5 };
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(j));
    const r = await run([file, '--out', join(dir, 'bad-out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('strategies[2].summary.latencyMs.p99');
    noStack(r.stderr);
    expect(existsSync(join(dir, 'bad-out'))).toBe(false);
  });

  it('explains a missing file, invalid JSON and missing arguments', async () => {
    const file = join(dir, 'trunc.json');
    writeFileSync(file, '{"scenario": "x", "strat');
    const [missing, trunc, none] = await Promise.all([run([join(dir, 'nope.json')]), run([file]), run([])]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: cannot read results file \(no such file\)/);
    expect(trunc.code).toBe(2);
    expect(trunc.stderr).toMatch(/trunc\.json: not valid JSON/);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage: npm run report -- <results\.json>/);
    for (const r of [missing, trunc, none]) noStack(r.stderr);
  });
});
