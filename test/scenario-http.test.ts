import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults } from '../reports/validate.js';
import { liveChildren } from '../scenarios/modes/procs.js';
import { runScenario } from '../scenarios/modes/runner.js';

/**
 * http mode smoke runs on loopback: real provider processes and a real proxy process,
 * short (10 scenario s at speed 5 = 2 s of load per strategy), one strategy. Afterwards
 * no child process of ours may be left.
 */
const out = mkdtempSync(join(tmpdir(), 'scenario-http-'));

/** Our direct child processes (pid, command line), excluding the ps we run to ask. */
function children(): Array<{ pid: number; cmd: string }> {
  let text = '';
  try {
    text = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is none
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => ({ pid: Number(l.split(/\s+/)[0]), cmd: l.slice(l.indexOf(' ') + 1) }))
    .filter((c) => !c.cmd.startsWith('ps '));
}

describe('http mode', () => {
  it('outage-failover smoke run: valid results, every child stopped', async () => {
    const dir = join(out, 'smoke');
    const run = await runScenario({ scenario: 'outage-failover', mode: 'http', durationS: 10, strategies: ['round-robin'], out: dir, noReport: true, log: () => {} });
    const r = parseResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')), 'smoke');
    expect(r.mode).toBe('http');
    const s = r.strategies[0]!.summary;
    expect(s.requests).toBeGreaterThan(20);
    expect(s.ok).toBeGreaterThan(0);
    expect(Object.keys(s.providerShare).length).toBeGreaterThan(0);
    expect(run.results.strategies[0]!.strategy).toBe('round-robin');
    expect(liveChildren()).toBe(0);
    expect(children()).toEqual([]);
  });

  it('a provider process that dies mid-run: a clear error and no child left', async () => {
    const killer = setInterval(() => {
      // Mid-run: once the proxy is up (the providers are listening by then).
      const all = children();
      const victim = all.some((c) => c.cmd.includes('router/http/cli')) ? all.find((c) => c.cmd.includes('server-main')) : undefined;
      if (victim) {
        clearInterval(killer);
        process.kill(victim.pid, 'SIGKILL');
      }
    }, 100);
    try {
      await expect(
        runScenario({ scenario: 'outage-failover', mode: 'http', durationS: 20, strategies: ['round-robin'], out: join(out, 'dies'), noReport: true, log: () => {} }),
      ).rejects.toThrow(/provider .* exited unexpectedly/);
    } finally {
      clearInterval(killer);
    }
    expect(liveChildren()).toBe(0);
    expect(children()).toEqual([]);
  });
});
