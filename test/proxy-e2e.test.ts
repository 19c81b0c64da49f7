import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnProxyCli } from './helpers/proxy-cli.js';
import { seededRandom, randomInt, type Random } from '../router/core/random.js';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { parseProfile } from '../simulator/profile.js';
import { startProviderProcesses, type ProviderProcesses } from '../simulator/processes.js';
import { parsePrometheusText } from './proxy-prom.js';

/**
 * The whole proxy (real router, undici transport, node:http edge) over three mock
 * provider processes, driven by the official openai SDK; plus an in-test stub upstream
 * for what a mock profile cannot do deterministically (a cut after the first chunk, a
 * held request, recording the upstream Authorization header).
 */

const UPSTREAM_KEY = 'sk-upstream-secret-123';

function fastProfile(id: string): Record<string, unknown> {
  return {
    id,
    model: `${id}-model`,
    provider: id,
    ttft: { medianMs: 2, sigma: 0 },
    throughput: { tokensPerSecond: 1e6, jitter: 0 },
    answerTokens: { median: 12, sigma: 0 },
    capacity: { maxConcurrent: 10_000, queue: 0 },
    failures: { baseErrorRate: 0, kinds: {} },
    price: { input: 1, output: 2 },
    quality: { coding: 1, math: 1, reasoning: 1, writing: 1, general: 1 },
  };
}

// ---- a scripted stub upstream
let stub: Server;
let stubUrl: string;
const stubAuth: string[] = [];
let releaseHold: (() => void) | undefined;
let onHold: (() => void) | undefined;

function startStub(): Promise<void> {
  stub = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      stubAuth.push(String(req.headers.authorization));
      const body = JSON.parse(raw) as { model: string };
      const chunk = (s: string): string => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta: { content: s }, finish_reason: null }] })}\n\n`;
      if (body.model === 'cut-up') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk('first '));
        // Cut the connection once the second chunk is flushed: a stream that breaks mid-way.
        res.write(chunk('second '), () => res.socket?.destroy());
        return;
      }
      if (body.model === 'hold-up') {
        releaseHold = () =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({ id: 'h', object: 'chat.completion', created: 0, model: 'hold-up', choices: [{ index: 0, message: { role: 'assistant', content: 'held' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
          );
        onHold?.();
        return;
      }
      res.writeHead(500).end();
    });
  });
  return new Promise((r) =>
    stub.listen(0, '127.0.0.1', () => {
      stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/v1`;
      r();
    }),
  );
}

let procs: ProviderProcesses;
let proxy: RunningProxy;
let client: OpenAI;
let pool: Pool;
let bodyLimit = 0;

beforeAll(async () => {
  await startStub();
  procs = await startProviderProcesses({
    profiles: ['pa', 'pb', 'pc'].map((id) => parseProfile(fastProfile(id), id)),
    seed: 7,
    minChunkMs: 0,
  });
  const [a, b, c] = procs.providers;
  bodyLimit = 64 * 1024;
  proxy = await startProxy(
    {
      server: { port: 0, bodyLimitBytes: bodyLimit, drainTimeoutMs: 1000 },
      endpoints: [
        { id: 'a', provider: 'pa', model: 'chat', upstream_model: 'pa-model', base_url: a!.url, api_key_env: 'UPSTREAM_KEY', price: { input: 1, output: 2 } },
        { id: 'b', provider: 'pb', model: 'chat', upstream_model: 'pb-model', base_url: b!.url, api_key_env: 'UPSTREAM_KEY', price: { input: 1, output: 2 } },
        { id: 'c', provider: 'pc', model: 'chat', upstream_model: 'pc-model', base_url: c!.url, api_key_env: 'UPSTREAM_KEY', price: { input: 1, output: 2 } },
        { id: 'cut', provider: 'stub', model: 'cut', upstream_model: 'cut-up', base_url: stubUrl, api_key_env: 'UPSTREAM_KEY' },
      ],
      strategy: 'round-robin',
      retry: { maxAttempts: 4, backoffBaseMs: 1, backoffMaxMs: 5, budgetRatio: 10, budgetMinPerSecond: 1000 },
      health: { consecutiveFailures: 2, baseEjectionMs: 60_000, maxEjectionMs: 60_000 },
      timeouts: { ttftMs: 5_000, totalMs: 15_000 },
    },
    { env: { UPSTREAM_KEY } },
  );
  client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 20_000 });
  pool = new Pool(proxy.url, { connections: 32 });
}, 60_000);

afterAll(async () => {
  await pool?.destroy();
  await proxy?.close(1000);
  await procs?.stop();
  stub?.closeAllConnections();
  await new Promise<void>((r) => (stub ? stub.close(() => r()) : r()));
});

describe('proxy end to end (openai SDK -> proxy -> mock providers)', () => {
  it('non-streaming completion, with routing headers', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'Say hi' }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toMatch(/\w/);
    expect(data.usage?.completion_tokens).toBe(12);
    expect(['a', 'b', 'c']).toContain(response.headers.get('x-router-endpoint'));
    expect(response.headers.get('x-router-attempts')).toBe('1');
    expect(response.headers.get('x-router-tried')).toBe(response.headers.get('x-router-endpoint'));
  });

  it('streaming completion', async () => {
    const stream = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'Count' }] });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text.length).toBeGreaterThan(10);
    expect(finish).toBe('stop');
  });

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['chat', 'cut']);
  });

  it('an upstream stream cut after the first chunk reaches the SDK as an error', async () => {
    const stream = await client.chat.completions.create({ model: 'cut', stream: true, messages: [{ role: 'user', content: 'x' }] });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })().catch((e: unknown) => e);
    expect(text).toContain('first');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String((err as Error).message)).toMatch(/stream/);
  });

  it('sends the provider key upstream and never echoes it', async () => {
    expect(stubAuth.length).toBeGreaterThan(0);
    expect(stubAuth.every((h) => h === `Bearer ${UPSTREAM_KEY}`)).toBe(true);
    for (const path of ['/health', '/metrics', '/v1/models']) {
      const r = await pool.request({ method: 'GET', path });
      expect(await r.body.text()).not.toContain(UPSTREAM_KEY);
    }
  });

  it('>= 1,000 malformed requests get only 4xx JSON errors and the server stays up', async () => {
    const rng = seededRandom(42);
    const statuses = new Map<number, number>();
    let bad = 0;
    const N = 1200;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < N) {
          const i = next++;
          const { body, headers } = malformed(rng, i, bodyLimit);
          const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body });
          const text = await res.body.text();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          let shaped = false;
          try {
            const j = JSON.parse(text) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
            shaped = typeof j.error?.message === 'string' && typeof j.error.type === 'string' && 'code' in j.error;
          } catch {
            shaped = false;
          }
          if (res.statusCode < 400 || res.statusCode >= 500 || !shaped) {
            bad++;
            if (bad < 5) console.error('unexpected', i, res.statusCode, text.slice(0, 200));
          }
        }
      }),
    );
    expect(bad).toBe(0);
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    expect(statuses.get(413)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(statuses.get(404)).toBeGreaterThan(0);
    // still serving
    const ok = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'still there?' }] });
    expect(ok.choices.length).toBe(1);
  }, 60_000);

  it('/metrics parses as Prometheus text and counts tokens, cost and stream errors', async () => {
    const r = await pool.request({ method: 'GET', path: '/metrics' });
    const fams = parsePrometheusText(await r.body.text());
    const sum = (name: string, pred: (l: Record<string, string>) => boolean = () => true): number =>
      (fams.get(name)?.samples ?? []).filter((s) => pred(s.labels)).reduce((a, s) => a + s.value, 0);
    expect(sum('llm_router_requests_total', (l) => l.status === '200')).toBeGreaterThanOrEqual(2);
    expect(sum('llm_router_tokens_total', (l) => l.direction === 'output')).toBeGreaterThan(0);
    expect(sum('llm_router_cost_usd_total')).toBeGreaterThan(0);
    expect(sum('llm_router_stream_errors_total')).toBeGreaterThanOrEqual(1);
    expect(fams.get('llm_router_breaker_state')?.samples.length).toBe(4);
    expect(fams.get('llm_router_ttft_seconds')?.type).toBe('histogram');
  });

  // Last: it kills a provider.
  it('killing one of three providers mid-run gives 0 client-visible errors', async () => {
    const N = 300;
    let done = 0;
    let next = 0;
    let killed = false;
    const errors: string[] = [];
    const used = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < N) {
          const i = next++;
          if (!killed && done >= 100) {
            killed = true;
            process.kill(procs.providers[1]!.pid, 'SIGKILL');
          }
          try {
            if (i % 3 === 0) {
              const s = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: `s${i}` }] });
              let n = 0;
              for await (const c of s) n += c.choices[0]?.delta?.content?.length ?? 0;
              if (n === 0) errors.push(`${i}: empty stream`);
            } else {
              const { data, response } = await client.chat.completions
                .create({ model: 'chat', messages: [{ role: 'user', content: `q${i}` }] })
                .withResponse();
              if (!data.choices[0]?.message.content) errors.push(`${i}: empty`);
              const ep = response.headers.get('x-router-endpoint') ?? '?';
              if (killed) used.set(ep, (used.get(ep) ?? 0) + 1);
            }
          } catch (e) {
            errors.push(`${i}: ${(e as Error).message}`);
          }
          done++;
        }
      }),
    );
    expect(killed).toBe(true);
    expect(errors).toEqual([]);
    // After the kill the dead provider is ejected: the survivors carry the load.
    expect((used.get('a') ?? 0) + (used.get('c') ?? 0)).toBeGreaterThan(100);
  }, 60_000);
});

/** One malformed request, drawn from a seeded stream so failures replay. */
function malformed(rng: Random, i: number, limit: number): { body: string | Buffer; headers: Record<string, string> } {
  const headers = { 'content-type': 'application/json' };
  const msg = [{ role: 'user', content: 'x' }];
  const kinds: Array<() => string | Buffer> = [
    () => Buffer.from(Array.from({ length: 1 + randomInt(rng, 200) }, () => randomInt(rng, 256))), // random bytes
    () => JSON.stringify({ model: 'chat', messages: msg }).slice(0, 1 + randomInt(rng, 40)), // truncated JSON
    () => '',
    () => 'null',
    () => String(randomInt(rng, 1000)),
    () => '[1,2,3]',
    () => '"just a string"',
    () => JSON.stringify({ model: 123, messages: msg }),
    () => JSON.stringify({ model: 'chat' }),
    () => JSON.stringify({ model: 'chat', messages: 'hello' }),
    () => JSON.stringify({ model: 'chat', messages: [] }),
    () => JSON.stringify({ model: 'chat', messages: [{}] }),
    () => JSON.stringify({ model: 'chat', messages: [{ role: 7, content: 'x' }] }),
    () => JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 42 }] }),
    () => JSON.stringify({ model: 'chat', messages: msg, stream: 'yes' }),
    () => JSON.stringify({ model: 'chat', messages: msg, max_tokens: -randomInt(rng, 100) }),
    () => JSON.stringify({ model: 'chat', messages: msg, max_tokens: 1.5 }),
    () => JSON.stringify({ model: 'chat', messages: msg, temperature: 'hot' }),
    () => JSON.stringify({ model: 'chat', messages: msg, n: 0 }),
    () => JSON.stringify({ model: 'no-such-model', messages: msg }),
    () => JSON.stringify({ model: '', messages: msg }),
    () => '{"model": "chat", "messages": [' + '['.repeat(5000) + ']'.repeat(5000) + ']}', // deep nesting
    () => '{"model":"chat","messages":[{"role":"user","content":"\udc00\ud800"}],' , // broken JSON
    () => JSON.stringify({ model: 'chat', messages: msg, pad: 'x'.repeat(limit + randomInt(rng, 3 * limit)) }), // too large
  ];
  const k = i % kinds.length;
  return { body: kinds[k]!(), headers };
}

// ---- SIGTERM drain through the real CLI process
describe('npm run router: SIGTERM drains in-flight requests, then exits 0', () => {
  it('finishes a held request after SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-cli-'));
    const cfg = join(dir, 'router.yaml');
    writeFileSync(
      cfg,
      `server: { port: 0, drain_timeout_ms: 10000 }\nendpoints:\n  - { id: hold, provider: stub, model: hold, upstream_model: hold-up, base_url: "${stubUrl}" }\n`,
    );
    const cli = spawnProxyCli(cfg);
    const child = cli.child;
    try {
      const url = await cli.url;
      const held = new Promise<void>((r) => (onHold = r));
      const c = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0 });
      const pending = c.chat.completions.create({ model: 'hold', messages: [{ role: 'user', content: 'wait' }] });
      await held;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      // Wait until the CLI says it is draining, then let the upstream answer.
      await new Promise<void>((resolve) => createInterface({ input: child.stderr! }).on('line', (l) => /draining 1/.test(l) && resolve()));
      releaseHold!();
      const res = await pending;
      expect(res.choices[0]!.message.content).toBe('held');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
