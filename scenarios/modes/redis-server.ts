import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A throwaway redis-server on 127.0.0.1 and a free port, no persistence (`--save ''
 * --appendonly no`), stopped by its PID: what http mode with several replicas sharing
 * state runs (one per strategy run), and what the Redis store tests start.
 */
export function requireRedisServer(): void {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error('redis-server not found on PATH: install it (apt-get update && apt-get install -y redis-server); .ci/run installs it when missing');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function launchRedis(port: number, password: string | undefined, debugCommand = true): Promise<ChildProcess> {
  // DEBUG SLEEP lets a test make this Redis slow on purpose (off for scenario runs).
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--enable-debug-command', debugCommand ? 'yes' : 'no'];
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

export function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid!, signal);
  });
}

/** Start one on a free loopback port; `stop()` ends it by PID (SIGTERM) and waits for the exit. */
export async function startRedisServer(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  requireRedisServer();
  const port = await freePort();
  const child = await launchRedis(port, undefined, false);
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid!, stop: () => killAndWait(child, 'SIGTERM') };
}
