/**
 * LiteLLM and Portkey import/export. Round trips on sample configs written from their docs
 * (test/fixtures/gateway): import -> simulate -> export -> re-import gives the same router
 * config and byte-identical virtual-time results; what cannot be carried is a warning.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import '../router/strategies/index.js';
import { exportLiteLlm } from '../scenarios/gateway/litellm-export.js';
import { importLiteLlm } from '../scenarios/gateway/litellm-import.js';
import { parseForExport } from '../scenarios/gateway/parsed.js';
import { exportPortkey } from '../scenarios/gateway/portkey-export.js';
import { importPortkey } from '../scenarios/gateway/portkey-import.js';
import { runScenario } from '../scenarios/modes/runner.js';

const FIX = resolve(import.meta.dirname, 'fixtures', 'gateway');
const litellmRaw = () => YAML.parse(readFileSync(join(FIX, 'litellm-config.yaml'), 'utf8')) as Record<string, unknown>;
const portkeyRaw = () => JSON.parse(readFileSync(join(FIX, 'portkey-config.json'), 'utf8')) as Record<string, unknown>;
const out = mkdtempSync(join(tmpdir(), 'gateway-'));

/** Sim results of a gateway file's scenario (its own strategy only), short and seeded. */
async function simulate(file: string, strategy: string) {
  const run = await runScenario({ scenario: file, mode: 'sim', durationS: 10, strategies: [strategy], noReport: true, out: join(file, '..', 'run') });
  return JSON.stringify(run.results.strategies);
}

/** Write `text` as <out>/<sub>/<name> (same base name: the scenario name follows it). */
function put(sub: string, name: string, text: string): string {
  mkdirSync(join(out, sub), { recursive: true });
  writeFileSync(join(out, sub, name), text);
  return join(out, sub, name);
}

describe('LiteLLM import', () => {
  it('maps deployments, routing strategy and router settings, and warns about what it cannot carry', () => {
    const g = importLiteLlm(litellmRaw());
    const p = parseForExport(g.config);
    expect(p.endpoints.map((e) => [e.id, e.model, e.provider, e.upstreamModel])).toEqual([
      ['openai-mini', 'gpt-4o-mini', 'openai', 'gpt-4o-mini'],
      ['groq/llama-3.3-70b-versatile', 'gpt-4o-mini', 'groq', 'llama-3.3-70b-versatile'],
      ['gemini/gemini-2.0-flash', 'gemini-flash', 'gemini', 'gemini-2.0-flash'],
    ]);
    expect(p.endpoints[0]).toMatchObject({ apiKeyEnv: 'OPENAI_API_KEY', weight: 3, limits: { rpm: 600 }, price: { input: 0.15, output: 0.6 } });
    expect(p.config.strategy).toEqual({ name: 'baseline-litellm-shuffle', params: { by: 'weight' } });
    expect(p.config.fallbacks).toEqual({ 'gpt-4o-mini': ['gemini-flash'] });
    // (num_retries 2 + 1) x (1 + one fallback) attempts; ejection after allowed_fails + 1 for cooldown_time.
    expect(p.config.retry.maxAttempts).toBe(6);
    expect(p.config.health).toMatchObject({ consecutiveFailures: 3, baseEjectionMs: 30_000, maxEjectionMs: 30_000, slowStartMs: 0 });
    expect(p.config.timeouts.totalMs).toBe(45_000);
    expect(g.warnings[0]).toMatch(/not carried.*general_settings.*stream_timeout.*router_settings\.redis_host.*litellm_settings\.drop_params/);
    expect(g.warnings.join('\n')).not.toContain('LITELLM_MASTER_KEY');
  });

  it('each routing_strategy maps to the baseline that implements it; an unknown one names the key and the valid values', () => {
    const withStrategy = (s: string) => ({ ...litellmRaw(), router_settings: { routing_strategy: s } });
    const names = ['least-busy', 'usage-based-routing-v2', 'latency-based-routing', 'cost-based-routing'].map((s) => {
      const st = parseForExport(importLiteLlm(withStrategy(s)).config).config.strategy;
      return typeof st === 'string' ? st : st.name;
    });
    expect(names).toEqual(['baseline-litellm-least-busy', 'baseline-litellm-usage', 'baseline-litellm-latency', 'baseline-litellm-cost']);
    expect(() => importLiteLlm(withStrategy('fastest'))).toThrow(/^invalid LiteLLM config:\nrouter_settings\.routing_strategy: .*"simple-shuffle".*"usage-based-routing-v2"/s);
    expect(() => importLiteLlm({ model_list: [{ model_name: 'x', litellm_params: { rpm: 'lots' } }] })).toThrow(/model_list\[0\]\.litellm_params\.model: .*\nmodel_list\[0\]\.litellm_params\.rpm: /);
  });

  it('round trip: import -> export -> re-import gives the same config and identical sim results', async () => {
    const c1 = importLiteLlm(litellmRaw()).config;
    const exported = exportLiteLlm(parseForExport(c1));
    expect(exported.text.split('\n')[1]).toBe('# Everything was carried.');
    const c2 = importLiteLlm(YAML.parse(exported.text)).config;
    expect(parseForExport(c2)).toEqual(parseForExport(c1));
    const a = await simulate(put('l1', 'sample.yaml', readFileSync(join(FIX, 'litellm-config.yaml'), 'utf8')), 'baseline-litellm-shuffle');
    const b = await simulate(put('l2', 'sample.yaml', exported.text), 'baseline-litellm-shuffle');
    expect(b).toBe(a);
  });

  it('export lists what LiteLLM cannot express in the header', () => {
    const c = { ...importLiteLlm(litellmRaw()).config, hedging: { enabled: true, delay_ms: 800 }, strategy: 'adaptive' };
    const e = exportLiteLlm(parseForExport(c));
    expect(e.text).toMatch(/^# .*\n# Not carried \(LiteLLM cannot express\):\n# {3}- strategy adaptive \(simulated by LiteLLM's simple-shuffle\)\n# {3}- hedging \(delay_ms 800\)/);
  });
});

describe('Portkey import', () => {
  it('refuses a LiteLLM file or a mapping with no target, instead of inventing an endpoint', () => {
    expect(() => importPortkey({ model_list: [{ model_name: 'chat' }] })).toThrow(/LiteLLM config \(use --from litellm\)/);
    expect(() => importPortkey({ cache: true })).toThrow(/needs "provider" or "strategy" with "targets"; found cache/);
  });

  it('flattens fallback(loadbalance(a, b), c) into a load-balanced group with a fallback group, Portkey has no health checks', () => {
    const g = importPortkey(portkeyRaw());
    const p = parseForExport(g.config);
    expect(p.endpoints.map((e) => [e.id, e.model, e.weight])).toEqual([
      ['openai-mini', 'chat', 0.75],
      ['groq-llama', 'chat', 0.25],
      ['gemini-flash', 'chat-fallback-1', 1],
    ]);
    expect(p.config.strategy).toBe('baseline-portkey-loadbalance');
    expect(p.config.fallbacks).toEqual({ chat: ['chat-fallback-1'] });
    expect(p.config.retry.maxAttempts).toBe(6); // (1 + 2 retries) x 2 groups
    expect(p.config.timeouts.ttftMs).toBe(10_000);
    expect(p.config.health).toMatchObject({ consecutiveFailures: 1_000_000, slowStartMs: 0, maxCooldownMs: 0, waitForRecovery: false });
    expect(g.warnings[0]).toBe('not carried (no equivalent here): targets[1].cache');
  });

  it('nested loadbalance weights multiply through; a weight of 0 is left out with a warning', () => {
    const g = importPortkey({
      strategy: { mode: 'loadbalance' },
      targets: [
        { provider: 'openai', weight: 2, strategy: { mode: 'loadbalance' }, targets: [{ name: 'a', provider: 'openai', weight: 1 }, { name: 'b', provider: 'openai', weight: 3 }] },
        { name: 'c', provider: 'openai', weight: 2 },
        { name: 'd', provider: 'openai', weight: 0 },
      ],
    });
    expect(parseForExport(g.config).endpoints.map((e) => [e.id, e.weight])).toEqual([['a', 0.5], ['b', 1.5], ['c', 2]]);
    expect(g.warnings.join('\n')).toContain('targets[2].weight: 0');
  });

  it('bad input names the key path as written and the valid values', () => {
    expect(() => importPortkey({ strategy: { mode: 'round-robin' }, targets: [{ provider: 'openai' }] })).toThrow(/strategy\.mode: .*"loadbalance".*"fallback"/);
    expect(() => importPortkey({ retry: { attempts: 9 }, provider: 'openai' })).toThrow(/retry\.attempts: Portkey retries at most 5 times/);
    expect(() => importPortkey({ targets: [{ provider: 'openai' }] })).toThrow(/strategy\.mode: required with targets/);
  });

  it('round trip: import -> export -> re-import gives the same config and identical sim results', async () => {
    const c1 = importPortkey(portkeyRaw()).config;
    const exported = exportPortkey(parseForExport(c1));
    expect(exported.notCarried).toEqual([]);
    const c2 = importPortkey(JSON.parse(exported.text)).config;
    expect(parseForExport(c2)).toEqual(parseForExport(c1));
    const a = await simulate(put('p1', 'sample.json', readFileSync(join(FIX, 'portkey-config.json'), 'utf8')), 'baseline-portkey-loadbalance');
    const b = await simulate(put('p2', 'sample.json', exported.text), 'baseline-portkey-loadbalance');
    expect(b).toBe(a);
  });
});

describe('npm run convert (CLI)', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scenarios/cli/convert-cli.ts', ...args], { encoding: 'utf8', timeout: 30_000 });

  it('writes router-config.yaml and scenario.yaml; a syntax error names file:line:col, exit 2', () => {
    const dir = join(out, 'cli');
    const r = cli(['--from', 'litellm', join(FIX, 'litellm-config.yaml'), '--out', dir]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('warning: not carried');
    const cfg = readFileSync(join(dir, 'router-config.yaml'), 'utf8');
    expect(cfg).toMatch(/^# Converted from LiteLLM config/);
    expect(YAML.parse(cfg).endpoints).toHaveLength(3);
    const bad = put('cli', 'bad.yaml', 'model_list:\n  - model_name: x\n    litellm_params: { model: [\n');
    const b = cli(['--from', 'litellm', bad]);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML/JSON`));
  });
});
