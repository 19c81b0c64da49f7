import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { createProviderModel } from '../simulator/model.js';
import { simRequestFromChat, planResponse, WireError } from '../simulator/openai-wire.js';
import { parseProfile, type ProviderProfile } from '../simulator/profile.js';
import { holdMs, startProviderServer, type ProviderServer } from '../simulator/server.js';
import type { SimRequest } from '../simulator/types.js';
import { chatBody, simMetadata } from '../scenarios/load/samples.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';

/**
 * The fault semantics both worlds share (README "What each fault does, in every world"):
 * an outage's onset ends what is in flight; a client that leaves keeps the provider busy
 * until its next event; http mode hands a provider the workload's own request; and a
 * provider's scenario time restarts when the runner says t=0.
 */

const outageAt = (mode: 'refuse' | 'reset' | 'http_503'): ProviderProfile =>
  parseProfile(baseProfile({ ...noFail, timeline: [{ at: 10, until: 20, kind: 'outage', mode }] }), 'test');

const req = (id: number, stream: boolean, outputTokens = 100): SimRequest => ({
  id,
  arrivalMs: 0,
  promptClass: 'general',
  prompt: 'p',
  inputTokens: 50,
  outputTokens,
  stream,
  sessionKey: '',
});

/** The body http mode sends for a workload request. */
const chatMetadataBody = (r: SimRequest): Record<string, unknown> => JSON.parse(chatBody('m', r)) as Record<string, unknown>;

describe('an outage onset ends what is in flight (pure model)', () => {
  it('refuse/reset: a stream past its first token is cut there with the tokens sent and billed; JSON is reset there', () => {
    for (const mode of ['refuse', 'reset'] as const) {
      const m = createProviderModel(outageAt(mode), 1);
      const free = createProviderModel(parseProfile(baseProfile(noFail), 'test'), 1);
      const sent = 9_000; // 1 s before the onset; 100 tokens at 100 tok/s take ~1 s + TTFT
      const s = m.outcome(req(1, true), sent, 0);
      const planned = free.outcome(req(1, true), sent, 0);
      expect(planned.kind).toBe('ok');
      expect(planned.totalMs).toBeGreaterThan(1000);
      expect(s.kind).toBe('stream_cut');
      expect(s.totalMs).toBe(1000);
      expect(s.ttftMs).toBe(planned.ttftMs);
      const perToken = (planned.totalMs - planned.ttftMs) / 100;
      expect(s.outputTokens).toBe(1 + Math.floor((1000 - planned.ttftMs) / perToken));
      expect(s.costUsd).toBeCloseTo((50 * 1 + s.outputTokens * 2) / 1e6, 12);
      expect(m.outcome(req(1, false), sent, 0)).toMatchObject({ kind: 'reset', totalMs: 1000, costUsd: 0 });
      // A stream that has not sent its first token yet: reset, nothing billed.
      expect(m.outcome(req(1, true), 9_950, 0)).toMatchObject({ kind: 'reset', totalMs: 50, outputTokens: 0 });
      // Finishing before the onset, or arriving during the outage: unchanged.
      expect(m.outcome(req(2, false, 1), 5_000, 0).kind).toBe('ok');
      expect(m.outcome(req(2, false), 12_000, 0).kind).toBe(mode === 'refuse' ? 'refused' : 'reset');
    }
  });

  it('http_503 and other phases leave requests in flight alone', () => {
    const m = createProviderModel(outageAt('http_503'), 1);
    expect(m.outcome(req(1, true), 9_000, 0).kind).toBe('ok');
    expect(m.outcome(req(1, false), 12_000, 0)).toMatchObject({ kind: 'http_error', status: 503 });
  });
});

describe('a client that leaves early', () => {
  it('keeps the provider slot until the answer, a reset or the first event; not for a hang or refusal', () => {
    const profile = parseProfile(baseProfile(noFail), 'test');
    const m = createProviderModel(profile, 1);
    const json = m.outcome(req(1, false), 0, 0);
    expect(holdMs(planResponse(json, req(1, false), profile))).toBe(json.totalMs);
    const stream = m.outcome(req(1, true), 0, 0);
    expect(holdMs(planResponse(stream, req(1, true), profile))).toBe(stream.ttftMs);
    expect(holdMs({ type: 'hang' })).toBe(0);
    expect(holdMs({ type: 'refuse' })).toBe(0);
    expect(holdMs({ type: 'reset', atMs: 42 })).toBe(42);
  });
});

describe("http mode hands the provider the workload's request (body metadata)", () => {
  const profile = parseProfile(baseProfile(noFail), 'test');
  const none = (): undefined => undefined;

  it('id, answer length, input tokens and class come from metadata, as sim mode has them', () => {
    const r = { ...req(1234, true, 77), inputTokens: 321, promptClass: 'coding' };
    const parsed = simRequestFromChat(chatMetadataBody(r), none, 0, profile, 1);
    expect(parsed.req).toMatchObject({ id: 1234, outputTokens: 77, inputTokens: 321, promptClass: 'coding', stream: true });
    expect(simMetadata(r)).toEqual({ sim_request_id: '1234', sim_output_tokens: '77', sim_input_tokens: '321', sim_prompt_class: 'coding' });
  });

  it('a header still wins; a bad metadata value is a 400 naming it', () => {
    const body = chatMetadataBody(req(5, false, 10));
    const headers = (n: string): string | undefined => (n === 'x-sim-request-id' ? '9' : undefined);
    expect(simRequestFromChat(body, headers, 0, profile, 1).req.id).toBe(9);
    const bad = { ...body, metadata: { sim_output_tokens: '-3' } };
    expect(() => simRequestFromChat(bad, none, 0, profile, 1)).toThrow(WireError);
    expect(() => simRequestFromChat(bad, none, 0, profile, 1)).toThrow(/metadata\.sim_output_tokens: expected a non-negative number, got "-3"/);
  });
});

describe('a provider server restarts scenario time when the runner says t=0', () => {
  let server: ProviderServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('setOrigin moves t=0 and re-applies the timeline phase in force', async () => {
    const clock = new ManualClock();
    // Started an hour before t=0, as http mode does: scenario time is negative, no phase yet.
    server = await startProviderServer(outageAt('refuse'), { clock, speed: 1, elapsedMs: -3_600_000 });
    clock.tick(30_000);
    expect(server.scenarioNow()).toBe(-3_570_000);
    expect(server.listening()).toBe(true);
    server.setOrigin(10_000); // t=10 s now: the outage has begun
    expect(server.scenarioNow()).toBe(10_000);
    await server.settled();
    expect(server.listening()).toBe(false);
    clock.tick(10_000);
    await server.settled();
    expect(server.listening()).toBe(true);
  });
});
