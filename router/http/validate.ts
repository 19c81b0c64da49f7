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

export function validateChatBody(body: unknown): ChatBody | HttpError {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return invalidField('(body)', 'expected a JSON object');
  const r = chatBodySchema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = formatPath(issue.path);
  return invalidField(path, issue.message);
}
