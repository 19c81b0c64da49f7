import { describe, expect, it } from 'vitest';
import { ResultsError, parseResults } from '../reports/validate.js';
import { sampleJson } from './reports-helpers.js';

/** Expect parseResults to reject `obj`, naming `field`; returns the message. */
function rejects(obj: unknown, field: string): string {
  try {
    parseResults(obj, 'out/x/results.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ResultsError);
    const err = e as ResultsError;
    expect(err.fields).toContain(field);
    expect(err.message).toContain('out/x/results.json');
    expect(err.message).toContain(`${field}:`);
    expect(err.message).not.toMatch(/\n\s+at /); // a message, not a stack
    return err.message;
  }
  throw new Error(`expected ${field} to be rejected`);
}

describe('results.json validator', () => {
  it('accepts the bundled sample and keeps unknown extra fields', () => {
    const j = sampleJson();
    j.extra = { note: 'newer writer' };
    j.strategies[0].summary.newMetric = 3;
    const r = parseResults(j, 'sample');
    expect(r.strategies).toHaveLength(5);
    expect((r as unknown as { extra: unknown }).extra).toEqual({ note: 'newer writer' });
    expect((r.strategies[0]!.summary as unknown as { newMetric: number }).newMetric).toBe(3);
  });

  it('names the field of a wrong type', () => {
    const j = sampleJson();
    j.strategies[1].summary.latencyMs.p99 = 'fast';
    expect(rejects(j, 'strategies[1].summary.latencyMs.p99')).toMatch(/expected number/);
  });

  it('names a missing field', () => {
    const j = sampleJson();
    delete j.strategies[2].summary.costPer1kOk;
    rejects(j, 'strategies[2].summary.costPer1kOk');
  });

  it('names a bad timeline point', () => {
    const j = sampleJson();
    j.strategies[0].timeline[17].share.groq = 1.7;
    rejects(j, 'strategies[0].timeline[17].share.groq');
  });

  it('rejects an unknown mode, NaN-as-null and negative counts', () => {
    const j = sampleJson();
    j.mode = 'live';
    j.strategies[0].timeline[3].p99 = null; // what JSON.stringify makes of NaN
    j.strategies[4].summary.errors = -1;
    const msg = rejects(j, 'mode');
    expect(msg).toContain('strategies[0].timeline[3].p99');
    expect(msg).toContain('strategies[4].summary.errors');
  });

  it('rejects duplicate strategy names and inverted fault windows', () => {
    const j = sampleJson();
    j.strategies[3].strategy = 'weighted';
    rejects(j, 'strategies[3].strategy');
    const k = sampleJson();
    k.faults[0].end = 5;
    rejects(k, 'faults[0].end');
  });

  it('rejects an empty strategy list and a non-object', () => {
    const j = sampleJson();
    j.strategies = [];
    rejects(j, 'strategies');
    expect(() => parseResults('nope', 'x.json')).toThrow(/x\.json/);
  });

  it('accepts null failover/recover and an absent optional section', () => {
    const j = sampleJson();
    delete j.faults;
    delete j.slo;
    delete j.seeds;
    for (const s of j.strategies) delete s.regret;
    expect(() => parseResults(j)).not.toThrow();
  });
});
