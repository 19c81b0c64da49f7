/**
 * Operator ergonomics. Config reload (SIGHUP): validated first, requests in flight finish on the router that took
 * them, unchanged endpoints keep their stats; --check; the default process metrics; region preference.
 * Loopback only, bounded: requests are held at the stub upstream until released (no sleeps).
 */
import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';

let stub: StubUpstream;
/** Held upstream responses (model sent upstream, and how to answer). */
const held: Array<{ model: string; res: ServerResponse }> = [];
let onHeld: (() => void) | null = null;
let want = 0;

function waitHeld(n: number): Promise<void> {
  want = n;
  return held.length >= n ? Promise.resolve() : new Promise((r) => (onHeld = r));
}
function releaseAll(): void {
  for (const h of held.splice(0)) {
    h.res.writeHead(200, { 'content-type': 'application/json' });
    h.res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: h.model } }], usage: { prompt_tokens: 3, completion_tokens: 2 } }));
  }
}

beforeAll(async () => {
  stub = await startStubUpstream((_req, res, raw) => {
    held.push({ model: (JSON.parse(raw) as { model: string }).model, res });
    if (held.length >= want && onHeld) {
      const r = onHeld;
      onHeld = null;
      r();
    }
  });
});
afterAll(() => stub.close());

const ep = (id: string, upstream: string) => ({ id, provider: 'stub', model: 'chat', upstream_model: upstream, base_url: stub.base });
const config = (endpoints: object[], strategy = 'round-robin') => ({ server: { port: 0 }, endpoints, strategy, retry: { max_attempts: 1 } });

async function ask(url: string, headers: Record<string, string> = {}): Promise<{ status: number; content: string }> {
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const j = (await r.json()) as { choices?: Array<{ message: { content: string } }> };
  return { status: r.status, content: j.choices?.[0]?.message.content ?? '' };
}

describe('proxy reload under load', () => {
  let proxy: RunningProxy;
  afterAll(() => proxy?.close(1000));

  it('loses no request; in-flight ones finish on the old config; unchanged endpoints keep their stats', async () => {
    proxy = await startProxy(config([ep('e1', 'm1'), ep('e2', 'm2')]));
    const first = Array.from({ length: 40 }, () => ask(proxy.url));
    await waitHeld(40);
    const r = proxy.reload(config([ep('e1', 'm1'), ep('e2', 'm2-new'), ep('e3', 'm3')]));
    expect(r).toEqual({ kept: ['e1'], fresh: ['e2', 'e3'], removed: [], cache: 'none', serverChanged: false });
    const second = Array.from({ length: 60 }, () => ask(proxy.url));
    await waitHeld(100);
    releaseAll();
    const a = await Promise.all(first);
    const b = await Promise.all(second);
    expect([...a, ...b].every((x) => x.status === 200)).toBe(true);
    const count = (xs: typeof a) => xs.reduce<Record<string, number>>((m, x) => ((m[x.content] = (m[x.content] ?? 0) + 1), m), {});
    expect(count(a)).toEqual({ m1: 20, m2: 20 }); // routed before the reload: the old endpoints
    expect(count(b)).toEqual({ m1: 20, 'm2-new': 20, m3: 20 });
    const stats = Object.fromEntries(proxy.router.candidates().map((c) => [c.endpoint.id, c.stats.requests]));
    expect(stats).toEqual({ e1: 40, e2: 20, e3: 20 }); // e1 carried its 20 from before the reload
  });

  it('a bad config keeps the running one, naming the field', async () => {
    const before = proxy.router;
    expect(() => proxy.reload({ endpoints: [{ ...ep('e1', 'm1'), weight: -1 }] })).toThrow(/endpoints\[0\]\.weight/);
    expect(() => proxy.reload(config([ep('e1', 'm1')], 'no-such-strategy'))).toThrow(/unknown strategy/);
    expect(proxy.router).toBe(before);
    const p = ask(proxy.url);
    await waitHeld(1);
    releaseAll();
    expect((await p).status).toBe(200);
  });

  it('/metrics carries the default process metrics', async () => {
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^llm_router_requests_total\{/m);
  });
});

describe('proxy region preference', () => {
  it('x-router-region, else the client key region, picks the endpoints of that region first', async () => {
    process.env.OPS_TEST_KEY = 'k-eu';
    const proxy = await startProxy({
      server: { port: 0, client_keys: [{ name: 'eu-team', key_env: 'OPS_TEST_KEY', region: 'eu-west' }] },
      endpoints: [
        { ...ep('us', 'm-us'), region: 'us-east' },
        { ...ep('eu', 'm-eu'), region: 'eu-west' },
      ],
      strategy: 'priority', // without a region, always "us" (first in order)
    });
    try {
      const via = async (headers: Record<string, string>) => {
        const p = ask(proxy.url, { authorization: 'Bearer k-eu', ...headers });
        await waitHeld(1);
        releaseAll();
        return (await p).content;
      };
      expect(await via({})).toBe('m-eu'); // the key's region
      expect(await via({ 'x-router-region': 'us-east' })).toBe('m-us'); // the header wins
    } finally {
      await proxy.close(1000);
      delete process.env.OPS_TEST_KEY;
    }
  });
});

describe('proxy declared prompt class', () => {
  it('x-prompt-class reaches the router: adaptive sends a declared math request only to the endpoint declaring math; a malformed one is a 400', async () => {
    const proxy = await startProxy({
      server: { port: 0 },
      endpoints: [
        { ...ep('cheap', 'm-cheap'), classes: ['general'], price: { input: 0.5, output: 0.5 } },
        { ...ep('strong', 'm-strong'), classes: ['general', 'math'], price: { input: 10, output: 10 } },
      ],
      strategy: 'adaptive', // classAware 'declared' by default
    });
    try {
      const via = async (headers: Record<string, string>) => {
        const p = ask(proxy.url, headers);
        await waitHeld(1);
        releaseAll();
        return (await p).content;
      };
      for (let i = 0; i < 5; i++) expect(await via({ 'x-prompt-class': 'math' })).toBe('m-strong');
      const bad = await fetch(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-prompt-class': 'no spaces, please' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('x-prompt-class');
    } finally {
      await proxy.close(1000);
    }
  });
});

describe('npm run router: --check and SIGHUP', () => {
  const cli = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', 'router/http/cli.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const dir = mkdtempSync(join(tmpdir(), 'proxy-reload-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const yaml = (model: string) => `server: { port: 0 }\nendpoints:\n  - { id: a, provider: stub, model: ${model}, base_url: "${stub.base}" }\n`;

  it('SIGHUP with a bad file keeps serving and says why; with a good one serves the new models', async () => {
    const file = join(dir, 'router.yaml');
    writeFileSync(file, yaml('chat'));
    const child = cli(['--config', file]);
    const lines: string[] = [];
    let waiting: { re: RegExp; done: () => void } | null = null;
    createInterface({ input: child.stderr! }).on('line', (l) => {
      lines.push(l);
      if (waiting && waiting.re.test(l)) waiting.done();
    });
    const stderrLine = (re: RegExp) => new Promise<void>((done) => (waiting = { re, done }));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (l) => {
          const m = /listening on (http:\/\/[\d.:]+)/.exec(l);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`cli exited ${code}: ${lines.join('\n')}`)));
      });
      writeFileSync(file, 'endpoints:\n  - { provider: stub, model: chat, retry: 3 }\n');
      let seen = stderrLine(/kept the running config/);
      child.kill('SIGHUP');
      await seen;
      expect(lines.join('\n')).toMatch(/endpoints\[0\]: Unrecognized key: "retry"/);
      writeFileSync(file, yaml('chat-v2'));
      seen = stderrLine(/SIGHUP: reloaded/);
      child.kill('SIGHUP');
      await seen;
      const models = (await (await fetch(`${url}/v1/models`)).json()) as { data: Array<{ id: string }> };
      expect(models.data.map((m) => m.id)).toEqual(['chat-v2']);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('--check: exit 0 for a valid file, 2 naming the field for a bad one, without listening', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, yaml('chat'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, `endpoints:\n  - { provider: stub, model: chat, base_url: "${stub.base}" }\nretry: { max_attempts: 0 }\n`);
    const run = (f: string) =>
      new Promise<{ code: number | null; out: string }>((done) => {
        const c = cli(['--config', f, '--check']);
        let out = '';
        c.stdout!.on('data', (d) => (out += d));
        c.stderr!.on('data', (d) => (out += d));
        c.once('exit', (code) => done({ code, out }));
      });
    const [g, b] = await Promise.all([run(good), run(bad)]);
    expect(g.code).toBe(0);
    expect(g.out).toContain('valid (1 endpoints');
    expect(b.code).toBe(2);
    expect(b.out).toContain(`invalid ${bad}:\nretry.max_attempts: `);
  }, 30_000);
});
