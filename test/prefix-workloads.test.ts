import { describe, expect, it } from 'vitest';
import { loadTrace, parseTrace, TRACE_FILES } from '../simulator/trace.js';
import { createWorkload, type WorkloadSpec } from '../simulator/workload.js';
import type { SimRequest } from '../simulator/types.js';

/** Workloads with prompt prefixes: Mooncake hash_ids replay and multi-turn conversations. */

const all = (spec: WorkloadSpec, seed = 1): SimRequest[] => [...createWorkload(spec, seed)];
const MIX = [{ class: 'general', inputTokens: 300, outputTokens: 200 }];

describe('Mooncake hash_ids replay', () => {
  it('each request carries its row hash_ids as its prefix', () => {
    const reqs = all({ arrivals: 'trace', trace: { file: TRACE_FILES.mooncake, format: 'mooncake', prefixes: true }, durationS: 30 });
    expect(reqs.length).toBeGreaterThan(10);
    // First row of data/traces/mooncake_synthetic_trace.jsonl: 40,160 tokens, hash_ids 0..78
    expect(Array.from(reqs[0]!.prefix!)).toEqual(Array.from({ length: 79 }, (_, i) => i));
    expect(reqs[0]!.inputTokens).toBe(40160);
    const t = loadTrace(TRACE_FILES.mooncake);
    expect(t.missingPrefixLine).toBeUndefined();
    // Reuse exists in the trace: some later request shares a leading block with an earlier one.
    const seen = new Set<number>();
    let reused = 0;
    for (const r of reqs) {
      if (seen.has(r.prefix![0]!)) reused++;
      seen.add(r.prefix![0]!);
    }
    expect(reused).toBeGreaterThan(0);
  });

  it('without trace.prefixes the requests have no prefix (replay unchanged)', () => {
    const reqs = all({ arrivals: 'trace', trace: { file: TRACE_FILES.mooncake, format: 'mooncake' }, durationS: 5 });
    expect(reqs.every((r) => !('prefix' in r))).toBe(true);
  });

  it('bad hash_ids are errors naming the file, line and field', () => {
    const row = (ids: string) => `{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": ${ids}}\n`;
    expect(() => parseTrace(row('"x"'), 'a.jsonl')).toThrow(/a\.jsonl:1: hash_ids must be a list of non-negative integers/);
    expect(() => parseTrace(row('[1, 2]') + row('[1, -2]'), 'b.jsonl')).toThrow(/b\.jsonl:2: hash_ids\[1\] must be a non-negative integer/);
    expect(() => parseTrace(row('[1.5]'), 'c.jsonl')).toThrow(/c\.jsonl:1: hash_ids\[0\]/);
  });

  it('prefix replay of a trace with a row missing hash_ids names the file and line', () => {
    const text = '{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": [1]}\n{"timestamp": 3, "input_length": 5, "output_length": 1}\n';
    const trace = { ...parseTrace(text, 'm.jsonl'), prefixes: true };
    expect(() => all({ arrivals: 'trace', trace, durationS: 5 })).toThrow(/workload\.trace\.prefixes: m\.jsonl:2: hash_ids: missing/);
    const azure = { ...loadTrace(TRACE_FILES.azureCode), prefixes: true };
    expect(() => all({ arrivals: 'trace', trace: azure, durationS: 5 })).toThrow(/trace\.prefixes: .*no prefix blocks/);
  });
});

describe('multi-turn conversations with shared system prompts', () => {
  const spec = (over: object = {}): WorkloadSpec => ({
    arrivals: 'poisson',
    rate: 50,
    durationS: 60,
    mix: MIX,
    sessions: 20,
    conversations: { meanTurns: 4, systemPrompts: 2, systemTokens: 1024, blockTokens: 512, ...over },
  });

  it('turn k re-sends turns 1..k-1: a session\'s next prefix extends its previous one, inputs grow by user + answer', () => {
    const reqs = all(spec());
    const last = new Map<string, SimRequest>();
    let extended = 0;
    for (const r of reqs) {
      const prev = last.get(r.sessionKey);
      expect(r.prefix!.length).toBe(Math.floor(r.inputTokens / 512));
      if (prev && r.inputTokens > prev.inputTokens) {
        // same conversation: its input is the previous input + answer + a new user message
        expect(r.inputTokens).toBe(prev.inputTokens + 200 + 300);
        expect(Array.from(r.prefix!).slice(0, prev.prefix!.length)).toEqual(Array.from(prev.prefix!));
        extended++;
      } else expect(r.inputTokens).toBe(1024 + 300); // a new conversation: system prompt + first message
      last.set(r.sessionKey, r);
    }
    expect(extended).toBeGreaterThan(reqs.length / 2);
  });

  it('conversations on the same system prompt share its blocks; others do not', () => {
    const reqs = all(spec({ meanTurns: 1 }));
    const heads = new Set(reqs.map((r) => `${r.prefix![0]},${r.prefix![1]}`));
    expect(heads.size).toBe(2); // 2 system prompts of 2 blocks each
    for (const r of reqs) expect(r.prefix!.length).toBe(2); // 1,324 tokens: 2 full blocks
  });

  it('is deterministic, and leaves every other field as without conversations', () => {
    const a = all(spec());
    expect(JSON.stringify(all(spec()))).toBe(JSON.stringify(a));
    const { conversations: _, ...rest } = spec();
    const plain = all(rest);
    expect(plain.every((r) => !('prefix' in r))).toBe(true);
    expect(a.map((r) => [r.id, r.arrivalMs, r.sessionKey, r.outputTokens, r.stream])).toEqual(plain.map((r) => [r.id, r.arrivalMs, r.sessionKey, r.outputTokens, r.stream]));
  });

  it('bad conversation fields are errors naming the field', () => {
    expect(() => all(spec({ meanTurns: 0 }))).toThrow(/^workload\.conversations\.meanTurns: expected a number >= 1/);
    expect(() => all(spec({ blockTokens: 0 }))).toThrow(/^workload\.conversations\.blockTokens/);
    expect(() => all(spec({ turns: 3 }))).toThrow(/^workload\.conversations\.turns: unknown field/);
  });
});

describe('Mooncake hash_ids replay through the simulator', () => {
  it('prefix-affinity reads more of the trace from cache than round-robin, and every run is deterministic', async () => {
    const { runSim } = await import('../simulator/run.js');
    const { parseProfile } = await import('../simulator/profile.js');
    const { baseProfile, noFail } = await import('./sim-profile-fixtures.js');
    const profiles = ['a', 'b', 'c'].map((id) =>
      parseProfile(baseProfile({ ...noFail, id, capacity: { maxConcurrent: 200, queue: 200 }, cache: { capacityBlocks: 20_000, readPrice: 0.1 } }), id),
    );
    const run = async (strategy: string) =>
      (
        await runSim({
          router: { endpoints: profiles.map((p) => ({ id: p.id, provider: p.id, model: 'chat', price: p.price })), strategy },
          providers: profiles.map((p) => ({ id: p.id, profile: p })),
          workload: { arrivals: 'trace', trace: { file: TRACE_FILES.mooncake, format: 'mooncake', prefixes: true, speed: 10 }, durationS: 40, mix: MIX },
          seed: 1,
          oracle: false,
        })
      ).result.summary;
    const rr = await run('round-robin');
    const pa = await run('prefix-affinity');
    expect(rr.requests).toBeGreaterThan(1000);
    expect(pa.cachedTokenShare!).toBeGreaterThan(rr.cachedTokenShare! + 0.05);
    expect(pa.cachedTokenShare!).toBeLessThanOrEqual(pa.oracleCachedTokenShare! + 0.02);
    expect(pa.costPer1kOk).toBeLessThan(rr.costPer1kOk);
    expect(JSON.stringify(await run('prefix-affinity'))).toBe(JSON.stringify(pa));
  });
});
