import { z } from 'zod';
import { formatPath } from '../core/config.js';
import { HttpError, invalidField } from './errors.js';

/**
 * What the edge checks in a chat-completions body before routing: the fields the
 * router reads and the ones a wrong type of would make every upstream fail anyway.
 * Other fields pass through untouched (looseObject), as OpenAI adds parameters often.
 * A failure is a 400 naming the first bad field, e.g. `messages[0].role: ...`.
 */

const message = z.looseObject({
  role: z.string().min(1),
  content: z.union([z.string(), z.array(z.unknown()), z.null()]).optional(),
});

const maxTokens = z.number().int().positive().optional();

export const chatBodySchema = z.looseObject({
  model: z.string().min(1).max(256),
  messages: z.array(message).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: maxTokens.nullable().transform((v) => v ?? undefined),
  max_completion_tokens: maxTokens.nullable().transform((v) => v ?? undefined),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  user: z.string().max(512).optional(),
});

export type ChatBody = z.output<typeof chatBodySchema>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optNum = (v: unknown, min: number, max: number): boolean =>
  v === undefined || v === null || (typeof v === 'number' && v >= min && v <= max);
const optPosInt = (v: unknown): boolean => v === undefined || v === null || (Number.isSafeInteger(v) && (v as number) > 0);

/**
 * The hot path: a hand-written check that accepts only bodies the schema accepts
 * (a test fuzzes the two against each other). When it says no, zod runs to produce
 * the error naming the field; when it says yes, zod is skipped (~7 µs a request).
 */
export function obviouslyValid(b: Record<string, unknown>): boolean {
  const model = b.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > 256) return false;
  const msgs = b.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) return false;
  for (let i = 0; i < msgs.length; i++) {
    const m: unknown = msgs[i];
    if (!isObj(m)) return false;
    if (typeof m.role !== 'string' || m.role.length === 0) return false;
    const c = m.content;
    if (c !== undefined && c !== null && typeof c !== 'string' && !Array.isArray(c)) return false;
  }
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') return false;
  const so = b.stream_options;
  if (so !== undefined && so !== null && (!isObj(so) || (so.include_usage !== undefined && typeof so.include_usage !== 'boolean')))
    return false;
  if (!optPosInt(b.max_tokens) || !optPosInt(b.max_completion_tokens)) return false;
  if (!optNum(b.temperature, 0, 2) || !optNum(b.top_p, 0, 1)) return false;
  const n = b.n;
  if (n !== undefined && n !== null && !(Number.isSafeInteger(n) && (n as number) >= 1 && (n as number) <= 128)) return false;
  if (b.user !== undefined && (typeof b.user !== 'string' || b.user.length > 512)) return false;
  return true;
}

export function validateChatBody(body: unknown): ChatBody | HttpError {
  if (!isObj(body)) return invalidField('(body)', 'expected a JSON object');
  if (obviouslyValid(body)) return body as ChatBody;
  const r = chatBodySchema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = formatPath(issue.path);
  return invalidField(path, issue.message);
}
