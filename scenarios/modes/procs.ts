import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { REPO_ROOT } from '../setup/load.js';

/**
 * Child processes of a scenario run (mock providers, the proxy, a profiler). Every
 * child is registered here so that it is stopped on every path out: normal end,
 * thrown error, SIGINT/SIGTERM, and even process.exit (a synchronous SIGKILL).
 * We spawn `node --import tsx file.ts` directly (not npx/npm) so the PID we hold is
 * the process that listens: killing it leaves no orphan grandchild.
 */

export class ChildDiedError extends Error {
  constructor(
    readonly child: string,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly tail: string,
  ) {
    super(
      `${child} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})` +
        (tail ? `; its last output:\n${tail}` : ''),
    );
    this.name = 'ChildDiedError';
  }
}

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves with the first stdout/stderr line matching `re` (rejects if the child exits or after `timeoutMs`). */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves when the child has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it printed (for error messages). */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** Called once if the child exits without stop() having been called. */
  onUnexpectedExit(cb: (err: ChildDiedError) => void): void;
}

const live = new Set<Child>();
const cleanups = new Set<() => Promise<void>>();
let handlersInstalled = false;

/**
 * Register extra cleanup (e.g. provider processes started by simulator/processes.ts,
 * which keeps its own handles). Returns a function that unregisters it.
 */
export function onCleanup(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Stop every child still running and run every registered cleanup. */
export async function stopAll(graceMs = 2000): Promise<void> {
  await Promise.all([...[...cleanups].map((f) => f().catch(() => {})), ...[...live].map((c) => c.stop(graceMs))]);
}

/** Exit code for a signal (128 + n), as shells report it. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * On SIGINT/SIGTERM: stop the children, then exit. On process exit: SIGKILL whatever is
 * left (exit handlers cannot wait). Installed once, by the CLIs, not by library use.
 */
export function installSignalHandlers(onSignal?: (sig: NodeJS.Signals) => void): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      onSignal?.(sig);
      process.stderr.write(`\n${sig}: stopping ${live.size} child process(es)...\n`);
      void stopAll(1000).finally(() => process.exit(SIGNAL_EXIT[sig] ?? 1));
    });
  }
  process.on('exit', () => {
    for (const c of live) {
      try {
        c.proc.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

export interface SpawnOptions {
  /** Extra node flags before the script (e.g. --max-old-space-size). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Keep this many output lines for error messages. */
  tailLines?: number;
  /** Print the child's output to our stderr as it comes (debugging). */
  echo?: boolean;
}

/** Run a TypeScript file of this repo in a child node process (via tsx's loader). */
export function spawnTs(name: string, file: string, args: string[], opts: SpawnOptions = {}): Child {
  const script = join(REPO_ROOT, file);
  return spawnNode(name, [...(opts.nodeArgs ?? []), '--import', 'tsx', script, ...args], opts);
}

/** Spawn `node <args>` and register it. */
export function spawnNode(name: string, nodeArgs: string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(process.execPath, nodeArgs, {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = opts.tailLines ?? 20;
  const lines: string[] = [];
  const waiters = new Set<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }>();
  let stopping = false;
  let unexpected: ((err: ChildDiedError) => void) | undefined;
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  const onLine = (line: string): void => {
    if (opts.echo) process.stderr.write(`[${name}] ${line}\n`);
    lines.push(line);
    if (lines.length > keep) lines.shift();
    for (const w of waiters) {
      const m = line.match(w.re);
      if (m) {
        waiters.delete(w);
        w.resolve(m);
      }
    }
  };
  createInterface({ input: proc.stdout! }).on('line', onLine);
  createInterface({ input: proc.stderr! }).on('line', onLine);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      // Let the readline interfaces flush the last lines before reporting.
      setImmediate(() => {
        if (!stopping && unexpected) unexpected(new ChildDiedError(name, code, signal, lines.join('\n')));
        resolve(exitInfo!);
      });
    });
    proc.once('error', (err) => {
      lines.push(`spawn error: ${err.message}`);
    });
  });

  const child: Child = {
    name,
    proc,
    pid: proc.pid ?? -1,
    exited,
    tail: () => lines.join('\n'),
    waitForLine(re, timeoutMs) {
      for (const l of lines) {
        const m = l.match(re);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const w = {
          re,
          resolve: (m: RegExpMatchArray) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${name} did not print ${re} within ${timeoutMs} ms; its last output:\n${lines.join('\n')}`));
        }, timeoutMs);
        waiters.add(w);
        void exited.then(({ code, signal }) => {
          if (!waiters.has(w)) return;
          waiters.delete(w);
          clearTimeout(timer);
          reject(new ChildDiedError(name, code, signal, lines.join('\n')));
        });
      });
    },
    async stop(graceMs = 2000) {
      stopping = true;
      if (exitInfo) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    onUnexpectedExit(cb) {
      unexpected = cb;
    },
  };
  live.add(child);
  return child;
}

/** Children still registered (tests assert this is empty after a run). */
export function liveChildren(): number {
  return live.size;
}
