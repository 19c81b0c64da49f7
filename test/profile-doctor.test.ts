import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProfiledProxy, checkDoctorData, doctorDataDir, finishProfiledChild, processStatProblem, type SetTimer } from '../scenarios/cli/doctor.js';
import { REPO_ROOT } from '../scenarios/setup/load.js';

/**
 * The pieces of `npm run profile` that keep clinic doctor's data readable, without
 * running doctor: the proxy it profiles runs in one thread, the child is stopped through
 * doctor's done() (signals only as a fallback), and corrupt data is caught before
 * doctor's decoders throw on it.
 */
const require = createRequire(import.meta.url);
const Encoder = require('@clinic/doctor/format/process-stat-encoder.js') as new () => { write(sample: object): boolean; read(): Buffer | null };

function sample(i: number, handles: number): object {
  return {
    timestamp: 1_700_000_000_000 + i * 10,
    delay: i % 3,
    cpu: 0.25,
    memory: { rss: 90e6 + i, heapTotal: 40e6, heapUsed: 30e6 + i, external: 2e6, arrayBuffers: 1e5 },
    handles,
    loopUtilization: 12,
  };
}

/** Frames exactly as doctor's sampler writes them (its own encoder). */
function encode(n: number, handles: number): Buffer {
  const enc = new Encoder();
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    enc.write(sample(i, handles));
    for (let b = enc.read(); b; b = enc.read()) parts.push(b);
  }
  return Buffer.concat(parts);
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('processStatProblem', () => {
  it('accepts what doctor writes, including a cut-off last frame', () => {
    const buf = encode(50, 177);
    expect(processStatProblem(buf)).toBeUndefined();
    expect(processStatProblem(buf.subarray(0, buf.length - 7))).toBeUndefined();
  });

  it('rejects a file with no complete sample', () => {
    expect(processStatProblem(Buffer.alloc(0))).toMatch(/no complete samples/);
    expect(processStatProblem(encode(1, 1).subarray(0, 10))).toMatch(/no complete samples/);
  });

  it('catches two samplers writing one file from their own offsets (the tsx loader-thread failure)', () => {
    // The main thread's frames (177 handles: 3-byte varint) and a loader thread's (1 handle:
    // 2 bytes) differ in length; each writer starts at offset 0, so the file holds the
    // later writer's bytes up to where it stopped, then the other's, out of frame.
    const main = encode(40, 177);
    const loader = encode(40, 1);
    const file = Buffer.from(main);
    loader.copy(file, 0, 0, loader.length / 2);
    expect(processStatProblem(file)).toMatch(/^sample \d+ at byte \d+ does not decode/);
  });

  it('catches a zeroed gap', () => {
    const file = encode(20, 177);
    file.fill(0, 160, 240);
    expect(processStatProblem(file)).toMatch(/does not decode \(Decoded message is not valid\)/);
  });
});

describe('checkDoctorData', () => {
  function dataDir(files: { systeminfo?: string; processstat?: Buffer; traceevent?: string }): string {
    const dest = mkdtempSync(join(tmpdir(), 'doctor-data-'));
    dirs.push(dest);
    const dir = doctorDataDir(dest, 'doctor-x');
    mkdirSync(dir);
    const put = (suffix: string, data: string | Buffer | undefined): void => {
      if (data !== undefined) writeFileSync(join(dir, `doctor-x.clinic-doctor-${suffix}`), data);
    };
    put('systeminfo', files.systeminfo);
    put('processstat', files.processstat);
    put('traceevent', files.traceevent);
    return dir;
  }
  const systeminfo = JSON.stringify({ clock: { hrtime: [1, 0], unixtime: 1 }, nodeVersions: { node: '20.20.2' } });
  const traceevent = '{"traceEvents":[{"pid":1,"tid":1,"ts":1,"dur":1,"cat":"v8","name":"V8.GCScavenger","ph":"X","args":{}}]}';

  it('passes readable data', () => {
    expect(checkDoctorData(dataDir({ systeminfo, processstat: encode(10, 5), traceevent }))).toBeUndefined();
  });

  it('names the file that is missing or unreadable', () => {
    expect(checkDoctorData(dataDir({ systeminfo, traceevent }))).toMatch(/processstat is missing$/);
    expect(checkDoctorData(dataDir({ systeminfo: '{"clo', processstat: encode(10, 5), traceevent }))).toMatch(/systeminfo is not JSON/);
    const bad = encode(10, 5);
    bad.fill(0, 20, 60);
    expect(checkDoctorData(dataDir({ systeminfo, processstat: bad, traceevent }))).toMatch(/processstat: sample 1 at byte 0 does not decode/);
    expect(checkDoctorData(dataDir({ systeminfo, processstat: encode(10, 5), traceevent: '{"traceEvents":[{"pid"' }))).toMatch(/traceevent is not JSON/);
  });
});

describe('finishProfiledChild', () => {
  class FakeChild extends EventEmitter {
    exitCode: number | null = null;
    signalCode: NodeJS.Signals | null = null;
    readonly signals: NodeJS.Signals[] = [];
    kill(signal: NodeJS.Signals): boolean {
      this.signals.push(signal);
      return true;
    }
    exit(code: number): void {
      this.exitCode = code;
      this.emit('exit', code, null);
    }
  }
  /** Timers fired by hand: pending() lists what is armed, fire() runs the oldest. */
  function manualTimers(): { setTimer: SetTimer; pending: () => number[]; fire: () => void } {
    const armed: Array<{ fn: () => void; ms: number; live: boolean }> = [];
    return {
      setTimer: (fn, ms) => {
        const t = { fn, ms, live: true };
        armed.push(t);
        return { cancel: () => (t.live = false) };
      },
      pending: () => armed.filter((t) => t.live).map((t) => t.ms),
      fire: () => {
        const t = armed.find((x) => x.live)!;
        t.live = false;
        t.fn();
      },
    };
  }

  it("calls doctor's done() and sends no signal when the sampler exits the child", async () => {
    const child = new FakeChild();
    const timers = manualTimers();
    let doneCalls = 0;
    const finished = finishProfiledChild(child, () => doneCalls++, { graceMs: 5000, setTimer: timers.setTimer });
    expect(doneCalls).toBe(1);
    expect(timers.pending()).toEqual([5000]);
    child.exit(0);
    await finished;
    expect(child.signals).toEqual([]);
    expect(timers.pending()).toEqual([]);
  });

  it('falls back to SIGINT, then SIGKILL, if the child does not exit', async () => {
    const child = new FakeChild();
    const timers = manualTimers();
    const finished = finishProfiledChild(child, () => {}, { graceMs: 5000, setTimer: timers.setTimer });
    timers.fire();
    expect(child.signals).toEqual(['SIGINT']);
    timers.fire();
    expect(child.signals).toEqual(['SIGINT', 'SIGKILL']);
    child.exit(1);
    await finished;
    expect(timers.pending()).toEqual([]);
  });

  it('does nothing for a child that already exited', async () => {
    const child = new FakeChild();
    child.exit(2);
    let doneCalls = 0;
    await finishProfiledChild(child, () => doneCalls++, { setTimer: manualTimers().setTimer });
    expect(doneCalls).toBe(0);
    expect(child.signals).toEqual([]);
  });
});

describe('buildProfiledProxy', () => {
  it("gives a proxy that runs doctor's NODE_OPTIONS preloads in one thread only", async () => {
    mkdirSync(join(REPO_ROOT, 'out'), { recursive: true });
    const dir = mkdtempSync(join(REPO_ROOT, 'out', '.profile-proxy-test-'));
    dirs.push(dir);
    const cli = await buildProfiledProxy(dir);
    // Stands in for doctor's sampler.js: reports each thread it is loaded in.
    const preload = join(dir, 'count-threads.cjs');
    writeFileSync(preload, "process._rawDebug('preload in thread ' + require('node:worker_threads').threadId);\n");
    const r = spawnSync(process.execPath, [cli, '--help'], { env: { ...process.env, NODE_OPTIONS: `-r ${preload}` }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: /);
    expect(r.stderr.match(/preload in thread \d+/g)).toEqual(['preload in thread 0']);
  });
});
