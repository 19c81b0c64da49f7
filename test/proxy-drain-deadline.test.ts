import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnProxyCli } from './helpers/proxy-cli.js';
import { ManualClock } from '../router/core/clock.js';
import { seededRandom } from '../router/core/random.js';
import { startProxy } from '../router/http/start.js';
import { startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';

/**
 * Issue #21, defect 3: at the drain deadline, open requests used to be dropped without a
 * word (streams cut with no SSE error event, waiting requests reset with no response, exit
 * code 0). Now: an SSE error event per stream, a 503 + Retry-After per waiting request,
 * then the sockets close, and drain() / the CLI's exit code say the deadline was hit.
 */

const held: ServerResponse[] = [];
let stub: StubUpstream;

beforeAll(async () => {
  // `stream-hold`: one chunk, then nothing; `hold`: no answer at all. Both until the test ends.
  stub = await startStubUpstream((_req, res, raw) => {
    held.push(res);
    if ((JSON.parse(raw) as { model: string }).model === 'stream-hold') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'first' } }] })}\n\n`);
    }
  });
});

afterAll(async () => {
  for (const r of held) r.destroy();
  await stub.close();
});

const config = (drainMs: number) => ({
  endpoints: [
    { id: 'h', provider: 'p', model: 'hold', base_url: stub.base },
    { id: 's', provider: 'p', model: 'stream-hold', base_url: stub.base },
  ],
  server: { port: 0, drain_timeout_ms: drainMs },
});

const body = (model: string, stream: boolean): string => JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'x' }] });

describe('drain deadline', () => {
  it('tells every open request before closing: SSE error event for streams, 503 + Retry-After for waiting requests', async () => {
    const clock = new ManualClock();
    const proxy = await startProxy(config(2000), { clock, random: seededRandom(1) });
    const pool = new Pool(proxy.url, { connections: 4 });
    try {
      const stream = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: body('stream-hold', true) });
      const streamText = stream.body.text();
      const waiting = pool.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: body('hold', false) });
      while (held.length < 2) await new Promise((r) => setImmediate(r)); // both reached the upstream
      const closing = proxy.close();
      clock.tick(2000); // the drain deadline
      const w = await waiting;
      expect(w.statusCode).toBe(503);
      expect(w.headers['retry-after']).toBe('1');
      expect(((await w.body.json()) as { error: { code: string } }).error.code).toBe('shutting_down');
      const text = await streamText;
      expect(text).toContain('"content":"first"');
      expect(text).not.toContain('[DONE]');
      const last = JSON.parse(text.trim().split('\n\n').at(-1)!.slice('data: '.length)) as { error: { code: string } };
      expect(last.error.code).toBe('shutting_down');
      expect(await closing).toBe(false); // the deadline cut requests
    } finally {
      await pool.destroy();
    }
  });

  it('drain() resolves true when nothing was cut', async () => {
    const proxy = await startProxy(config(2000), { random: seededRandom(1) });
    expect(await proxy.close()).toBe(true);
  });

  it('the CLI exits 3 when the drain deadline cut requests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-drain-'));
    const cfg = join(dir, 'router.json');
    writeFileSync(cfg, JSON.stringify(config(300)));
    const cli = spawnProxyCli(cfg);
    const child = cli.child;
    try {
      const url = await cli.url;
      const before = held.length;
      const pending = fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body('hold', false) });
      while (held.length === before) await new Promise((r) => setImmediate(r));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      const res = await pending;
      expect(res.status).toBe(503);
      expect(await exited).toBe(3);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
