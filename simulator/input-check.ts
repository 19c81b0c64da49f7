import { z } from 'zod';
import { formatPath } from '../router/core/config.js';

/**
 * Validating simulator inputs (workloads, arrival processes, conversations) with zod, with
 * messages that name the field and say what was expected and what came:
 * `workload.mix[0].weight: expected a positive number, got a string ("2")`.
 * Validation only: callers keep their own objects (a parsed trace's typed arrays stay as they are).
 */

/** A plain object (not null, not an array): for validating inputs. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value for an error message: `a string ("x")`, `a list`, `null`, or the number. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)})`;
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** zod's error option for "expected <what>, got <the value>" (one message for every way a field can be wrong). */
export function expected(what: string): { error: (iss: { input?: unknown }) => string } {
  return { error: (iss) => `expected ${what}, got ${describeValue(iss.input)}` };
}

/**
 * One of several schemas, chosen by the value's shape (a token count or a distribution; a
 * trace file or a parsed trace), so an error is the chosen schema's own, naming the field,
 * instead of a union's "no option matched". `pick` returns the schema, or the message when
 * the value fits none.
 */
export function oneOf(pick: (v: unknown) => z.ZodType | string): z.ZodType {
  return z.unknown().superRefine((v, ctx) => {
    const s = pick(v);
    if (typeof s === 'string') return ctx.addIssue({ code: 'custom', message: s, input: v });
    const r = s.safeParse(v);
    if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path, input: v });
  });
}

/** Validate `value` or throw an Error naming the first bad field: `<where>.<path>: <message>`. */
export function checkInput(schema: z.ZodType, value: unknown, where: string): void {
  const r = schema.safeParse(value);
  if (r.success) return;
  const issue = r.error.issues[0]!;
  // An unknown key is named in the path, like any other bad field.
  const path = formatPath(issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path);
  throw new Error(`${where}${path === '(root)' ? '' : `.${path}`}: ${issue.message}`);
}
