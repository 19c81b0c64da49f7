/** The proxy's access log: one JSON line per chat request, x-request-id, drops counted, SIGUSR2-style reopen. */
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterError } from '../router/core/errors.js';
import type { Transport } from '../router/core/types.js';
import { AccessLog } from '../router/http/access-log.js';
import type { LogSink } from '../router/http/log-sink.js';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { parsePrometheusText } from './proxy-prom.js';

const transport: Transport = {
  async send(endpoint) {
    if (endpoint.id === 'busy')
      throw new RouterError('upstream_rate_limited', 'busy answered 429', { endpointId: 'busy', status: 429, retryAfterMs: 2000 });
    return { status: 200, headers: {}, body: { choices: [] }, usage: { inputTokens: 7, outputTokens: 3 } };
  },
};

const dir = mkdtempSync(join(tmpdir(), 'access-log-'));
const file = join(dir, 'access.jsonl');
let proxy: RunningProxy;

beforeAll(async () => {
  proxy = await startProxy(
    {
      server: { port: 0, access_log: file },
      endpoints: [
        { id: 'busy', provider: 'p1', model: 'chat', base_url: 'http://127.0.0.1:9/v1', price: { input: 1, output: 2 } },
        { id: 'up', provider: 'p2', model: 'chat', base_url: 'http://127.0.0.1:9/v1', price: { input: 1, output: 2 } },
      ],
      strategy: 'priority',
      health: { consecutive_failures: 100 },
    },
    { transport, port: 0, host: '127.0.0.1' },
  );
});
afterAll(async () => {
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

async function chat(body: unknown, headers: Record<string, string> = {}) {
  const res = await request(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await res.body.text();
  return res;
}

/** Lines written so far (the writer is asynchronous: flush it first). */
async function lines(): Promise<Array<Record<string, unknown>>> {
  await proxy.server.accessLog!.flush();
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('access log', () => {
  it('writes one line per request with its attempts, and returns x-request-id (a client id is kept)', async () => {
    const res = await chat({ model: 'chat', messages: [{ role: 'user', content: 'secret prompt' }] }, { 'x-request-id': 'client-42' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('client-42');
    const [line] = await lines();
    expect(line).toMatchObject({ id: 'client-42', model: 'chat', stream: false, status: 200, error: null, endpoint: 'up', tokens_in: 7, tokens_out: 3 });
    expect(typeof line!.time).toBe('string');
    expect(Number.isNaN(Date.parse(line!.time as string))).toBe(false);
    const attempts = line!.attempts as Array<Record<string, unknown>>;
    expect(attempts.map((a) => [a.endpoint, a.reason, a.outcome])).toEqual([
      ['busy', 'first', 'upstream_rate_limited'],
      ['up', 'failover', 'ok'],
    ]);
    expect(attempts[0]!.retry_after_ms).toBe(2000);
    expect(line!.cost_usd).toBeCloseTo((7 * 1 + 3 * 2) / 1e6, 12);
    expect(JSON.stringify(line)).not.toContain('secret prompt');
  });

  it('generates an id for a missing or malformed one, and logs rejected requests too', async () => {
    const res = await chat({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }, { 'x-request-id': 'has space' });
    expect(res.statusCode).toBe(404);
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    const all = await lines();
    expect(all[1]).toMatchObject({ id, model: 'nope', status: 404, error: 'model_not_found', endpoint: null, attempts: [] });
  });

  it('reopens the file after a rotation (what SIGUSR2 does)', async () => {
    expect(await lines()).toHaveLength(2);
    renameSync(file, `${file}.1`);
    await proxy.server.accessLog!.reopen();
    await chat({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    const after = await lines();
    expect(after).toHaveLength(1);
    expect(readFileSync(`${file}.1`, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });
});

describe('access log under a stalled writer', () => {
  it('drops lines past the buffer bound and counts them; memory stays bounded', async () => {
    // A sink that never writes (a stalled disk): it holds up to 1 KB, then drops.
    const held: string[] = [];
    let size = 0;
    let drops = 0;
    const registry = new Registry();
    const sink: LogSink = {
      write(line) {
        if (size + line.length > 1024) return void drops++;
        held.push(line);
        size += line.length;
      },
      reopen: async () => {},
      flush: async () => {},
      close: async () => {},
    };
    const log = new AccessLog({ dest: 'unused', registry, sink, wallNow: () => 0 });
    for (let i = 0; i < 100; i++) {
      const rec = log.begin(undefined, i, 1);
      log.end(rec, i + 5, 200, null, 'a');
    }
    expect(size).toBeLessThanOrEqual(1024);
    expect(held.length + drops).toBe(100);
    expect(drops).toBeGreaterThan(80);
    expect(log.pendingCount()).toBe(0);
  });

  it('the real sink counts drops in llm_router_access_log_dropped_total', async () => {
    const registry = new Registry();
    const d = mkdtempSync(join(tmpdir(), 'access-drop-'));
    const log = new AccessLog({ dest: join(d, 'a.jsonl'), maxBufferBytes: 4096, registry });
    // Written in one synchronous burst: the first async write is still in flight, the queue fills.
    for (let i = 0; i < 500; i++) log.end(log.begin(undefined, 0, 1), 1, 200, null, 'a');
    await log.close();
    const m = parsePrometheusText(await registry.metrics());
    const dropped = m.get('llm_router_access_log_dropped_total')?.samples[0]?.value ?? 0;
    const written = readFileSync(join(d, 'a.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    expect(dropped).toBeGreaterThan(0);
    expect(written + dropped).toBe(500);
    rmSync(d, { recursive: true, force: true });
  });
});
