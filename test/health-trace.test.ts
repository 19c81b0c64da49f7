import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RouterEvent } from '../router/core/events.js';
import { HEALTH_TRACE_ENV, healthTraceFile, healthTracer } from '../router/http/health-trace.js';

/**
 * LLM_ROUTER_HEALTH_TRACE (router/http/health-trace.ts): off unless the variable names a
 * file; then health transitions, probes and failed attempts, one JSON line each, and
 * nothing for a successful ordinary attempt.
 */
const dir = mkdtempSync(join(tmpdir(), 'health-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const end = (reason: string, ok: boolean): RouterEvent => ({
  type: 'attempt-end',
  at: 5,
  requestId: 'r1',
  endpointId: 'mid',
  model: 'chat',
  reason,
  ok,
  errorCode: ok ? undefined : 'upstream_error',
  status: ok ? 200 : 503,
  latencyMs: 5,
  ttftMs: undefined,
  usage: ok ? { inputTokens: 10, outputTokens: 5 } : undefined,
  costUsd: 0,
});

describe('health trace', () => {
  it('is off without the variable (and with it empty)', () => {
    expect(healthTraceFile({})).toBeUndefined();
    expect(healthTraceFile({ [HEALTH_TRACE_ENV]: '' })).toBeUndefined();
    expect(healthTracer(undefined, {})).toBeNull();
  });

  it('writes health transitions, probes and failures as JSON lines with the caller fields', () => {
    const file = join(dir, 'trace.jsonl');
    expect(healthTraceFile({ [HEALTH_TRACE_ENV]: file })).toBe(file);
    const t = healthTracer(file, { src: 'sim', replica: 2 })!;
    t({ type: 'health', at: 1, endpointId: 'mid', from: 'healthy', to: 'ejected' });
    t({ type: 'attempt-start', at: 2, requestId: 'r1', endpointId: 'mid', model: 'chat', reason: 'first' }); // not traced
    t({ type: 'attempt-start', at: 3, requestId: 'r2', endpointId: 'mid', model: 'chat', reason: 'probe' });
    t(end('first', true)); // not traced
    t(end('first', false));
    t(end('probe', true));
    t({ type: 'request-end', at: 6, requestId: 'r1', ok: true, attempts: 1, latencyMs: 6, endpointId: 'mid', errorCode: undefined }); // not traced
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.type, l.reason ?? l.to, l.ok])).toEqual([
      ['health', 'ejected', undefined],
      ['attempt-start', 'probe', undefined],
      ['attempt-end', 'first', false],
      ['attempt-end', 'probe', true],
    ]);
    for (const l of lines) expect(l).toMatchObject({ src: 'sim', replica: 2, endpointId: 'mid' });
    expect(typeof lines[0]!.wallMs).toBe('number');
  });

  it('an unwritable file is said once, naming it, and the trace stops without throwing', () => {
    const warned: string[] = [];
    const t = healthTracer(join(dir, 'no-such-dir', 'trace.jsonl'), {}, (l) => warned.push(l))!;
    const ejected: RouterEvent = { type: 'health', at: 1, endpointId: 'mid', from: 'healthy', to: 'ejected' };
    expect(() => t(ejected)).not.toThrow();
    t(ejected);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/LLM_ROUTER_HEALTH_TRACE: cannot write .*no-such-dir.*health trace off/);
  });
});
