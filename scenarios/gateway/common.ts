import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { formatPath } from '../../router/core/config.js';
// load.ts imports this module (a scenario may be a gateway config): ScenarioError is only used at call time.
import { ScenarioError } from '../spec/errors.js';

/** simulator/profiles (not from profiles.ts, which needs load.ts initialised first). */
const PROFILE_DIR = fileURLToPath(new URL('../../simulator/profiles', import.meta.url));

/**
 * What the LiteLLM and Portkey importers share: the result shape, error and warning
 * wording (key paths as the user wrote them, never a file-name prefix), upstream URLs of
 * well-known providers, and the shipped simulator profile that best stands in for a model.
 */

type Obj = Record<string, unknown>;

/** A gateway config turned into ours. */
export interface GatewayImport {
  /** Which gateway it came from. */
  from: 'litellm' | 'portkey';
  /** A proxy config in snake_case (like router/http/example.yaml), without `server`. */
  config: Obj;
  /** The model group clients ask for first. */
  primaryModel: string;
  /** Keys that could not be carried, and approximations: one line each. */
  warnings: string[];
}

/** A converted config written out in the target's format, with what it could not express. */
export interface GatewayExport {
  text: string;
  notCarried: string[];
}

/** Bad gateway input: exit 2, the message names the key path as written. */
export function gatewayError(where: string, lines: readonly string[]): ScenarioError {
  return new ScenarioError(`invalid ${where}:\n${lines.join('\n')}`);
}

/** zod issues as "key.path: message" lines (paths as written: snake_case, no file prefix). */
export function issueLines(err: z.ZodError): string[] {
  return err.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/** Keys of `o` not in `known`, as paths under `at` (for the "not carried" warning). */
export function unknownKeys(o: unknown, known: readonly string[], at: string): string[] {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return [];
  return Object.keys(o).filter((k) => !known.includes(k)).map((k) => (at ? `${at}.${k}` : k));
}

/** OpenAI-compatible base URLs of providers a gateway names without an api_base. */
export const PROVIDER_BASE_URLS: Readonly<Record<string, string>> = {
  openai: 'https://api.openai.com/v1',
  groq: 'https://api.groq.com/openai/v1',
  gemini: 'https://generativelanguage.googleapis.com/v1beta/openai',
  google: 'https://generativelanguage.googleapis.com/v1beta/openai',
  anthropic: 'https://api.anthropic.com/v1',
  together_ai: 'https://api.together.xyz/v1',
  'together-ai': 'https://api.together.xyz/v1',
  mistral: 'https://api.mistral.ai/v1',
  deepseek: 'https://api.deepseek.com/v1',
  openrouter: 'https://openrouter.ai/api/v1',
};

/** `os.environ/OPENAI_API_KEY` (LiteLLM's reference to an environment variable) -> `OPENAI_API_KEY`. */
export function envRef(v: unknown): string | undefined {
  const m = typeof v === 'string' ? /^os\.environ\/([A-Za-z_][A-Za-z0-9_]*)$/.exec(v) : null;
  return m?.[1];
}

export interface ProfileInfo {
  name: string;
  provider: string;
  model: string;
  price: { input: number; output: number };
  contextWindow?: number;
}

let profiles: ProfileInfo[] | undefined;

/** The shipped simulator profiles (name, provider, model, price), read once. */
export function shippedProfiles(): ProfileInfo[] {
  profiles ??= readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const p = parseYaml(readFileSync(join(PROFILE_DIR, f), 'utf8')) as Obj;
      return {
        name: f.slice(0, -'.yaml'.length),
        provider: String(p.provider ?? ''),
        model: String(p.model ?? ''),
        price: p.price as ProfileInfo['price'],
        ...(typeof p.contextWindow === 'number' ? { contextWindow: p.contextWindow } : {}),
      };
    });
  return profiles;
}

/**
 * The profile that stands in for (provider, model) in a simulation: the same model
 * (e.g. "gpt-4o-mini", "gemini-2.0-flash"), else the same provider, else the first one.
 * `exact` says whether the model matched.
 */
export function profileFor(provider: string, model: string): { profile: ProfileInfo; exact: boolean } {
  const all = shippedProfiles();
  const bare = model.replace(/^.*\//, '');
  const same = all.find((p) => p.model === bare || p.model === model || bare.startsWith(`${p.model}-`));
  if (same) return { profile: same, exact: true };
  const prov = all.find((p) => p.provider === provider || (provider === 'gemini' && p.provider === 'google'));
  return { profile: prov ?? all.find((p) => p.name === 'openai-gpt-4o-mini') ?? all[0]!, exact: false };
}

/** A per-token cost (LiteLLM's unit) as USD per 1M tokens (ours), rounded to drop float noise. */
export const perMillion = (perToken: number): number => Math.round(perToken * 1e6 * 1e6) / 1e6;
/** USD per 1M tokens back to per token. */
export const perToken = (perMillionUsd: number): number => Number((perMillionUsd / 1e6).toPrecision(12));

/** A unique id: `base`, else `base-2`, `base-3`... */
export function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let k = 2; taken.has(id); k++) id = `${base}-${k}`;
  taken.add(id);
  return id;
}

/**
 * Router settings that turn our health machinery into a gateway's simpler one. Portkey's
 * loadbalance/fallback has none: never eject, no cooldowns, no slow start, no waiting.
 */
export const NO_HEALTH = {
  consecutive_failures: 1_000_000,
  error_rate: { threshold: 1, min_requests: 1_000_000 },
  slow_start_ms: 0,
  default_cooldown_ms: 0,
  max_cooldown_ms: 0,
  wait_for_recovery: false,
} as const;

/** The retry budget switched off (neither gateway has one). */
export const NO_RETRY_BUDGET = { budget_ratio: 10, budget_min_per_second: 1_000_000 } as const;
