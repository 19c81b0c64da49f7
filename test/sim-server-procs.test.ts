import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadProfile } from '../simulator/profile.js';
import { startProviderProcesses, type ProviderProcesses } from '../simulator/processes.js';
import { observe } from './sim-server-observe.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const started: ProviderProcesses[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
});

describe('provider processes', () => {
  it('one child per provider on loopback; adding a provider leaves the others unchanged; stop() kills them', async () => {
    const a = loadProfile('simulator/profiles/openai-gpt-4o-mini.yaml');
    const b = loadProfile('simulator/profiles/groq-llama-3.3-70b.yaml');
    const [solo, duo] = await Promise.all([
      startProviderProcesses({ profiles: [a], seed: 5, speed: 1000 }),
      startProviderProcesses({ profiles: [a, b], seed: 5, speed: 1000 }),
    ]);
    started.push(solo, duo);
    expect(duo.providers.map((p) => p.id)).toEqual(['openai-gpt-4o-mini', 'groq-llama-3.3-70b']);
    for (const p of [...solo.providers, ...duo.providers]) {
      expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(p.pid).not.toBe(process.pid);
    }
    const body = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Summarise the plot of Hamlet.' }] };
    for (let id = 0; id < 10; id++) {
      const h = { 'x-sim-request-id': String(id), 'x-sim-now-ms': String(id * 500) };
      await observe(`${duo.providers[1]!.url}/chat/completions`, body, h);
      const x = await observe(`${solo.providers[0]!.url}/chat/completions`, body, h);
      const y = await observe(`${duo.providers[0]!.url}/chat/completions`, body, h);
      expect({ ...y, events: y.events.length }).toEqual({ ...x, events: x.events.length });
    }
    const pids = [...solo.providers, ...duo.providers].map((p) => p.pid);
    await solo.stop();
    await duo.stop();
    expect(pids.filter(alive)).toEqual([]);
  });

  it('npm run providers prints `provider <id> <url>` and stops its children on SIGTERM', async () => {
    const cli = spawn(process.execPath, ['--import', 'tsx', 'simulator/cli.ts', '--profile', 'google-gemini-2.0-flash', '--speed', '50'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: cli.stdout }).once('line', resolve);
      cli.once('exit', (c) => reject(new Error(`cli exited ${c}`)));
    });
    const m = /^provider (\S+) (http:\/\/127\.0\.0\.1:\d+\/v1)$/.exec(line);
    expect(m?.[1]).toBe('google-gemini-2.0-flash');
    expect((await fetch(m![2]!.replace('/v1', '/health'))).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (c) => resolve(c)));
    cli.kill('SIGTERM');
    expect(await exited).toBe(0);
    const err = await fetch(m![2]!.replace('/v1', '/health')).then(
      () => null,
      (e: Error & { cause?: { code?: string } }) => e.cause?.code,
    );
    expect(err).toBe('ECONNREFUSED');
  });

  it('a malformed profile exits 2 naming file and field, before anything starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simcli-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(
      f,
      'id: bad\nmodel: m\nttft: { medianMs: 100, sigma: 0.3 }\nthroughput: { tokensPerSecond: 50 }\ncapacity: { maxConcurrent: 1, queue: 0 }\n' +
        'failures: { baseErrorRate: 0.1, kinds: { http_500: lots } }\nprice: { input: 1, output: 1 }\n' +
        'quality: { coding: 1, math: 1, reasoning: 1, writing: 1, general: 1 }\n',
    );
    const cli = spawn(process.execPath, ['--import', 'tsx', 'simulator/cli.ts', '--profile', f], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => cli.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toContain(`${f}: failures.kinds.http_500: expected number`);
  });
});
