import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile, parseProfile, ProfileError } from '../simulator/profile.js';
import { baseProfile } from './sim-profile-fixtures.js';
import { createProviderModel, createProviderState } from '../simulator/model.js';
import type { SimRequest } from '../simulator/types.js';

const PROFILES = 'simulator/profiles';

const req = (id: number, over: Partial<SimRequest> = {}): SimRequest => ({
  id,
  arrivalMs: 0,
  promptClass: 'general',
  prompt: 'hi',
  inputTokens: 100,
  outputTokens: 200,
  stream: true,
  sessionKey: 's',
  ...over,
});

describe('shipped profiles', () => {
  const files = readdirSync(PROFILES).filter((f) => f.endsWith('.yaml'));
  it('has 4-6 valid profiles priced from data/pricing', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(files.length).toBeLessThanOrEqual(6);
    const prices = JSON.parse(readFileSync('data/pricing/litellm_subset.json', 'utf8')) as Record<
      string,
      { input_cost_per_token: number; output_cost_per_token: number }
    >;
    for (const f of files) {
      const p = loadProfile(join(PROFILES, f));
      const entry = Object.entries(prices).find(([k]) => k === p.model || k.endsWith(`/${p.model}`));
      expect(entry, `${f}: ${p.model} in litellm_subset.json`).toBeDefined();
      expect(p.price.input).toBeCloseTo(entry![1].input_cost_per_token * 1e6, 6);
      expect(p.price.output).toBeCloseTo(entry![1].output_cost_per_token * 1e6, 6);
      // cheap models are weaker on math than on writing
      expect(p.quality.math).toBeLessThan(p.quality.writing);
    }
  });
});

describe('profile validation', () => {
  it('names file and field path', () => {
    const bad = baseProfile();
    (bad.failures.kinds as Record<string, unknown>).http_500 = 'lots';
    expect(() => parseProfile(bad, 'simulator/profiles/x.yaml')).toThrow(
      /simulator\/profiles\/x\.yaml: failures\.kinds\.http_500: expected number/,
    );
  });
  it('rejects unknown fields and bad phases', () => {
    expect(() => parseProfile({ ...baseProfile(), tpss: 3 }, 'f.yaml')).toThrow(/f\.yaml: .*tpss/);
    const tl = baseProfile({ timeline: [{ at: 10, until: 5, kind: 'brownout', factor: 2 }] });
    expect(() => parseProfile(tl, 'f.yaml')).toThrow(/f\.yaml: timeline\.0\.until: must be after at/);
    const k = baseProfile({ timeline: [{ at: 1, kind: 'meteor' } as never] });
    expect(() => parseProfile(k, 'f.yaml')).toThrow(/f\.yaml: timeline\.0\.kind/);
  });
  it('reports YAML syntax errors with file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simprof-'));
    const f = join(dir, 'broken.yaml');
    writeFileSync(f, 'id: x\nttft: { medianMs: 3\nmodel: [\n');
    expect(() => loadProfile(f)).toThrow(ProfileError);
    expect(() => loadProfile(f)).toThrow(/broken\.yaml:\d+:\d+: /);
    const g = join(dir, 'missing.yaml');
    writeFileSync(g, 'id: x\n');
    expect(() => loadProfile(g)).toThrow(/missing\.yaml: model: /);
  });
});

describe('pure model', () => {
  const profile = parseProfile(
    baseProfile({ failures: { baseErrorRate: 0.1, bursty: { meanGoodS: 60, meanBadS: 10, badErrorRate: 0.6 }, kinds: { http_500: 1, stream_cut: 1 } } }),
    't',
  );
  it('is a pure function of (seed, provider, request id, now, load)', () => {
    const a = createProviderModel(profile, 7);
    const b = createProviderModel(profile, 7);
    const ids = [5, 3, 9, 1, 5, 1_000_000, 2 ** 40];
    const ra = ids.map((id) => a.outcome(req(id), (id % 1000) * 10, 2));
    const rb = [...ids].reverse().map((id) => b.outcome(req(id), (id % 1000) * 10, 2)).reverse();
    expect(ra).toEqual(rb);
    expect(createProviderModel(profile, 8).outcome(req(5), 50, 2)).not.toEqual(ra[0]);
  });
  it('adding a provider leaves another provider unchanged', () => {
    const other = parseProfile({ ...baseProfile(), id: 'q' }, 't');
    const solo = createProviderModel(profile, 1);
    const duoP = createProviderModel(profile, 1);
    const duoQ = createProviderModel(other, 1);
    for (let i = 0; i < 2000; i++) {
      duoQ.outcome(req(i), i * 7, 0);
      expect(duoP.outcome(req(i), i * 7, 0)).toEqual(solo.outcome(req(i), i * 7, 0));
    }
  });
  it('TTFT median and error rates match the profile (seed 1, n=20000, tol 5%)', () => {
    const flat = parseProfile(baseProfile({ failures: { baseErrorRate: 0.05, kinds: { http_500: 1 } } }), 't');
    const m = createProviderModel(flat, 1);
    const n = 20_000;
    const ttfts: number[] = [];
    let errors = 0;
    for (let i = 0; i < n; i++) {
      const o = m.outcome(req(i), 0, 0);
      if (o.kind === 'ok') ttfts.push(o.ttftMs);
      else errors++;
    }
    ttfts.sort((x, y) => x - y);
    expect(ttfts[ttfts.length >> 1]! / 400).toBeCloseTo(1, 1); // within ±5%
    expect(Math.abs(errors / n - 0.05)).toBeLessThan(0.005);
  });
  it('bursty bad state depends on time only and raises the error rate', () => {
    const m = createProviderModel(profile, 3);
    let bad = 0;
    for (let s = 0; s < 10_000; s++) if (m.isBad(s * 1000)) bad++;
    // stationary P(bad) = (1/60)/((1/60)+(1/10)) = 1/7 ≈ 0.143; tolerance ±0.04
    expect(Math.abs(bad / 10_000 - 1 / 7)).toBeLessThan(0.04);
    const m2 = createProviderModel(profile, 3);
    expect(m2.isBad(9_999_000)).toBe(m.isBad(9_999_000)); // order of queries does not matter
  });
  it('latency grows with load and a full queue rejects', () => {
    const flat = parseProfile(baseProfile({ failures: { baseErrorRate: 0, kinds: {} } }), 't');
    const m = createProviderModel(flat, 1);
    const idle = m.outcome(req(1), 0, 0);
    const busy = m.outcome(req(1), 0, 9);
    const queued = m.outcome(req(1), 0, 15);
    expect(busy.ttftMs).toBeGreaterThan(idle.ttftMs * 1.5);
    expect(queued.ttftMs).toBeGreaterThan(busy.ttftMs);
    const full = m.outcome(req(1), 0, 20);
    expect(full).toMatchObject({ kind: 'http_error', status: 503 });
  });
  it('timeline: outage, brownout, burst, price change, limit drop, recovery', () => {
    const p = parseProfile(
      baseProfile({
        failures: { baseErrorRate: 0, kinds: {} },
        limits: { rpm: 100 },
        timeline: [
          { at: 10, until: 20, kind: 'outage' },
          { at: 30, until: 40, kind: 'brownout', factor: 4 },
          { at: 50, until: 60, kind: 'error_burst', rate: 1, kinds: { http_529: 1 } },
          { at: 70, kind: 'price_change', factor: 2 },
          { at: 80, kind: 'limit_drop', rpm: 2 },
          { at: 90, kind: 'recovery' },
        ],
      }),
      't',
    );
    const m = createProviderModel(p, 1);
    const at = (s: number) => m.outcome(req(1), s * 1000, 0);
    expect(at(15).kind).toBe('refused');
    expect(at(35).ttftMs).toBeCloseTo(at(25).ttftMs * 4, 6);
    expect(at(55)).toMatchObject({ kind: 'http_error', status: 529 });
    expect(at(75).costUsd).toBeCloseTo(at(65).costUsd * 2, 12);
    expect(at(95).costUsd).toBeCloseTo(at(65).costUsd, 12); // recovery ends the price change
    const st = createProviderState();
    const r = req(2);
    for (let i = 0; i < 2; i++) m.admit(st, 85_000, r, m.outcome(r, 85_000, 0, st));
    const limited = m.outcome(r, 85_500, 0, st);
    expect(limited).toMatchObject({ kind: 'rate_limited', status: 429 });
    expect(limited.retryAfterMs).toBe(60_000 - 500);
    expect(m.outcome(r, 95_000, 0, st).kind).toBe('ok'); // limit drop over at recovery (rpm 100)
  });
});
