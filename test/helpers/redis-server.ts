import { freePort, killAndWait, launchRedis as launch, requireRedisServer } from '../../scenarios/modes/redis-server.js';

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

export { requireRedisServer };
