import { z } from 'zod';
import { routerConfigSchema } from '../../router/core/config.js';
import { serverSchema, snake } from '../../router/http/config.js';
import { storeSchema } from '../../router/store/config.js';
import { responseCacheSchema } from '../../router/cache/response-cache.js';
import { profileSchema } from '../../simulator/profile.js';
import { scenarioSchema } from './schema.js';

/**
 * JSON Schemas of the three files people write by hand (scenario, proxy config, provider
 * profile), generated from the zod schemas that
 * validate them (z.toJSONSchema), so an editor (yaml-language-server, VS Code) can check a
 * file as it is typed. They describe what a file may say (`io: 'input'`: defaults may be
 * left out); the checks zod runs in code and JSON Schema cannot say (cross-field rules,
 * known profile and strategy names) still run when the file is loaded, with their own
 * messages. `npm run schemas` writes them to schemas/; a test keeps them up to date.
 */

type Json = { [k: string]: unknown };

// draft-07: the draft editors' YAML and JSON language servers support best.
const options = { io: 'input', unrepresentable: 'any', target: 'draft-7' } as const;

/** The object schemas at `path` (`properties` names and `items`), through anyOf/oneOf wrappers. */
function objectsAt(node: unknown, path: readonly string[]): Json[] {
  if (typeof node !== 'object' || node === null) return [];
  const n = node as Json;
  const branches = [...((n.anyOf as unknown[]) ?? []), ...((n.oneOf as unknown[]) ?? [])];
  if (branches.length) return branches.flatMap((b) => objectsAt(b, path));
  if (path.length === 0) return n.properties ? [n] : [];
  const [head, ...rest] = path;
  const next = head === '[]' ? n.items : (n.properties as Json | undefined)?.[head!];
  return objectsAt(next, rest);
}

/**
 * The proxy reads snake_case spellings at these places (router/http/config.ts
 * normaliseKeys), never inside user-named maps: each camelCase property gets its
 * snake_case twin, and a required one may be given either way.
 */
const SNAKE_CASE_PLACES: readonly (readonly string[])[] = [
  [],
  ['endpoints', '[]'],
  ['health'],
  ['health', 'errorRate'],
  ['health', 'activeCheck'],
  ['retry'],
  ['timeouts'],
  ['hedging'],
  ['stats'],
  ['store'],
  ['cache'],
  ['server'],
  ['server', 'clientKeys', '[]'],
];

function allowSnakeCase(o: Json): void {
  const props = o.properties as Json;
  for (const k of Object.keys(props)) if (snake(k) !== k) props[snake(k)] = props[k];
  const required = (o.required as string[] | undefined) ?? [];
  const either = required.filter((k) => snake(k) !== k);
  if (either.length === 0) return;
  o.required = required.filter((k) => snake(k) === k);
  o.allOf = [...((o.allOf as unknown[]) ?? []), ...either.map((k) => ({ anyOf: [{ required: [k] }, { required: [snake(k)] }] }))];
}

/** `$schema` first, then the title, then the rest. */
const titled = (title: string, s: Json): Json => ({ $schema: s.$schema, title, ...s });

/** The scenario file (scenarios/*.yaml). */
export function scenarioJsonSchema(): Json {
  return titled('llm-router scenario file', z.toJSONSchema(scenarioSchema, options) as Json);
}

/** The proxy's config file (`npm run router -- --config FILE`): the router config plus `server`, `store` and `cache`. */
export function proxyConfigJsonSchema(): Json {
  const file = routerConfigSchema.extend({ server: serverSchema.optional(), store: storeSchema.optional(), cache: responseCacheSchema.optional() });
  const schema = titled('llm-router proxy config file', z.toJSONSchema(file, options) as Json);
  for (const place of SNAKE_CASE_PLACES) for (const o of objectsAt(schema, place)) allowSnakeCase(o);
  return schema;
}

/** A provider profile (simulator/profiles/*.yaml, and the ones `npm run calibrate` writes). */
export function profileJsonSchema(): Json {
  return titled('llm-router simulator provider profile', z.toJSONSchema(profileSchema, options) as Json);
}

/** File name in schemas/ -> its text (what `npm run schemas` writes). */
export function schemaFiles(): Record<string, string> {
  const text = (s: Json): string => `${JSON.stringify(s, null, 2)}\n`;
  return {
    'scenario.schema.json': text(scenarioJsonSchema()),
    'router-config.schema.json': text(proxyConfigJsonSchema()),
    'provider-profile.schema.json': text(profileJsonSchema()),
  };
}
