import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A throwaway redis-server for tests: 127.0.0.1 on a free port, no persistence
 * (`--save '' --appendonly no`), stopped by its PID. Never skipped: when redis-server is
 * missing the test fails saying how to install it (.ci/run installs it).
 */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Kill it (SIGKILL by PID, like a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** Start it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function requireRedisServer(): void {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error('redis-server not found on PATH: install it (apt-get update && apt-get install -y redis-server); .ci/run installs it when missing');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function launch(port: number, password: string | undefined): Promise<ChildProcess> {
  // DEBUG SLEEP lets a test make this Redis slow on purpose.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--enable-debug-command', 'yes'];
  if (password) args.push('--requirepass', password);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} not ready within 10 s: ${out}`));
    }, 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited with ${code}: ${out}`));
    });
  });
}

function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid!, signal);
  });
}

export async function startRedis(opts: { password?: string } = {}): Promise<TestRedis> {
  requireRedisServer();
  const port = await freePort();
  let child = await launch(port, opts.password);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid!;
    },
    kill: () => killAndWait(child, 'SIGKILL'),
    async restart() {
      await killAndWait(child, 'SIGKILL');
      child = await launch(port, opts.password);
    },
    stop: () => killAndWait(child, 'SIGTERM'),
  };
}
