import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../router/core/clock.js';
import { createAuth, sha256Hex } from '../router/http/auth.js';
import { loadProxyConfig, missingKeyEnvs, parseProxyConfig } from '../router/http/config.js';
import { HttpError, fromRouterError } from '../router/http/errors.js';
import { RouterError } from '../router/core/errors.js';
import { chatBodySchema, obviouslyValid, validateChatBody } from '../router/http/validate.js';
import { seededRandom, randomInt, type Random } from '../router/core/random.js';

const dir = mkdtempSync(join(tmpdir(), 'proxy-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ep = (i: number, extra: Record<string, unknown> = {}) => ({
  provider: `p${i}`,
  model: 'm',
  base_url: `http://127.0.0.1:410${i}/v1`,
  ...extra,
});

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a throw');
}

describe('proxy config', () => {
  it('accepts snake_case endpoint and server fields and fills defaults', () => {
    const c = parseProxyConfig({
      endpoints: [ep(1, { api_key_env: 'P1_KEY', upstream_model: 'real-m' }), ep(2)],
      server: { body_limit_bytes: 1000, client_keys: [{ key_env: 'CK', rpm: 5 }] },
      health: { consecutive_failures: 2 },
    });
    expect(c.endpoints[0]!.apiKeyEnv).toBe('P1_KEY');
    expect(c.endpoints[0]!.upstreamModel).toBe('real-m');
    expect(c.endpoints[1]!.baseUrl).toBe('http://127.0.0.1:4102/v1');
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8080, bodyLimitBytes: 1000, drainTimeoutMs: 10_000 });
    expect(c.server.clientKeys[0]).toMatchObject({ keyEnv: 'CK', rpm: 5 });
    expect((c.router.health as { consecutiveFailures: number }).consecutiveFailures).toBe(2);
  });

  it('accepts snake_case hang-rescue fields (hedging.on_hang) and names a bad enabled value', () => {
    const c = parseProxyConfig({ endpoints: [ep(1)], hedging: { on_hang: { lag_factor: 3, max_price_ratio: 2, min_ms: 100, stale_ratio: 4, sole_hung: false } } });
    expect((c.router.hedging as { onHang: unknown }).onHang).toMatchObject({ lagFactor: 3, maxPriceRatio: 2, minMs: 100, staleRatio: 4, soleHung: false });
    expect(message(() => parseProxyConfig({ endpoints: [ep(1)], hedging: { on_hang: { enabled: 'sometimes' } } }))).toContain("\nhedging.on_hang.enabled: true, false or 'auto'");
  });

  it('names the bad field', () => {
    // The file is named once; each field as the file spelled it (snake_case or camelCase).
    expect(message(() => parseProxyConfig({ endpoints: [ep(1, { weight: -1 })] }, 'f.yaml'))).toMatch(/^invalid f\.yaml:\nendpoints\[0\]\.weight: /);
    expect(message(() => parseProxyConfig({ endpoints: [{ provider: 'p', model: 'm' }] }))).toContain('\nendpoints[0].base_url: required by the proxy');
    expect(message(() => parseProxyConfig({ endpoints: [ep(1)], server: { port: 'x' } }))).toContain('\nserver.port');
    expect(message(() => parseProxyConfig({ endpoints: [ep(1)], server: { headers_timeout_ms: 40_000 } }))).toContain(
      '\nserver.headers_timeout_ms: headersTimeoutMs must be <= requestTimeoutMs',
    );
    expect(message(() => parseProxyConfig({ endpoints: [ep(1)], server: { allowedOrigins: 'https://a' } }))).toContain('\nserver.allowedOrigins');
    expect(message(() => parseProxyConfig({ endpoints: [ep(1)], server: { client_keys: [{ rpm: 1 }] } }))).toContain(
      '\nserver.client_keys[0]',
    );
    expect(message(() => parseProxyConfig({ endpoints: [ep(1)], retry: { max_attempts: 0 } }, 'bad.yaml'))).toMatch(/\nretry\.max_attempts: /);
    expect(message(() => parseProxyConfig({ endpoints: [ep(1)], health: { base_ejection_ms: 10, max_ejection_ms: 5 } }, 'b.yaml'))).toBe(
      'invalid b.yaml:\nhealth.max_ejection_ms: expected >= health.baseEjectionMs',
    );
    expect(message(() => parseProxyConfig({ endpoints: [ep(1, { baseUrl: 'http://x/v1' })] }))).toContain('given twice');
    expect(message(() => parseProxyConfig({ endpoints: [ep(1), ep(1)] }))).toContain('duplicate endpoint id');
    expect(message(() => parseProxyConfig([]))).toContain('expected a mapping');
  });

  it('loads YAML and JSON files, and reports parse errors with the file name', () => {
    const y = join(dir, 'a.yaml');
    writeFileSync(y, 'endpoints:\n  - provider: a\n    model: m\n    base_url: http://127.0.0.1:4101/v1\nserver:\n  port: 9000\n');
    expect(loadProxyConfig(y).server.port).toBe(9000);
    const j = join(dir, 'a.json');
    writeFileSync(j, JSON.stringify({ endpoints: [ep(1)] }));
    expect(loadProxyConfig(j).endpoints).toHaveLength(1);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"endpoints": [');
    expect(message(() => loadProxyConfig(bad))).toContain('bad.json: not valid JSON');
    expect(message(() => loadProxyConfig(join(dir, 'nope.yaml')))).toContain('cannot read config file');
  });

  it('the shipped example config is valid', () => {
    const c = loadProxyConfig('router/http/example.yaml');
    expect(c.endpoints.length).toBeGreaterThanOrEqual(2);
  });

  it('warns about unset key env vars by name only', () => {
    const c = parseProxyConfig({ endpoints: [ep(1, { apiKeyEnv: 'NOPE_KEY' })] });
    expect(missingKeyEnvs(c.endpoints, {})).toEqual(['p1/m: NOPE_KEY is not set']);
  });
});

describe('client auth', () => {
  it('401 without/with a wrong key, 429 + Retry-After past the rpm, refills over time', async () => {
    const clock = new ManualClock();
    const auth = createAuth([{ keySha256: sha256Hex('good'), rpm: 2 }], clock, {});
    expect((auth.admit(undefined) as HttpError).status).toBe(401);
    expect((auth.admit('Bearer bad') as HttpError).status).toBe(401);
    expect(auth.admit('Bearer good')).not.toBeInstanceOf(HttpError);
    expect(auth.admit('Bearer good')).not.toBeInstanceOf(HttpError);
    const limited = auth.admit('Bearer good') as HttpError;
    expect(limited.status).toBe(429);
    expect(limited.retryAfterS).toBe(30); // one token per 30 s at 2 rpm
    await clock.advance(30_000);
    expect(auth.admit('Bearer good')).not.toBeInstanceOf(HttpError);
  });

  it('reads keys from env and refuses to start when the env var is missing', () => {
    const clock = new ManualClock();
    expect(createAuth([{ keyEnv: 'CK' }], clock, { CK: 'k1' }).admit('Bearer k1')).not.toBeInstanceOf(HttpError);
    expect(() => createAuth([{ keyEnv: 'CK' }], clock, {})).toThrow(/CK is not set/);
  });
});

describe('edge validation and error mapping', () => {
  it('names the bad field of a chat body', () => {
    expect((validateChatBody({ model: 'm' }) as HttpError).message).toContain('messages');
    expect((validateChatBody({ model: 'm', messages: [{ role: 1 }] }) as HttpError).message).toContain('messages[0].role');
    expect((validateChatBody({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: -1 }) as HttpError).param).toBe(
      'max_tokens',
    );
    expect(validateChatBody({ model: 'm', messages: [{ role: 'user', content: 'x' }], foo: 1 })).not.toBeInstanceOf(HttpError);
  });

  it('maps router errors to OpenAI-shaped errors', () => {
    const e = fromRouterError(new RouterError('no_healthy_endpoint', 'none', { retryAfterMs: 2500 }));
    expect(e.status).toBe(503);
    expect(e.retryAfterS).toBe(3);
    expect(e.body().error).toMatchObject({ type: 'server_error', code: 'no_healthy_endpoint' });
    const up = fromRouterError(
      new RouterError('upstream_client_error', 'x', { status: 422, upstreamBody: { error: { message: 'bad tool', type: 'invalid_request_error' } } }),
    );
    expect(up.status).toBe(422);
    expect(up.body().error.message).toBe('the upstream rejected the request (422): bad tool'); // the proxy's words, the provider's quoted
    const all = fromRouterError(
      new RouterError('all_attempts_failed', 'all failed', { cause: new RouterError('upstream_rate_limited', '429', { retryAfterMs: 1000 }) }),
    );
    expect(all.status).toBe(429);
    expect(all.retryAfterS).toBe(1);
  });
});

describe('fast-path validation agrees with the zod schema', () => {
  // Random bodies near the valid shape: every field sometimes missing, null, or of a wrong type.
  const pick = <T,>(r: Random, xs: readonly T[]): T => xs[randomInt(r, xs.length)]!;
  const junk = [undefined, null, 0, -1, 1, 1.5, 3, 200, 'x', '', true, [], {}, [1], { a: 1 }];
  function body(r: Random): Record<string, unknown> {
    const msg = (): unknown =>
      randomInt(r, 4) === 0 ? pick(r, junk) : { role: randomInt(r, 5) === 0 ? pick(r, junk) : 'user', content: randomInt(r, 3) === 0 ? pick(r, junk) : 'hi' };
    const b: Record<string, unknown> = {
      model: randomInt(r, 5) === 0 ? pick(r, junk) : 'm',
      messages: randomInt(r, 6) === 0 ? pick(r, junk) : Array.from({ length: randomInt(r, 3) }, msg),
    };
    for (const k of ['stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'n', 'user', 'tools'])
      if (randomInt(r, 3) === 0) b[k] = randomInt(r, 2) === 0 ? pick(r, junk) : k === 'stream' ? true : k === 'user' ? 'u' : k === 'stream_options' ? { include_usage: true } : 1;
    return b;
  }

  it('never accepts what zod rejects (20,000 seeded bodies), and often agrees on valid ones', () => {
    const r = seededRandom(3);
    let fastYes = 0;
    let zodYes = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = body(r);
      const fast = obviouslyValid(b);
      const zod = chatBodySchema.safeParse(b).success;
      if (fast) expect(zod, JSON.stringify(b)).toBe(true);
      fastYes += fast ? 1 : 0;
      zodYes += zod ? 1 : 0;
    }
    expect(fastYes).toBeGreaterThan(0);
    expect(fastYes).toBe(zodYes); // same verdicts: no valid body pays for zod
  });
});
