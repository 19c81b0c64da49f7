import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseProxyConfig } from '../router/http/config.js';
import { schemaFiles } from '../scenarios/spec/json-schema.js';
import { parseScenario, scenarioNames, SCENARIO_DIR } from '../scenarios/setup/load.js';
import { parseProfile } from '../simulator/profile.js';

/**
 * The JSON Schemas editors use (schemas/, from the zod schemas by `npm run schemas`): the
 * committed files are what the code generates now, every shipped scenario passes the
 * scenario schema, and a file the loader rejects for its shape fails it too. The proxy
 * config schema accepts what parseProxyConfig accepts, snake_case spellings included.
 */
const ROOT = resolve(import.meta.dirname, '..');
const committed = (name: string): string => readFileSync(join(ROOT, 'schemas', name), 'utf8');
const ajv = new Ajv({ allErrors: true, strict: false });
const validator = (name: string) => ajv.compile(JSON.parse(committed(name)) as object);

describe('JSON Schemas (schemas/)', () => {
  it('the committed files are up to date (else: npm run schemas)', () => {
    for (const [name, text] of Object.entries(schemaFiles())) expect(committed(name), name).toBe(text);
  });

  it('every shipped scenario passes the scenario schema; wrong shapes fail it as the loader does', () => {
    const valid = validator('scenario.schema.json');
    const names = scenarioNames();
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const name of names) {
      const raw: unknown = YAML.parse(readFileSync(join(SCENARIO_DIR, `${name}.yaml`), 'utf8'));
      expect(valid(raw), `${name}: ${ajv.errorsText(valid.errors)}`).toBe(true);
    }
    const brownout = YAML.parse(readFileSync(join(SCENARIO_DIR, 'brownout.yaml'), 'utf8')) as Record<string, unknown>;
    for (const bad of [{ ...brownout, sedd: 3 }, { ...brownout, providers: [] }, { ...brownout, seed: -1 }, { ...brownout, load: { ...(brownout.load as object), rate: 'fast' } }]) {
      expect(() => parseScenario(YAML.stringify(bad), 'bad.yaml')).toThrow(/invalid scenario/);
      expect(valid(bad)).toBe(false);
    }
  });

  it('the proxy config schema accepts camelCase and snake_case as the proxy does, and rejects what it rejects', () => {
    const valid = validator('router-config.schema.json');
    const good = [
      { endpoints: [{ provider: 'p', model: 'm', baseUrl: 'http://127.0.0.1:4101/v1', apiKeyEnv: 'P_KEY' }], retry: { maxAttempts: 2 } },
      {
        endpoints: [{ provider: 'p', model: 'm', base_url: 'http://127.0.0.1:4101/v1', api_key_env: 'P_KEY' }],
        server: { body_limit_bytes: 1000, client_keys: [{ key_env: 'CK', rpm: 5 }] },
        health: { consecutive_failures: 2 },
        strategy: { name: 'weighted' },
      },
    ];
    good.push(YAML.parse(readFileSync(join(ROOT, 'router', 'http', 'example.yaml'), 'utf8')) as (typeof good)[number]);
    for (const c of good) {
      expect(() => parseProxyConfig(structuredClone(c))).not.toThrow();
      expect(valid(c), ajv.errorsText(valid.errors)).toBe(true);
    }
    const bad = [
      { endpoints: [] },
      { endpoints: [{ provider: 'p', model: 'm', base_url: 'http://127.0.0.1:4101/v1', weight: -1 }] },
      { endpoints: [{ provider: 'p', model: 'm', base_url: 'http://127.0.0.1:4101/v1' }], retry: { max_attempts: 0 } },
      { endpoints: [{ provider: 'p', model: 'm', base_url: 'http://127.0.0.1:4101/v1' }], server: { port: 'x' } },
      { endpoints: [{ provider: 'p', model: 'm', base_url: 'http://127.0.0.1:4101/v1', colour: 'red' }] },
    ];
    for (const c of bad) {
      expect(() => parseProxyConfig(structuredClone(c)), JSON.stringify(c)).toThrow();
      expect(valid(c), JSON.stringify(c)).toBe(false);
    }
  });

  it('every shipped provider profile (hand-set and calibrated) passes the profile schema; a bad ttft.mixture fails it as parseProfile does', () => {
    const valid = validator('provider-profile.schema.json');
    const dirs = [join(ROOT, 'simulator', 'profiles'), join(ROOT, 'simulator', 'profiles', 'calibrated')];
    const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.yaml')).map((f) => join(d, f)));
    expect(files.length).toBeGreaterThanOrEqual(18);
    let mixtures = 0;
    for (const f of files) {
      const raw = YAML.parse(readFileSync(f, 'utf8')) as { ttft: { mixture?: unknown[] } };
      if (raw.ttft.mixture) mixtures++;
      expect(valid(raw), `${f}: ${ajv.errorsText(valid.errors)}`).toBe(true);
    }
    expect(mixtures).toBeGreaterThan(0);
    const base = YAML.parse(readFileSync(files.find((f) => f.includes('replicate_7b'))!, 'utf8')) as Record<string, Record<string, unknown>>;
    for (const mixture of [[], [{ weight: 0, medianMs: 1, sigma: 0 }], [{ weight: 1, medianMs: 1, sigma: 0, rho: 2, tokensPerSecond: 1 }], [{ weight: 1, medianMs: 1 }]]) {
      const bad = { ...base, ttft: { ...base.ttft, mixture } };
      expect(() => parseProfile(bad, 'bad.yaml'), JSON.stringify(mixture)).toThrow(/ttft\.mixture/);
      expect(valid(bad), JSON.stringify(mixture)).toBe(false);
    }
  });
});
