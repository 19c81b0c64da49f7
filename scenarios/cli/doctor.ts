import type { ChildProcess } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '../setup/load.js';

/**
 * A typed wrapper over @clinic/doctor's Node API (CommonJS, untyped): run a command
 * under doctor, turn the collected data into doctor's HTML, and read doctor's own
 * analysis (the same code its HTML shows) to get the verdict category. Plus the
 * pieces that keep a profile run from failing on doctor's sharp edges:
 *
 * - doctor injects its sampler with NODE_OPTIONS `-r sampler.js`, and Node runs `-r`
 *   preloads in every thread, including the loader-hooks threads `--import tsx` starts
 *   (tsx starts two). Each copy opens the same processstat file with 'w' and appends at
 *   its own offset, so the threads overwrite each other's frames and doctor's decoder
 *   later throws "Decoded message is not valid" / "Groups are not supported". So the
 *   proxy we profile is plain JS: buildProfiledProxy bundles it with esbuild first.
 * - doctor's decoders throw from inside stream callbacks (an uncaught exception, not an
 *   'error' event); checkDoctorData reads the files the same way first, so a bad run
 *   is reported (or retried) instead of killing the process with a stack trace.
 */
const require = createRequire(import.meta.url);
/** require() as seen from @clinic/doctor, for its own dependencies (protocol-buffers, pumpify). */
const doctorRequire = createRequire(require.resolve('@clinic/doctor'));

interface DoctorInstance {
  collect(args: string[], cb: (err: Error | null, dataDir: string) => void): void;
  visualize(dataDir: string, outFile: string, cb: (err: Error | null) => void): void;
  on(event: 'port', fn: (port: number, proc: ChildProcess, done: () => void) => void): void;
  on(event: 'warning', fn: (msg: string) => void): void;
}

type DoctorCtor = new (opts: { detectPort?: boolean; dest?: string; name?: string; sampleInterval?: number; debug?: boolean }) => DoctorInstance;

/** Doctor's issue category: none, gc, event-loop, io, or data/unknown when it could not tell. */
export type DoctorCategory = 'none' | 'gc' | 'event-loop' | 'io' | 'data' | 'unknown';

export interface DoctorAnalysis {
  issueCategory: DoctorCategory;
  issues: Record<string, unknown>;
}

export function createDoctor(opts: { dest: string; name: string }): DoctorInstance {
  const ClinicDoctor = require('@clinic/doctor') as DoctorCtor;
  return new ClinicDoctor({ detectPort: true, dest: opts.dest, name: opts.name });
}

type LoggingPaths = Record<'/' | '/systeminfo' | '/traceevent' | '/processstat', string>;

function loggingPaths(o: { path: string } | { path: string; identifier: string }): LoggingPaths {
  const common = require('@clinic/clinic-common') as { getLoggingPaths(tool: string): (o: object) => LoggingPaths };
  return common.getLoggingPaths('doctor')(o);
}

/** The data directory doctor's sampler writes for a run named `name` under `dest`. */
export function doctorDataDir(dest: string, name: string): string {
  return loggingPaths({ path: dest, identifier: name })['/'];
}

/**
 * Bundle the proxy CLI (router/http/cli.ts) into `dir`/cli.mjs, so doctor profiles it
 * with plain `node` and no tsx loader threads (see the top of this file). Packages stay
 * external and resolve from node_modules at run time, so `dir` must be inside the repo.
 * The classifier's model.json goes next to it (the classifier looks beside its module).
 */
export async function buildProfiledProxy(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(dir, 'cli.mjs');
  await build({
    entryPoints: [join(REPO_ROOT, 'router/http/cli.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  });
  const model = join(REPO_ROOT, 'router/classifier/model.json');
  if (existsSync(model)) copyFileSync(model, join(dir, 'model.json'));
  return outfile;
}

interface ProtoMessage {
  decode(buf: Buffer): unknown;
}
let processStatType: ProtoMessage | undefined;

/** Doctor's own ProcessStat protobuf type (the one its encoder and decoder use). */
function processStatMessage(): ProtoMessage {
  if (!processStatType) {
    const protobuf = doctorRequire('protocol-buffers') as (schema: Buffer) => { ProcessStat: ProtoMessage };
    const proto = join(require.resolve('@clinic/doctor/format/process-stat-decoder.js'), '..', 'process-stat.proto');
    processStatType = protobuf(readFileSync(proto)).ProcessStat;
  }
  return processStatType;
}

/**
 * Walk doctor's processstat file as its decoder does (uint16 big-endian length, then a
 * protobuf ProcessStat) and say what is wrong with it, or undefined if every frame
 * decodes. A cut-off last frame is fine: the decoder ignores it too (the child may
 * exit mid-write).
 */
export function processStatProblem(buf: Buffer): string | undefined {
  const type = processStatMessage();
  let offset = 0;
  let frames = 0;
  while (offset + 2 <= buf.length) {
    const len = buf.readUInt16BE(offset);
    if (offset + 2 + len > buf.length) break;
    try {
      type.decode(buf.subarray(offset + 2, offset + 2 + len));
    } catch (e) {
      return `sample ${frames + 1} at byte ${offset} does not decode (${(e as Error).message})`;
    }
    offset += 2 + len;
    frames++;
  }
  return frames === 0 ? `no complete samples in ${buf.length} bytes` : undefined;
}

/**
 * Check the three files doctor's analysis and report read. Returns what is wrong (one
 * line, naming the file), or undefined if doctor can read them.
 */
export function checkDoctorData(dataDir: string): string | undefined {
  const paths = loggingPaths({ path: dataDir });
  for (const key of ['/systeminfo', '/processstat', '/traceevent'] as const) {
    if (!existsSync(paths[key])) return `${basename(paths[key])} is missing`;
  }
  try {
    const info = JSON.parse(readFileSync(paths['/systeminfo'], 'utf8')) as { clock?: { hrtime?: unknown }; nodeVersions?: unknown };
    if (!info.clock?.hrtime || !info.nodeVersions) return `${basename(paths['/systeminfo'])} lacks clock/nodeVersions`;
  } catch (e) {
    return `${basename(paths['/systeminfo'])} is not JSON (${(e as Error).message})`;
  }
  const stat = processStatProblem(readFileSync(paths['/processstat']));
  if (stat) return `${basename(paths['/processstat'])}: ${stat}`;
  try {
    JSON.parse(readFileSync(paths['/traceevent'], 'utf8'));
  } catch (e) {
    return `${basename(paths['/traceevent'])} is not JSON (${(e as Error).message})`;
  }
  return undefined;
}

/** The bits of a ChildProcess that finishProfiledChild uses (a fake in tests). */
export interface ProfiledChild {
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal: NodeJS.Signals): boolean;
  once(event: 'exit', fn: () => void): unknown;
}

export type SetTimer = (fn: () => void, ms: number) => { cancel(): void };

const realTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

/**
 * End the profiled child the way doctor expects: `done()` closes the port pipe, on
 * which doctor's sampler flushes its samples and exits the process itself. Signalling
 * it at the same time races that flush (the proxy's SIGINT handler drains and calls
 * process.exit, which can cut the sampler off), so signals are only a fallback: SIGINT
 * after `graceMs` without an exit, SIGKILL after another `graceMs`. Resolves on exit.
 */
export function finishProfiledChild(proc: ProfiledChild, done: () => void, opts: { graceMs?: number; setTimer?: SetTimer } = {}): Promise<void> {
  const graceMs = opts.graceMs ?? 10_000;
  const setTimer = opts.setTimer ?? realTimer;
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    let timer = setTimer(() => {
      proc.kill('SIGINT');
      timer = setTimer(() => proc.kill('SIGKILL'), graceMs);
    }, graceMs);
    proc.once('exit', () => {
      timer.cancel();
      resolve();
    });
    done();
  });
}

/**
 * Run `fn`, turning an uncaught exception thrown meanwhile (doctor's stream decoders
 * throw from inside stream callbacks) into a rejection instead of a crash. After such
 * a failure the handler stays, swallowing the half-read streams' further throws while
 * the caller reports the first one and exits.
 */
export function catchingUncaught<T>(fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let failed = false;
    const onUncaught = (e: Error): void => {
      if (!failed) reject(e);
      failed = true;
    };
    process.on('uncaughtException', onUncaught);
    fn().then(
      (v) => {
        if (!failed) process.off('uncaughtException', onUncaught);
        resolve(v);
      },
      (e: unknown) => {
        if (!failed) process.off('uncaughtException', onUncaught);
        reject(e as Error);
      },
    );
  });
}

/** Run doctor's analysis over a collected data directory (what its report's verdict is based on). */
export function analyse(dataDir: string): Promise<DoctorAnalysis> {
  const pumpify = doctorRequire('pumpify') as { obj(...streams: unknown[]): NodeJS.ReadableStream };
  const Analysis = require('@clinic/doctor/analysis/index.js') as new (...readers: unknown[]) => NodeJS.ReadableStream;
  const SystemInfoDecoder = require('@clinic/doctor/format/system-info-decoder.js') as new () => NodeJS.ReadWriteStream;
  const TraceEventDecoder = require('@clinic/doctor/format/trace-event-decoder.js') as new (s: unknown) => NodeJS.ReadWriteStream;
  const ProcessStatDecoder = require('@clinic/doctor/format/process-stat-decoder.js') as new () => NodeJS.ReadWriteStream;
  const paths = loggingPaths({ path: dataDir });
  const systemInfo = pumpify.obj(createReadStream(paths['/systeminfo']), new SystemInfoDecoder());
  const traceEvent = pumpify.obj(createReadStream(paths['/traceevent']), new TraceEventDecoder(systemInfo));
  const processStat = pumpify.obj(createReadStream(paths['/processstat']), new ProcessStatDecoder());
  return new Promise((resolve, reject) => {
    const a = new Analysis(systemInfo, traceEvent, processStat);
    let result: DoctorAnalysis | undefined;
    a.on('data', (d: DoctorAnalysis) => (result = d));
    a.on('error', reject);
    a.on('end', () => (result ? resolve(result) : reject(new Error(`doctor produced no analysis for ${dataDir}`))));
  });
}
