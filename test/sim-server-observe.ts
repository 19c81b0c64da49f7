/**
 * Test helper: what a client observes from one chat completion, reduced to
 * comparable facts (status, kind, tokens, whether the stream ended with [DONE]).
 * Connection-level failures are one kind ('network'): msw cannot tell refused from reset.
 */
export interface Observed {
  status: number;
  kind: 'ok' | 'http_error' | 'rate_limited' | 'network' | 'stream_cut' | 'malformed';
  outputTokens: number;
  done: boolean;
  usage?: { prompt_tokens: number; completion_tokens: number };
  retryAfter?: string | null;
  events: string[];
}

const TOKEN = /The| quick| brown| fox| jumps| over| the| lazy| dog|\./g;

export async function observe(url: string, body: object, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Observed> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch {
    return { status: 0, kind: 'network', outputTokens: 0, done: false, events: [] };
  }
  let text: string;
  try {
    text = await res.text();
  } catch {
    return { status: res.status, kind: 'network', outputTokens: 0, done: false, events: [] };
  }
  if (res.status === 429) return { status: 429, kind: 'rate_limited', outputTokens: 0, done: false, retryAfter: res.headers.get('retry-after'), events: [] };
  if (res.status !== 200) return { status: res.status, kind: 'http_error', outputTokens: 0, done: false, events: [] };
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    try {
      const j = JSON.parse(text) as { usage: Observed['usage'] };
      return { status: 200, kind: 'ok', outputTokens: j.usage!.completion_tokens, done: true, usage: j.usage, events: [] };
    } catch {
      return { status: 200, kind: 'malformed', outputTokens: 0, done: false, events: [] };
    }
  }
  const events = text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6));
  const done = events[events.length - 1] === '[DONE]';
  let content = '';
  let usage: Observed['usage'];
  for (const e of events) {
    if (e === '[DONE]') continue;
    try {
      const j = JSON.parse(e) as { choices: Array<{ delta: { content?: string } }>; usage?: Observed['usage'] };
      content += j.choices[0]?.delta.content ?? '';
      if (j.usage) usage = j.usage;
    } catch {
      return { status: 200, kind: 'malformed', outputTokens: 0, done, events };
    }
  }
  const outputTokens = content.match(TOKEN)?.length ?? 0;
  return { status: 200, kind: done ? 'ok' : 'stream_cut', outputTokens, done, usage, events };
}
