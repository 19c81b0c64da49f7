import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ProviderProfile } from './profile.js';

/**
 * Start one OS process per mock provider (simulator/server-main.ts), separate from
 * the router so provider timing never shares an event loop with the code under test.
 * We spawn `node --import tsx server-main.ts` directly (not via npx) so the PID we hold
 * is the process that listens. Children also exit when our IPC channel closes, so a
 * crashed parent leaves no orphans.
 */

export interface ProviderProcessOptions {
  profiles: readonly ProviderProfile[];
  seed?: string | number;
  speed?: number;
  /** Provider i listens on portBase + i; absent = ephemeral ports. */
  portBase?: number;
  /** Minimum real ms between SSE chunks. */
  minChunkMs?: number;
  /** Shared scenario time origin (epoch ms); default: now. */
  epochMs?: number;
  /** Max real ms to wait for each child to listen, default 20 000. */
  startTimeoutMs?: number;
}

export interface ProviderProcess {
  readonly id: string;
  readonly url: string;
  readonly pid: number;
}

export interface ProviderProcesses {
  readonly providers: ProviderProcess[];
  /** SIGTERM every child, SIGKILL after a grace period; resolves when all exited. */
  stop(): Promise<void>;
  /**
   * Restart every provider's scenario time at wall time `epochMs` (Date.now() ms, may lie
   * ahead): resolves when all acknowledged, rejects after `timeoutMs` (default 5000).
   */
  setEpoch(epochMs: number, timeoutMs?: number): Promise<void>;
}

const SERVER_MAIN = fileURLToPath(new URL('./server-main.ts', import.meta.url));
// tsx's package export is its ESM loader (dist/loader.mjs); resolve it from here, not from the cwd.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function waitExit(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => c.once('exit', () => resolve()));
}

async function stopChild(c: ChildProcess, graceMs: number): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
  await waitExit(c);
  clearTimeout(timer);
}

function startOne(profile: ProviderProfile, args: string[], timeoutMs: number): { child: ChildProcess; ready: Promise<ProviderProcess> } {
  const child = spawn(process.execPath, ['--import', TSX, SERVER_MAIN, '--profile-json', JSON.stringify(profile), ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const tail: string[] = [];
  const ready = new Promise<ProviderProcess>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`provider ${profile.id}: not listening after ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { event?: string; id: string; url: string; pid: number };
        if (m.event === 'listening') {
          clearTimeout(timer);
          resolve({ id: m.id, url: m.url, pid: child.pid! });
        }
      } catch {
        tail.push(line);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`provider ${profile.id} exited (${signal ?? `code ${code}`}) before listening:\n${tail.join('\n')}`));
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  return { child, ready };
}

/** Send each child the new epoch over IPC and wait for every acknowledgement. */
function setEpoch(children: readonly ChildProcess[], epochMs: number, timeoutMs: number): Promise<void> {
  const acks = children.map(
    (c) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`provider pid ${c.pid}: no epoch acknowledgement within ${timeoutMs} ms`)), timeoutMs);
        const onMessage = (m: unknown): void => {
          const e = m as { event?: unknown; epochMs?: unknown } | null;
          if (e?.event === 'epoch' && e.epochMs === epochMs) done();
        };
        const onExit = (): void => done(new Error(`provider pid ${c.pid} exited before taking the epoch`));
        function done(err?: Error): void {
          clearTimeout(timer);
          c.off('message', onMessage);
          c.off('exit', onExit);
          if (err) reject(err);
          else resolve();
        }
        c.on('message', onMessage);
        c.once('exit', onExit);
        if (!c.connected) return done(new Error(`provider pid ${c.pid}: IPC channel closed`));
        c.send({ type: 'epoch', epochMs });
      }),
  );
  return Promise.all(acks).then(() => undefined);
}

export async function startProviderProcesses(opts: ProviderProcessOptions): Promise<ProviderProcesses> {
  const ids = new Set<string>();
  for (const p of opts.profiles) {
    if (ids.has(p.id)) throw new Error(`duplicate provider id "${p.id}": give each provider a unique id`);
    ids.add(p.id);
  }
  const epochMs = opts.epochMs ?? Date.now();
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => stopChild(c, 2000)));
  };
  try {
    const starts = opts.profiles.map((p, i) => {
      const args = [
        '--port', String(opts.portBase === undefined ? 0 : opts.portBase + i),
        '--seed', String(opts.seed ?? 1),
        '--speed', String(opts.speed ?? 1),
        '--epoch-ms', String(epochMs),
        ...(opts.minChunkMs === undefined ? [] : ['--min-chunk-ms', String(opts.minChunkMs)]),
      ];
      const s = startOne(p, args, opts.startTimeoutMs ?? 20_000);
      children.push(s.child);
      return s.ready;
    });
    const providers = await Promise.all(starts);
    return { providers, stop, setEpoch: (epochMs, timeoutMs = 5000) => setEpoch(children, epochMs, timeoutMs) };
  } catch (e) {
    await stop();
    throw e;
  }
}
