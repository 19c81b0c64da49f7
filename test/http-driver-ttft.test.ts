import { afterAll, describe, expect, it } from 'vitest';
import { runOpenLoop } from '../scenarios/load/open-loop.js';
import type { Sample } from '../scenarios/load/samples.js';
import { parseProfile } from '../simulator/profile.js';
import { startProviderServer, type ProviderServer } from '../simulator/server.js';
import type { SimRequest } from '../simulator/types.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

/**
 * http mode's open-loop driver counts TTFT (the first body byte) for a streamed answer that
 * succeeded only, as sim mode does (simulator/run.ts finish): a JSON answer's first byte is its
 * last, and a broken stream is a failure. Driven straight at mock providers on loopback (speed
 * 1000: a few real ms per request).
 */
const fast = { ttft: { medianMs: 200, sigma: 0.01 }, throughput: { tokensPerSecond: 100, jitter: 0 } };
const req = (id: number, stream: boolean): SimRequest => ({
  id,
  arrivalMs: id,
  promptClass: 'general',
  prompt: 'Write a haiku about the sea.',
  inputTokens: 20,
  outputTokens: 20,
  stream,
  sessionKey: `s${id}`,
});

async function samples(server: ProviderServer, requests: SimRequest[]): Promise<Sample[]> {
  const out: Sample[] = [];
  await runOpenLoop({ origin: `http://127.0.0.1:${server.port}`, model: 'm', requests, speed: 1000, endMs: 1000, connections: 4, timeoutMs: 10_000, onSample: (s) => out.push(s) });
  return out.sort((a, b) => a.sentMs - b.sentMs);
}

describe('open-loop driver: TTFT for streamed answers that succeeded only', () => {
  const servers: ProviderServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('a stream has a TTFT, a JSON answer none', async () => {
    const s = await startProviderServer(parseProfile(baseProfile({ ...noFail, ...fast }), 'ok'), { seed: 1, speed: 1000 });
    servers.push(s);
    const [stream, json] = await samples(s, [req(0, true), req(1, false)]);
    expect(stream!.ok && json!.ok).toBe(true);
    expect(stream!.ttftMs).toBeGreaterThan(0);
    expect(stream!.ttftMs!).toBeLessThanOrEqual(stream!.latencyMs);
    expect(json!.ttftMs).toBeUndefined();
  });

  it('a stream cut after its first tokens has none', async () => {
    const cut = parseProfile(baseProfile({ ...fast, failures: { baseErrorRate: 1, kinds: { stream_cut: 1 } } }), 'cut');
    const s = await startProviderServer(cut, { seed: 1, speed: 1000 });
    servers.push(s);
    const [stream] = await samples(s, [req(0, true)]);
    expect(stream!.ok).toBe(false);
    expect(stream!.ttftMs).toBeUndefined();
  });
});
