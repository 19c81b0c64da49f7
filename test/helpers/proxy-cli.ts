import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Start the proxy CLI (through tsx) on `configPath`; `url` resolves with its address once it listens. */
export function spawnProxyCli(configPath: string): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'router/http/cli.ts', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /listening on (http:\/\/[\d.:]+)/.exec(l);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`cli exited ${code}`)));
  });
  return { child, url };
}
