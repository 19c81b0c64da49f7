import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFaultTable } from '../scripts/fault-table-readme.js';
import { assertNever, FAILURE_KINDS, FAULT_KINDS, OUTCOME_KINDS, type OutcomeKind } from '../simulator/fault-kinds.js';
import { createProviderModel } from '../simulator/model.js';
import { planResponse } from '../simulator/openai-wire.js';
import { parseProfile, type FailureKind, type ProviderProfile } from '../simulator/profile.js';
import type { ProviderOutcome, SimRequest } from '../simulator/types.js';
import { baseProfile } from './sim-profile-fixtures.js';

/**
 * The fault-kind table (simulator/fault-kinds.ts) is what every world reads: the model gives
 * each kind the outcome and status its row says, the wire plan handles every outcome kind,
 * an unknown one is an error (not a silent hang), and the README's table is the rendered one.
 */

const profileFor = (kind: FailureKind): ProviderProfile =>
  parseProfile(baseProfile({ id: 'p', failures: { baseErrorRate: 1, kinds: { [kind]: 1 }, streamFaultAt: 'start' } }), kind);
const req = (id: number, stream: boolean): SimRequest => ({ id, arrivalMs: 0, promptClass: 'general', prompt: 'x', inputTokens: 10, outputTokens: 50, stream, sessionKey: '' });

describe('fault kinds: one table', () => {
  it('the profile schema accepts exactly the table kinds, in table order', () => {
    expect([...FAILURE_KINDS]).toEqual(Object.keys(FAULT_KINDS));
    expect(() => parseProfile(baseProfile({ id: 'p', failures: { baseErrorRate: 1, kinds: { http_418: 1 } as Record<string, number> } }), 'x')).toThrow(/http_418|unrecognized/i);
  });

  it.each(FAILURE_KINDS.map((k) => [k] as const))('%s: a streaming request gets the outcome kind and status of its row', (kind) => {
    const row = FAULT_KINDS[kind];
    const o = createProviderModel(profileFor(kind), 1).outcome(req(7, true), 0, 0);
    expect({ kind: o.kind, status: o.status }).toEqual({ kind: row.outcome, status: row.status });
  });

  it('the wire plan handles every outcome kind, JSON and stream, and refuses an unknown one', () => {
    const profile = profileFor('http_500');
    const base: ProviderOutcome = { kind: 'ok', status: 200, ttftMs: 10, totalMs: 100, inputTokens: 10, outputTokens: 5, acceptable: true, costUsd: 0 };
    for (const kind of Object.keys(OUTCOME_KINDS) as OutcomeKind[])
      for (const stream of [false, true]) expect(planResponse({ ...base, kind }, req(1, stream), profile).type, `${kind} stream=${stream}`).toBeTypeOf('string');
    expect(() => planResponse({ ...base, kind: 'teapot' as OutcomeKind }, req(1, false), profile)).toThrow(/unhandled outcome kind: "teapot"/);
    expect(() => assertNever('x' as never, 'thing')).toThrow('unhandled thing: "x"');
  });

  it('a 404 provider fault answers as a provider does for an unknown model', () => {
    const profile = profileFor('not_found_404');
    const plan = planResponse(createProviderModel(profile, 1).outcome(req(1, false), 0, 0), req(1, false), profile);
    expect(plan).toMatchObject({ type: 'json', status: 404, atMs: 5 });
    expect(JSON.parse((plan as { body: string }).body).error.code).toBe('model_not_found');
  });

  it('README.md holds the current rendered table (npx tsx scripts/fault-table.ts --write)', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    expect(withFaultTable(readme) === readme, 'README fault table is stale: run npx tsx scripts/fault-table.ts --write').toBe(true);
  });
});
