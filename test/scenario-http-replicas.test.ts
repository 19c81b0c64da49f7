import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults } from '../reports/validate.js';
import { parseScenarioArgs } from '../scenarios/cli/args.js';
import { liveChildren } from '../scenarios/modes/procs.js';
import { runScenario } from '../scenarios/modes/runner.js';

/**
 * http mode with several proxy replicas (--replicas N): a short loopback run (10 scenario s
 * at the scenario's speed), @shared replicas on one redis-server the runner starts on a free
 * loopback port and stops by PID. Afterwards no process of ours may be left.
 */
/** Our direct child processes' command lines (ps itself excluded). */
function children(): string[] {
  try {
    return execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('ps '));
  } catch {
    return []; // ps exits 1 when there is none
  }
}

describe('http mode: --replicas N', () => {
  it('2 replicas sharing one redis-server: valid results, Redis and every proxy stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-http-replicas-'));
    const lines: string[] = [];
    await runScenario({ scenario: 'replicas-outage', mode: 'http', durationS: 10, strategies: ['cost@shared'], replicas: 2, driver: 'open-loop', out: dir, noReport: true, log: (l) => lines.push(l) });
    const r = parseResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')), 'replicas');
    expect(r.strategies[0]!.strategy).toBe('cost@shared');
    expect(r.strategies[0]!.summary.requests).toBeGreaterThan(100) // open loop: ~30 req/s x 10 s, whatever the latency;
    expect(r.strategies[0]!.summary.ok).toBeGreaterThan(0);
    const m = lines.join('\n').match(/2 proxy replicas share state through redis-server pid (\d+) at redis:\/\/127\.0\.0\.1:\d+/);
    expect(m).not.toBeNull();
    expect(liveChildren()).toBe(0);
    expect(children()).toEqual([]); // redis-server is our child too: it was stopped
  }, 120_000);

  it('bad --replicas input: a clear error (exit 2)', () => {
    expect(() => parseScenarioArgs(['replicas-outage', '--mode', 'sim', '--replicas', '4'])).toThrow(/--replicas needs --mode http/);
    expect(() => parseScenarioArgs(['replicas-outage', '--replicas', '1'])).toThrow(/--replicas: expected an integer from 2 to 64/);
    expect(parseScenarioArgs(['replicas-outage', '--replicas', '3']).replicas).toBe(3);
  });
});
