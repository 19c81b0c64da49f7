/**
 * hedging.onLong through the proxy and its real HTTP transport: a long JSON request is sent to both
 * upstreams at once, the one that answers wins, and the other upstream sees its request closed (the
 * loser aborted mid-flight). Two loopback stub upstreams; warm-up streams give each a decode rate.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type RunningProxy } from '../router/http/start.js';

const chunk = (o: object): string => `data: ${JSON.stringify(o)}\n\n`;
const upstreams: Server[] = [];
/** Per upstream: a promise that settles when a long request it got was closed by the proxy. */
const closed: Array<Promise<void>> = [];
let proxy: RunningProxy;

async function readJson(req: IncomingMessage): Promise<{ stream?: boolean; max_tokens?: number }> {
  let s = '';
  for await (const c of req) s += c;
  return JSON.parse(s) as { stream?: boolean; max_tokens?: number };
}

/**
 * An upstream: streams 10 tokens (the last chunk 20 ms after the first, with usage); a JSON request
 * it answers at once, except a long one (max_tokens over 1,000) when `answers` is false: that it
 * holds until the proxy closes it.
 */
function upstream(answers: boolean): Promise<string> {
  let onClosed!: () => void;
  closed.push(new Promise<void>((r) => (onClosed = r)));
  const s = createServer((req, res) => {
    void readJson(req).then((body) => {
      if (body.stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }] }));
        setTimeout(() => {
          res.end(
            chunk({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'b' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 10, total_tokens: 15 } }) +
              'data: [DONE]\n\n',
          );
        }, 20);
        return;
      }
      if (!answers && (body.max_tokens ?? 0) > 1_000) {
        res.on('close', onClosed);
        return; // held until the proxy gives up on it
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'long' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } }));
    });
  });
  upstreams.push(s);
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}/v1`)));
}

async function post(body: object): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const res = await request(`${proxy.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

beforeAll(async () => {
  const [held, quick] = [await upstream(false), await upstream(true)];
  proxy = await startProxy(
    {
      server: { port: 0 },
      endpoints: [
        { id: 'held', provider: 'p1', model: 'chat', base_url: held },
        { id: 'quick', provider: 'p2', model: 'chat', base_url: quick },
      ],
      strategy: 'round-robin',
      hedging: { on_long: { enabled: true, over_ms: 1_000 } },
    },
    { port: 0, host: '127.0.0.1' },
  );
});
afterAll(async () => {
  await proxy.close();
  for (const s of upstreams) s.close();
});

describe('hedging.onLong through the proxy', () => {
  it('sends a long JSON request to both upstreams; the answer wins and the other request is closed', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await post({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'warm' }] });
      expect(r.status).toBe(200);
    }
    // Predicted: ~20 ms + (100,000 - 10) x ~2 ms per token, far over 1 s.
    const r = await post({ model: 'chat', max_tokens: 100_000, messages: [{ role: 'user', content: 'a long one' }] });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).choices[0].message.content).toBe('long');
    expect(r.headers['x-router-endpoint']).toBe('quick');
    expect(String(r.headers['x-router-tried']).split(',').sort()).toEqual(['held', 'quick']);
    await closed[0]; // the held upstream's request was closed by the proxy (else the test times out)
  });

});
