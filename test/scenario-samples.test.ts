import { describe, expect, it } from 'vitest';
import { judgeBody } from '../scenarios/load/samples.js';

const chunk = (content: string): string => `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`;
const usage = `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 2 } })}\n\n`;

describe('judgeBody: http-mode outcomes, in the same error kinds as sim mode', () => {
  it('a JSON answer with choices is ok, with its usage', () => {
    const body = JSON.stringify({ choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 3, completion_tokens: 5 } });
    expect(judgeBody(200, body, false)).toEqual({ ok: true, errorKind: undefined, inputTokens: 3, outputTokens: 5 });
    expect(judgeBody(200, '{"nope":1}', false).errorKind).toBe('malformed');
    expect(judgeBody(200, '{"trunc', false).errorKind).toBe('malformed');
  });

  it("an error status takes the proxy's error code, else http_<status>", () => {
    const e = (code: unknown) => JSON.stringify({ error: { message: 'm', type: 'server_error', code } });
    expect(judgeBody(502, e('connect_failed'), false).errorKind).toBe('connect_failed');
    expect(judgeBody(503, e('no_healthy_endpoint'), true).errorKind).toBe('no_healthy_endpoint');
    expect(judgeBody(502, e(null), false).errorKind).toBe('http_502');
    expect(judgeBody(502, e('Has Spaces & <html>'), false).errorKind).toBe('http_502');
    expect(judgeBody(500, '<html>oops</html>', false).errorKind).toBe('http_500');
  });

  it('a stream is ok only with [DONE] and no error event; an error event names its code', () => {
    expect(judgeBody(200, chunk('a') + usage + 'data: [DONE]\n\n', true)).toEqual({ ok: true, errorKind: undefined, inputTokens: 7, outputTokens: 2 });
    expect(judgeBody(200, chunk('a') + chunk('b'), true).errorKind).toBe('stream_incomplete');
    const cut = `data: ${JSON.stringify({ error: { message: 'upstream broke', type: 'server_error', code: 'stream_cut' } })}\n\n`;
    expect(judgeBody(200, chunk('a') + cut, true).errorKind).toBe('stream_cut');
    expect(judgeBody(200, chunk('a') + 'event: error\ndata: {"error":"x"}\n\n', true).errorKind).toBe('stream_error');
  });
});
