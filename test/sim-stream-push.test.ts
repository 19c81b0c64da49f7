import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../router/core/types.js';
import { STREAM_PUSH, STREAM_RESUME, isPushSource, type ChunkSink } from '../router/core/push.js';
import { Engine } from '../simulator/engine.js';
import type { ProviderModel, ProviderState } from '../simulator/model.js';
import { createSimTransport } from '../simulator/sim-transport.js';
import type { ProviderOutcome, SimRequest } from '../simulator/types.js';

/** A provider whose every answer is `o` (only what the transport calls is real). */
function fixedModel(o: ProviderOutcome): ProviderModel {
  return {
    id: 'p',
    outcome: () => o,
    admit: (st: ProviderState) => void st.inFlight++,
    release: (st: ProviderState) => void (st.inFlight > 0 && st.inFlight--),
  } as unknown as ProviderModel;
}

const ok: ProviderOutcome = { kind: 'ok', status: 200, ttftMs: 100, totalMs: 500, inputTokens: 10, outputTokens: 20, acceptable: true, costUsd: 0.001 };
const cut: ProviderOutcome = { ...ok, kind: 'stream_cut', outputTokens: 5, acceptable: false };
const req: SimRequest = { id: 1, arrivalMs: 0, prompt: 'hi', promptClass: 'general', inputTokens: 10, outputTokens: 20, stream: true } as SimRequest;

/** Send one streamed request at t=0 and push its stream into a recording sink from the response on. */
async function pushRun(o: ProviderOutcome, pauseAt: Set<number>, resumeAt?: number): Promise<string[]> {
  const engine = new Engine({ drain: 'auto' });
  const t = createSimTransport({ engine, providers: [{ id: 'p', model: fixedModel(o) }], lookup: () => req });
  const log: string[] = [];
  let n = 0;
  const sink: ChunkSink = {
    pushChunk: (c) => {
      log.push(`chunk${++n}@${engine.now()}${String(c).includes('[DONE]') ? ':done-marker' : ''}`);
      return !pauseAt.has(n);
    },
    pushEnd: () => void log.push(`end@${engine.now()}`),
    pushError: (e) => void log.push(`error@${engine.now()}:${(e as { code?: string }).code}`),
  };
  engine.at(0, () => {
    void t.send({ id: 'p' } as Endpoint, { id: '1', model: 'm', stream: true }, { signal: new AbortController().signal }).then((res) => {
      const s = res.stream!;
      expect(isPushSource(s)).toBe(true);
      (s as unknown as { [STREAM_PUSH](k: ChunkSink): void })[STREAM_PUSH](sink);
      if (resumeAt !== undefined) engine.at(resumeAt, () => (s as unknown as { [STREAM_RESUME](): void })[STREAM_RESUME]());
    });
  });
  await engine.run();
  return log;
}

describe('simulated stream by push (STREAM_PUSH)', () => {
  it('delivers the first chunk at TTFT, the last chunk and the end at totalMs', async () => {
    expect(await pushRun(ok, new Set())).toEqual(['chunk1@100', 'chunk2@500:done-marker', 'end@500']);
  });

  it('holds everything back while the consumer is paused, and resumes where it stopped', async () => {
    expect(await pushRun(ok, new Set([1]), 800)).toEqual(['chunk1@100', 'chunk2@800:done-marker', 'end@800']);
    expect(await pushRun(ok, new Set([2]), 900)).toEqual(['chunk1@100', 'chunk2@500:done-marker', 'end@900']);
  });

  it('a cut stream ends with pushError(stream_cut), no clean end', async () => {
    expect(await pushRun(cut, new Set())).toEqual(['chunk1@100', 'error@500:stream_cut']);
  });
});
