import type { ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * A typed wrapper over @clinic/doctor's Node API (CommonJS, untyped): run a command
 * under doctor, turn the collected data into doctor's HTML, and read doctor's own
 * analysis (the same code its HTML shows) to get the verdict category.
 */
const require = createRequire(import.meta.url);

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

/** Run doctor's analysis over a collected data directory (what its report's verdict is based on). */
export function analyse(dataDir: string): Promise<DoctorAnalysis> {
  const getLoggingPaths = (require('@clinic/clinic-common') as { getLoggingPaths(tool: string): (o: { path: string }) => Record<string, string> }).getLoggingPaths('doctor');
  const pumpify = require('pumpify') as { obj(...streams: unknown[]): NodeJS.ReadableStream };
  const Analysis = require('@clinic/doctor/analysis/index.js') as new (...readers: unknown[]) => NodeJS.ReadableStream;
  const SystemInfoDecoder = require('@clinic/doctor/format/system-info-decoder.js') as new () => NodeJS.ReadWriteStream;
  const TraceEventDecoder = require('@clinic/doctor/format/trace-event-decoder.js') as new (s: unknown) => NodeJS.ReadWriteStream;
  const ProcessStatDecoder = require('@clinic/doctor/format/process-stat-decoder.js') as new () => NodeJS.ReadWriteStream;
  const paths = getLoggingPaths({ path: dataDir });
  const systemInfo = pumpify.obj(createReadStream(paths['/systeminfo']!), new SystemInfoDecoder());
  const traceEvent = pumpify.obj(createReadStream(paths['/traceevent']!), new TraceEventDecoder(systemInfo));
  const processStat = pumpify.obj(createReadStream(paths['/processstat']!), new ProcessStatDecoder());
  return new Promise((resolve, reject) => {
    const a = new Analysis(systemInfo, traceEvent, processStat);
    let result: DoctorAnalysis | undefined;
    a.on('data', (d: DoctorAnalysis) => (result = d));
    a.on('error', reject);
    a.on('end', () => (result ? resolve(result) : reject(new Error(`doctor produced no analysis for ${dataDir}`))));
  });
}
