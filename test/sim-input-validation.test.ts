import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../simulator/metrics.js';
import { parseProfile, type ProviderProfile } from '../simulator/profile.js';
import { runSim, type SimRunInput } from '../simulator/run.js';
import { loadTrace, parseTrace } from '../simulator/trace.js';
import { MAX_DURATION_S } from '../simulator/types.js';
import { baseProfile, noFail } from './sim-profile-fixtures.js';
import { createWorkload, MAX_SESSIONS, type WorkloadSpec } from '../simulator/workload.js';

/**
 * Bad inputs to the simulator's entry points (runSim, createWorkload, the trace loader,
 * metrics.summarize) fail up front with an Error naming the field (and file:line for
 * trace files), instead of running out of memory, running forever, succeeding with 100%
 * errors or crashing with a raw TypeError.
 */

const corpus = [
  { text: 'Write a function that reverses a list.', label: 'coding' },
  { text: 'Tell me about Paris.', label: 'general' },
];

const spec: WorkloadSpec = { arrivals: 'poisson', rate: 5, durationS: 10 };

/** Build the workload; `unknown` so the tests can pass what the types forbid. */
const workload = (s: unknown): unknown => createWorkload(s as WorkloadSpec, 1, { corpus });

function profile(id: string): ProviderProfile {
  return parseProfile(baseProfile({ id, ...noFail }), `test profile ${id}`);
}

const a = profile('a');
const b = profile('b');

/** A small valid run; `over` replaces top-level fields. Counts the requests that ran. */
function input(over: Partial<Record<keyof SimRunInput, unknown>> = {}): { input: SimRunInput; ran: () => number } {
  let n = 0;
  const base: SimRunInput = {
    router: {
      endpoints: [
        { id: 'a', provider: 'a', model: 'chat', price: a.price },
        { id: 'b', provider: 'b', model: 'chat', price: b.price },
      ],
      strategy: 'round-robin',
    },
    providers: [
      { id: 'a', profile: a },
      { id: 'b', profile: b },
    ],
    workload: { rate: 5, durationS: 10, maxRequests: 20, mix: [{ class: 'general', inputTokens: 100, outputTokens: 50 }] },
    seed: 1,
    onRequest: () => void n++,
  };
  return { input: { ...base, ...over } as SimRunInput, ran: () => n };
}

describe('runSim input validation', () => {
  it('a valid small run still runs (20 requests, all ok)', async () => {
    const t = input();
    const r = await runSim(t.input);
    expect(t.ran()).toBe(20);
    expect(r.result.summary.errors).toBe(0);
    expect(r.result.timeline).toHaveLength(10);
  });

  it('1. durationS must be finite, positive and at most 7 days; nothing runs otherwise', async () => {
    for (const durationS of [1e7, Infinity, MAX_DURATION_S + 1, 0, -5, Number.NaN, '10']) {
      const t = input({ workload: { rate: 5, durationS, maxRequests: 20 } });
      await expect(runSim(t.input), String(durationS)).rejects.toThrow(/^workload\.durationS: .*at most 604800 \(7 days\)/);
      expect(t.ran()).toBe(0);
    }
    expect(MAX_DURATION_S).toBe(604_800);
    expect(() => workload({ ...spec, durationS: Infinity })).toThrow(/workload\.durationS/);
  });

  it('1. metrics.summarize rejects an unbounded durationS and records past the bound make no windows', () => {
    const m = createMetrics();
    try {
      expect(() => m.summarize({ durationS: Infinity })).toThrow(/metrics\.summarize: durationS: .*604800\] \(7 days\)/);
      expect(() => m.summarize({ durationS: 1e7 })).toThrow(/metrics\.summarize: durationS/);
      expect(() => m.summarize({ durationS: -1 })).toThrow(/metrics\.summarize: durationS/);
      m.record({ tMs: 1e15, ok: true, latencyMs: 5 }); // ignored: would otherwise allocate 1e12 windows
      m.record({ tMs: 1500, ok: true, latencyMs: 5 });
      const { summary, timeline } = m.summarize();
      expect(summary.requests).toBe(1);
      expect(timeline).toHaveLength(2);
      expect(m.summarize({ durationS: MAX_DURATION_S }).timeline).toHaveLength(MAX_DURATION_S);
    } finally {
      m.dispose();
    }
  });

  it('3. providers must match the router endpoints (ids = endpoint ids) and be non-empty', async () => {
    let t = input({ providers: [{ id: 'a', profile: a }, { id: 'c', profile: b }] });
    await expect(runSim(t.input)).rejects.toThrow(/^runSim: providers\[1\]\.id: "c" matches no router endpoint id; endpoint ids: "a", "b"/);
    expect(t.ran()).toBe(0);

    t = input({ providers: [] });
    await expect(runSim(t.input)).rejects.toThrow(/^runSim: providers: expected a non-empty list/);

    t = input({ providers: [{ id: 'a', profile: a }] });
    await expect(runSim(t.input)).rejects.toThrow(/^runSim: router\.endpoints\[1\]\.id: endpoint "b" has no provider with that id; provider ids: "a"/);

    t = input({ providers: [{ id: 'a', profile: a }, { id: 'a', profile: b }] });
    await expect(runSim(t.input)).rejects.toThrow(/^runSim: providers\[1\]\.id: duplicate provider id "a"/);

    t = input({ providers: [{ id: 'a', profile: a }, { id: 'b' }] });
    await expect(runSim(t.input)).rejects.toThrow(/^runSim: providers\[1\]\.profile/);
    expect(t.ran()).toBe(0);
  });

  it('3. an unknown model is rejected, listing the known models', async () => {
    const t = input({ model: 'gpt-unknown' });
    await expect(runSim(t.input)).rejects.toThrow(/^runSim: model: no router endpoint serves model "gpt-unknown"; known models: "chat"/);
    expect(t.ran()).toBe(0);
    const ok = input({ model: 'chat' });
    await runSim(ok.input);
    expect(ok.ran()).toBe(20);
  });
});

describe('createWorkload input validation', () => {
  it('2. unknown arrival kinds are rejected, listing the valid ones', () => {
    for (const arrivals of ['bursty', 'Poisson', 42])
      expect(() => workload({ ...spec, arrivals }), String(arrivals)).toThrow(
        /^workload\.arrivals: unknown arrival kind .*; expected one of constant, poisson, gamma, spike, ramp, trace$/,
      );
  });

  it('4. trace must be an object (not a path string)', () => {
    expect(() => workload({ durationS: 10, trace: '/x.csv' })).toThrow(/^workload\.trace: expected \{file, format\?, speed\?, offsetS\?\}.*got a string \("\/x\.csv"\)/);
    expect(() => workload({ arrivals: 'trace', durationS: 10, trace: '/x.csv' })).toThrow(/^workload\.trace: /);
    expect(() => workload({ arrivals: 'trace', durationS: 10, trace: {} })).toThrow(/^workload\.trace\.file: /);
    expect(() => workload({ arrivals: 'trace', durationS: 10, trace: { file: 'x.csv', format: 'csv' } })).toThrow(/^workload\.trace\.format: .*azure or mooncake/);
    expect(() => workload({ arrivals: 'trace', durationS: 10, trace: { file: 'x.csv', speed: 0 } })).toThrow(/^workload\.trace\.speed: /);
    expect(() => workload({ arrivals: 'trace', durationS: 10, trace: { arrivalMs: [1, 2], count: 2 } })).toThrow(/^workload\.trace\.arrivalMs: /);
  });

  it('4. mix entries are type-checked (missing inputTokens, wrong types)', () => {
    expect(() => workload({ ...spec, mix: [{ class: 'general', outputTokens: 50 }] })).toThrow(
      /^workload\.mix\[0\]\.inputTokens: expected a token count or \{median, sigma\?, min\?, max\?\}, got undefined/,
    );
    expect(() => workload({ ...spec, mix: [{ class: 'general', inputTokens: 5, outputTokens: 5 }, null] })).toThrow(/^workload\.mix\[1\]: /);
    expect(() => workload({ ...spec, mix: { class: 'general' } })).toThrow(/^workload\.mix: expected a list/);
    expect(() => workload({ ...spec, mix: [{ class: 'x', inputTokens: { median: '300' }, outputTokens: 5 }] })).toThrow(/^workload\.mix\[0\]\.inputTokens\.median: /);
    expect(() => workload({ ...spec, mix: [{ class: 'x', inputTokens: 5, outputTokens: { median: 5, max: 'big' } }] })).toThrow(/^workload\.mix\[0\]\.outputTokens\.max: /);
    expect(() => workload({ ...spec, mix: [{ class: 'x', weight: '2', inputTokens: 5, outputTokens: 5 }] })).toThrow(/^workload\.mix\[0\]\.weight: /);
  });

  it('4. sessions is bounded (and other fields type-checked)', () => {
    expect(MAX_SESSIONS).toBe(1_000_000);
    for (const sessions of [1e8, MAX_SESSIONS + 1, 0, 2.5, '10'])
      expect(() => workload({ ...spec, sessions }), String(sessions)).toThrow(/^workload\.sessions: expected a positive integer, at most 1000000/);
    expect(() => workload('poisson')).toThrow(/^workload: expected an object/);
    expect(() => workload({ ...spec, rate: '5' })).toThrow(/^workload\.rate: /);
    expect(() => workload({ ...spec, stream: '0.5' })).toThrow(/^workload\.stream: /);
    expect(() => workload({ ...spec, sessionSkew: Infinity })).toThrow(/^workload\.sessionSkew: /);
    expect(() => workload({ ...spec, maxRequests: '20' })).toThrow(/^workload\.maxRequests: /);
    expect(() => workload({ ...spec, arrivals: 'spike', phases: { startS: 1, endS: 2, multiplier: 2 } })).toThrow(/^workload\.phases: expected a list/);
    expect(() => workload({ ...spec, arrivals: 'spike', phases: [null] })).toThrow(/^workload\.phases\[0\]: /);
    expect(() => workload({ ...spec, arrivals: 'ramp', ramp: 'up' })).toThrow(/^workload\.ramp: /);
  });
});

describe('trace file validation', () => {
  const header = 'TIMESTAMP,ContextTokens,GeneratedTokens';

  it('5. an impossible Azure timestamp is rejected with the file and line', () => {
    const csv = `${header}\n2023-11-16 18:17:03.9799600,10,5\n2023-13-45 99:99:99,10,5\n`;
    expect(() => parseTrace(csv, 'x.csv', 'azure')).toThrow(/^x\.csv:3: TIMESTAMP is not a valid date and time .*"2023-13-45 99:99:99"/);
    for (const ts of ['2023-02-29 00:00:00', '2023-11-31 00:00:00', '2023-11-16 24:00:00', '2023-11-16 18:60:00', '2023-11-16 18:17:60'])
      expect(() => parseTrace(`${header}\n${ts},1,1\n`, 'y.csv'), ts).toThrow(/^y\.csv:2: TIMESTAMP is not a valid date and time/);
    // Real edge dates still parse.
    const ok = parseTrace(`${header}\n2024-02-29 23:59:59.5,1,1\n2024-03-01 00:00:00,1,1\n`, 'z.csv');
    expect([...ok.arrivalMs]).toEqual([0, 500]);
  });

  it('5. loadTrace names the file it read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-input-'));
    try {
      const file = join(dir, 'bad.csv');
      writeFileSync(file, `${header}\n2023-11-16 18:17:03,1,1\n2023-11-16 18:17:04,1,1\n2023-00-10 10:00:00,1,1\n`);
      expect(() => loadTrace(file)).toThrow(`${file}:4: TIMESTAMP is not a valid date and time`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
