/**
 * The loop's last step: a scenario names a calibrated profile (`profile: ./x.yaml`) and a
 * recorded workload (`load: { trace: ./log.jsonl }`, the proxy's access log itself or the
 * trace `npm run calibrate` writes), and runs in virtual time.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../scenarios/setup/load.js';
import { runScenario } from '../scenarios/modes/runner.js';
import { calibrate } from '../simulator/calibrate/calibrate.js';
import { parseCalibrateArgs, runCalibrate } from '../simulator/calibrate/cli.js';
import { loadProfile } from '../simulator/profile.js';
import { parseTrace } from '../simulator/trace.js';

const dir = mkdtempSync(join(tmpdir(), 'calibrate-scn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An access log of `n` requests, one every 250 ms, 2 in 10 failing with a 500 upstream. */
function accessLog(n: number): string {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const fail = i % 10 < 2;
    const ttft = 200 + ((i * 37) % 100);
    lines.push(
      JSON.stringify({
        time: new Date(t0 + i * 250).toISOString(),
        id: `r${i}`,
        model: 'chat',
        stream: true,
        status: fail ? 502 : 200,
        error: fail ? 'upstream_error' : null,
        endpoint: 'a',
        latency_ms: ttft + 500,
        ttft_ms: fail ? null : ttft,
        tokens_in: fail ? 0 : 100 + (i % 7),
        tokens_out: fail ? 0 : 50,
        cost_usd: 0,
        in_flight: 1,
        attempts: [
          {
            endpoint: 'a',
            reason: 'first',
            outcome: fail ? 'upstream_error' : 'ok',
            status: fail ? 500 : 200,
            start_ms: 0.1,
            ttft_ms: fail ? null : ttft,
            duration_ms: fail ? 100 : ttft + 500,
            tokens_in: fail ? 0 : 100,
            tokens_out: fail ? 0 : 50,
            cost_usd: 0,
          },
        ],
      }),
    );
  }
  return `${lines.join('\n')}\n{"time": "2026-01-01T00:00:`; // a partial last line, as after a crash
}

function scenario(name: string, trace: string): string {
  return `name: ${name}
question: Which strategy keeps p99 lowest on the fitted provider?
headline: { metrics: [latencyMs.p99], expectedWinner: round-robin }
providers:
  - { profile: ./anyscale.yaml, id: fitted }
load: { trace: ${trace}, durationS: 10, mix: [{ class: general, inputTokens: 100, outputTokens: 50 }] }
strategies: [round-robin]
`;
}

describe('shipped calibrated profiles', () => {
  it('one valid profile per LLMPerf file, each with its source and holdout figures in the header', () => {
    const dirOf = join(import.meta.dirname, '..', 'simulator', 'profiles', 'calibrated');
    const files = readdirSync(dirOf).filter((f) => f.endsWith('.yaml'));
    const data = readdirSync(join(import.meta.dirname, '..', 'data', 'calibration', 'llmperf')).filter((f) => f.endsWith('.json'));
    expect(files.map((f) => f.replace('.yaml', '')).sort()).toEqual(data.map((f) => f.replace('.json', '')).sort());
    for (const f of files) {
      const text = readFileSync(join(dirOf, f), 'utf8');
      expect(text).toContain(`# Source: data/calibration/llmperf/${f.replace('.yaml', '.json')}`);
      expect(text).toMatch(/# {5}ttft {8}KS 0\.\d{3} \(5% critical 0\.\d{3}, n=\d+/);
      expect(loadProfile(join(dirOf, f)).ttft.medianMs).toBeGreaterThan(0);
    }
  });
});

describe('scenarios on a calibrated world', () => {
  copyFileSync(join(import.meta.dirname, '..', 'simulator', 'profiles', 'calibrated', 'anyscale_70b.yaml'), join(dir, 'anyscale.yaml'));
  writeFileSync(join(dir, 'access.jsonl'), accessLog(60));

  it('replays the access log itself as the arrivals (trace: ./access.jsonl), partial last line left out', async () => {
    const t = parseTrace(readFileSync(join(dir, 'access.jsonl'), 'utf8'), 'access.jsonl', 'router-log');
    expect(t.count).toBe(60);
    expect(t.arrivalMs[59]).toBe(59 * 250);
    const file = join(dir, 'replay.yaml');
    writeFileSync(file, scenario('replay', './access.jsonl'));
    const loaded = loadScenario(file);
    expect(loaded.scenario.load.arrivals).toBe('trace');
    expect(loaded.scenario.load.trace?.file).toBe(join(dir, 'access.jsonl'));
    const run = await runScenario({ scenario: file, mode: 'sim', out: join(dir, 'out-replay'), noReport: true });
    // 60 arrivals over 14.75 s of trace; 10 s of scenario replay the first 40.
    expect(run.results.strategies[0]!.summary.requests).toBe(40);
  });

  it('runs on the trace and profile npm run calibrate wrote', async () => {
    const r = calibrate([join(dir, 'access.jsonl')], { holdout: 0, seed: 1 });
    expect(r.reads[0]!.skipped).toEqual({ count: 1, first: [{ line: 61, why: 'not JSON (a partial line?)' }] });
    const g = r.groups[0]!;
    expect(g.fit.errors).toMatchObject({ n: 60, failures: 12, byKind: { http_500: 12 } });
    expect(r.workload.arrivals).toMatchObject({ kind: 'poisson', rate: 4 });
    writeFileSync(join(dir, 'workload-trace.jsonl'), r.workload.trace!);
    const file = join(dir, 'fitted.yaml');
    writeFileSync(file, scenario('fitted', './workload-trace.jsonl'));
    const run = await runScenario({ scenario: file, mode: 'sim', out: join(dir, 'out-fitted'), noReport: true });
    expect(run.results.strategies[0]!.summary.requests).toBe(40);
  });

  it('the scenario.yaml calibrate writes runs as it is: the fitted profile and the recorded arrivals', async () => {
    const out = join(dir, 'fitted-world');
    await runCalibrate(parseCalibrateArgs([join(dir, 'access.jsonl'), '--out', out, '--holdout', '0', '--no-report']), () => {});
    const run = await runScenario({ scenario: join(out, 'scenario.yaml'), mode: 'sim', out: join(dir, 'out-world'), noReport: true });
    expect(run.results.strategies.map((s) => s.strategy)).toEqual(['round-robin', 'latency', 'cost']);
    // 60 arrivals over 14.75 s: the recorded duration (15 s) replays them all.
    expect(run.results.strategies[0]!.summary.requests).toBe(60);
    expect(Object.keys(run.results.strategies[0]!.summary.providerShare)).toEqual(['a']);
  });
});
