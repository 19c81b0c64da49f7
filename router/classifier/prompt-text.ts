import type { RouteRequest } from '../core/types.js';

/**
 * The text a prompt classifier reads from a request: `request.prompt` when set, else the
 * text of the user messages joined by newlines (string content, or the `text` of
 * OpenAI-style content parts; images and other parts are skipped). System prompts are
 * left out: they describe the assistant, not the task.
 */
export function promptText(request: Pick<RouteRequest, 'prompt' | 'messages'>): string {
  if (typeof request.prompt === 'string') return request.prompt;
  const parts: string[] = [];
  for (const m of request.messages ?? []) {
    if (m?.role !== 'user') continue;
    const c = m.content;
    if (typeof c === 'string') parts.push(c);
    else if (Array.isArray(c))
      for (const p of c as unknown[]) {
        if (typeof p === 'string') parts.push(p);
        else if (p && typeof p === 'object' && (p as { type?: unknown }).type === 'text') {
          const text = (p as { text?: unknown }).text;
          if (typeof text === 'string') parts.push(text);
        }
      }
  }
  return parts.join('\n');
}
