import type { ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../router/core/random.js';
import { startProxy, type RunningProxy } from '../router/http/start.js';
import { startStubUpstream, type StubUpstream } from './helpers/stub-upstream.js';
import { parsePrometheusText } from './proxy-prom.js';

/**
 * Issue #21, defect 2 and the stall gap: a malformed SSE event from a provider, a stream that stalls. Before the first byte reached
 * the client the request fails over; after it the client gets an SSE error event and no
 * [DONE], and the metrics count a stream error. Real router + undici transport + proxy over
 * a scripted stub upstream (the upstream model names the behaviour).
 */

const chunk = (content: string): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const TRUNCATED = 'data: {"id":"c","choices":[{"delta":{"content":\n\n';

let stub: StubUpstream;
/** Sends the rest of the 'bad-later' stream: called by the test once the client has the first chunk. */
let sendRest: (() => void) | undefined;
let proxy: RunningProxy;
let pool: Pool;

function behave(model: string, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (model === 'bad-first') return void res.end(TRUNCATED + 'data: [DONE]\n\n');
  if (model === 'bad-later') {
    res.write(chunk('first '));
    // The broken event in a later socket write, once the first chunk reached the client.
    sendRest = () => res.end(chunk('second ') + TRUNCATED + 'data: [DONE]\n\n');
    return;
  }
  if (model === 'stall') return void res.write(chunk('first ')); // then nothing, until the router gives up
  res.end(chunk('fine') + 'data: [DONE]\n\n');
}

beforeAll(async () => {
  stub = await startStubUpstream((_req, res, raw) => behave((JSON.parse(raw) as { model: string }).model, res));
  proxy = await startProxy(
    {
      endpoints: [
        { id: 'broken', provider: 'p', model: 'first', upstream_model: 'bad-first', base_url: stub.base, priority: 0 },
        { id: 'fine', provider: 'p', model: 'first', upstream_model: 'good', base_url: stub.base, priority: 1 },
        { id: 'later', provider: 'p', model: 'later', upstream_model: 'bad-later', base_url: stub.base },
        { id: 'stalls', provider: 'p', model: 'stall', upstream_model: 'stall', base_url: stub.base },
      ],
      strategy: 'priority',
      timeouts: { stall_ms: 300 },
      server: { port: 0 },
    },
    { random: seededRandom(21) },
  );
  pool = new Pool(proxy.url, { connections: 4 });
});

afterAll(async () => {
  await pool.close();
  await proxy.close(100);
  await stub.close();
});

/** A streamed request's whole body; `onFirst` runs once the client has received its first bytes. */
async function stream(model: string, onFirst?: () => void) {
  const r = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  let text = '';
  for await (const part of r.body) {
    if (text === '') onFirst?.();
    text += (part as Buffer).toString('utf8');
  }
  return { status: r.statusCode, headers: r.headers, text };
}

/** Every event the client got must parse (or be [DONE]): what the openai SDK needs. */
function events(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((e) => e.trim() !== '')
    .map((e) => {
      const data = e.replace(/^data: /, '');
      return data === '[DONE]' ? '[DONE]' : (JSON.parse(data) as unknown);
    });
}

describe('malformed SSE events from a provider', () => {
  it('before the first byte: fails over, the client sees a clean stream', async () => {
    const r = await stream('first');
    expect(r.status).toBe(200);
    expect(r.headers['x-router-tried']).toBe('broken,fine');
    expect(r.text).toBe(chunk('fine') + 'data: [DONE]\n\n');
  });

  it('after the first byte: the good events, then an SSE error event, no [DONE]; counted as a stream error', async () => {
    const r = await stream('later', () => sendRest!());
    expect(r.status).toBe(200);
    const evs = events(r.text); // throws if the client got the broken event
    expect(r.text).toContain('"content":"first "');
    expect(r.text).not.toContain('[DONE]');
    expect(evs.at(-1)).toMatchObject({ error: { code: 'malformed_response', type: 'server_error' } });
    const fams = parsePrometheusText(await (await pool.request({ method: 'GET', path: '/metrics' })).body.text());
    expect(fams.get('llm_router_stream_errors_total')?.samples).toContainEqual(expect.objectContaining({ labels: { endpoint: 'later', code: 'malformed_response' }, value: 1 }));
    const ok = fams.get('llm_router_upstream_attempts_total')?.samples.find((s) => s.labels.endpoint === 'later');
    expect(ok?.labels.outcome).toBe('malformed_response');
  });
});

describe('a stream that stalls mid-body', () => {
  it('ends with an SSE error event (stream_stalled) after timeouts.stallMs, not at the total deadline', async () => {
    const r = await stream('stall');
    expect(r.status).toBe(200);
    expect(r.text).toContain('"content":"first "');
    expect(r.text).not.toContain('[DONE]');
    expect(events(r.text).at(-1)).toMatchObject({ error: { code: 'stream_stalled' } });
  });
});
