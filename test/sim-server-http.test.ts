import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { parseProfile } from '../simulator/profile.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import { baseProfile, chatBody, noFail } from './sim-profile-fixtures.js';
import { observe } from './sim-server-observe.js';

const servers: ProviderServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function start(over: Parameters<typeof baseProfile>[0], opts: Parameters<typeof startProviderServer>[1] = {}) {
  const s = await startProviderServer(parseProfile(baseProfile(over), 'test'), { speed: 1000, ...opts });
  servers.push(s);
  return s;
}
const chat = chatBody;

describe('provider server (real node:http)', () => {
  it('binds 127.0.0.1 only', async () => {
    const s = await start(noFail);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    await expect(startProviderServer(parseProfile(baseProfile(noFail), 't'), { host: '0.0.0.0' })).rejects.toThrow(/127\.0\.0\.1 only/);
  });

  it('serves /health and /v1/models', async () => {
    const s = await start(noFail);
    const h = await fetch(s.url.replace('/v1', '/health'));
    expect(h.status).toBe(200);
    const m = (await (await fetch(`${s.url}/models`)).json()) as { data: Array<{ id: string }> };
    expect(m.data[0]!.id).toBe('m');
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
  });

  it('answers JSON with usage; output = min(max_tokens, answer length)', async () => {
    const s = await start(noFail);
    const o = await observe(`${s.url}/chat/completions`, chat(false, 7), { 'x-sim-output-tokens': '30' });
    expect(o).toMatchObject({ status: 200, kind: 'ok', outputTokens: 7 });
    expect(o.usage!.prompt_tokens).toBe(Math.ceil('Write a haiku about the sea, please.'.length / 4));
  });

  it('streams SSE ending with a usage chunk then [DONE]', async () => {
    const s = await start(noFail);
    const o = await observe(`${s.url}/chat/completions`, chat(true), { 'x-sim-output-tokens': '40' });
    expect(o).toMatchObject({ status: 200, kind: 'ok', outputTokens: 40, done: true });
    expect(o.usage!.completion_tokens).toBe(40);
    expect(o.events.length).toBeGreaterThan(2);
    expect(JSON.parse(o.events[o.events.length - 2]!).usage.completion_tokens).toBe(40);
  });

  it('a stream cut ends the SSE stream without [DONE]', async () => {
    const s = await start({ failures: { baseErrorRate: 1, kinds: { stream_cut: 1 } } });
    let cuts = 0;
    for (let id = 0; id < 5; id++) {
      const o = await observe(`${s.url}/chat/completions`, chat(true), { 'x-sim-output-tokens': '50', 'x-sim-request-id': String(id) });
      expect(o.status).toBe(200);
      expect(o.done).toBe(false);
      expect(o.kind).toBe('stream_cut');
      expect(o.outputTokens).toBeLessThan(50);
      if (o.outputTokens > 0) cuts++;
    }
    expect(cuts).toBeGreaterThan(0);
  });

  it('malformed sends invalid JSON; 5xx and 429 carry their status and Retry-After', async () => {
    const bad = await start({ failures: { baseErrorRate: 1, kinds: { malformed: 1 } } });
    expect((await observe(`${bad.url}/chat/completions`, chat(false))).kind).toBe('malformed');
    const e529 = await start({ failures: { baseErrorRate: 1, kinds: { http_529: 1 } } });
    expect(await observe(`${e529.url}/chat/completions`, chat(false))).toMatchObject({ status: 529, kind: 'http_error' });
    const rl = await start({ failures: { baseErrorRate: 1, kinds: { rate_limited_429: 1 }, retryAfterMs: 2000 } });
    // Retry-After is real time: 2000 scenario ms / speed 1000 = 0.002 s
    expect(await observe(`${rl.url}/chat/completions`, chat(false))).toMatchObject({ status: 429, retryAfter: '0.002' });
  });

  it('rejects bad requests with 400 naming the field', async () => {
    const s = await start(noFail);
    const r = await fetch(`${s.url}/chat/completions`, { method: 'POST', body: '{"model":"m"}' });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/messages: expected a non-empty array/);
    const r2 = await fetch(`${s.url}/chat/completions`, { method: 'POST', body: '{nope' });
    expect(r2.status).toBe(400);
    // a scenario time beyond the Gilbert–Elliott chain's range is a 400, not a crash
    const b = await start({ failures: { baseErrorRate: 0, bursty: { meanGoodS: 10, meanBadS: 1, badErrorRate: 0 }, kinds: { http_500: 1 } } });
    const r3 = await fetch(`${b.url}/chat/completions`, { method: 'POST', body: JSON.stringify(chat(false)), headers: { 'x-sim-now-ms': '1e15' } });
    expect(r3.status).toBe(400);
    expect(await r3.text()).toMatch(/Gilbert–Elliott/);
    expect((await observe(`${b.url}/chat/completions`, chat(false))).kind).toBe('ok'); // still serving
  });

  it('an outage phase refuses connections, then the port reopens (ManualClock)', async () => {
    const clock = new ManualClock();
    const s = await start(
      { ...noFail, timeline: [{ at: 10, until: 20, kind: 'outage', mode: 'refuse' }] },
      { clock, speed: 1 },
    );
    const health = s.url.replace('/v1', '/health');
    expect((await fetch(health)).status).toBe(200);
    clock.tick(10_000);
    await s.settled();
    expect(s.listening()).toBe(false);
    const err = await fetch(health).then(
      () => null,
      (e: Error & { cause?: { code?: string } }) => e,
    );
    expect(err?.cause?.code).toBe('ECONNREFUSED');
    clock.tick(10_000);
    await s.settled();
    expect(s.listening()).toBe(true);
    expect((await fetch(health)).status).toBe(200);
  });

  it('an outage in reset mode destroys connections', async () => {
    const clock = new ManualClock();
    const s = await start({ ...noFail, timeline: [{ at: 1, kind: 'outage', mode: 'reset' }] }, { clock, speed: 1 });
    clock.tick(1000);
    const err = await fetch(s.url.replace('/v1', '/health')).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(s.listening()).toBe(true);
  });

  it('a hang holds the request until the client gives up, without blocking others', async () => {
    const s = await start({ ...noFail, timeline: [{ at: 100, until: 200, kind: 'error_burst', rate: 1, kinds: { hang: 1 } }] });
    const url = `${s.url}/chat/completions`;
    const ac = new AbortController();
    let settled = false;
    const hung = observe(url, chat(false), { 'x-sim-now-ms': '150000' }, ac.signal).finally(() => (settled = true));
    // a later request (outside the burst) completes while the first still hangs
    expect((await observe(url, chat(false), { 'x-sim-now-ms': '0' })).kind).toBe('ok');
    expect((await observe(url, chat(false), { 'x-sim-now-ms': '0' })).kind).toBe('ok');
    expect(settled).toBe(false);
    ac.abort();
    expect((await hung).kind).toBe('network');
  });
});
