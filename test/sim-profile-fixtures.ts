import type { ProviderProfileInput } from '../simulator/profile.js';

/** A small valid profile for tests; override any field. */
export function baseProfile(over: Partial<ProviderProfileInput> = {}): ProviderProfileInput {
  return {
    id: 'p',
    model: 'm',
    ttft: { medianMs: 400, sigma: 0.5 },
    throughput: { tokensPerSecond: 100, jitter: 0.1 },
    capacity: { maxConcurrent: 10, queue: 10 },
    failures: { baseErrorRate: 0.05, kinds: { http_500: 1, http_503: 1, stream_cut: 1 } },
    price: { input: 1, output: 2 },
    quality: { coding: 0.5, math: 0.5, reasoning: 0.5, writing: 0.9, general: 0.8 },
    ...over,
  };
}

/** Profile override: no faults at all. */
export const noFail = { failures: { baseErrorRate: 0, kinds: {} } };

/** A chat completion body for provider-server tests (model `m`, as baseProfile serves). */
export const chatBody = (stream: boolean, max?: number) => ({
  model: 'm',
  stream,
  ...(max ? { max_tokens: max } : {}),
  messages: [{ role: 'user', content: 'Write a haiku about the sea, please.' }],
});
