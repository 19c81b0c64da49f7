/**
 * Log rotation with a real signal: the proxy CLI (its own process, by PID) writes its access
 * log; the file is moved away; SIGUSR2 makes it open a new one; SIGTERM drains and flushes.
 * Upstream: a stub on 127.0.0.1 in this process. Bounded: every wait has a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'access-log-sig-'));
let child: ChildProcess | undefined;
let stub: StubUpstream | undefined;
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await stub?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The URL the CLI prints once it listens (or a rejection after 20 s / on exit). */
function listening(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('proxy did not start within 20 s')), 20_000);
    createInterface({ input: p.stdout! }).on('line', (l) => {
      const m = /listening on (http:\/\/\S+)\/v1/.exec(l);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    p.once('exit', (code) => reject(new Error(`proxy exited with ${code}`)));
  });
}

const lines = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

describe('access log rotation (SIGUSR2)', () => {
  it('reopens the file on SIGUSR2 and flushes on SIGTERM', async () => {
    stub = await startStubUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'ok' } }], usage: { prompt_tokens: 3, completion_tokens: 1 } }));
    });
    const log = join(dir, 'access.jsonl');
    const config = join(dir, 'proxy.json');
    writeFileSync(config, JSON.stringify({ server: { port: 0, access_log: log }, endpoints: [{ id: 'stub', provider: 'p', model: 'chat', base_url: stub.base }] }));
    child = spawn(process.execPath, ['--import', 'tsx', 'router/http/cli.ts', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await listening(child);
    const chat = async (id: string): Promise<void> => {
      const res = await request(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.body.text();
      expect(res.headers['x-request-id']).toBe(id);
    };
    await chat('before-1');
    await chat('before-2');
    // Rotate: move the file (lines may still be queued: they follow the old file), then signal.
    renameSync(log, `${log}.1`);
    // The new file appears once the proxy reopened: watch its folder (another process's I/O; at most 5 s).
    const reopened = new Promise<boolean>((resolve) => {
      const w = watch(dirname(log), () => {
        if (!existsSync(log)) return;
        w.close();
        clearTimeout(t);
        resolve(true);
      });
      const t = setTimeout(() => (w.close(), resolve(existsSync(log))), 5_000);
    });
    child.kill('SIGUSR2');
    expect(await reopened).toBe(true);
    await chat('after-1');
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines(`${log}.1`).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['before-1', 'before-2']);
    expect(lines(log).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['after-1']);
  }, 60_000);
});
