import { declaredMaxTokens, type MaxTokensMode, type SimRequest } from '../../simulator/types.js';
import { prefixText } from './prefix-text.js';

/**
 * One measured response in http mode, whatever drove it (autocannon or the open-loop
 * generator). Times are wall milliseconds relative to the start of the measured run;
 * the http runner maps them to scenario time (x speed).
 */
export interface Sample {
  /** When the request was due (open loop: intended send time) or sent (closed loop), wall ms since the driver started. */
  sentMs: number;
  /** From `sentMs` to the last byte (or the error). */
  latencyMs: number;
  /** From `sentMs` to the first body byte of a streamed answer that succeeded; undefined otherwise (a JSON answer's first byte is its last). */
  ttftMs: number | undefined;
  status: number;
  ok: boolean;
  /** x-router-endpoint header: the endpoint that answered. */
  endpoint: string | undefined;
  /** x-router-attempts header. */
  attempts: number;
  /** x-router-tried header (every endpoint tried, comma-separated), when the proxy sends it. */
  tried?: string[] | undefined;
  inputTokens: number;
  outputTokens: number;
  /** Error class when !ok: http_<status>, stream_error, stream_incomplete, connect, timeout... */
  errorKind: string | undefined;
  /** usage.prompt_tokens_details.cached_tokens, when the upstream has a prompt cache. */
  cachedTokens?: number;
  /** usage.cost (USD billed) of a response that reported cached tokens. */
  billedUsd?: number;
  /** x-router-cache: hit (answered from the proxy's response cache) or miss; undefined when absent. */
  responseCache?: 'hit' | 'miss' | undefined;
}

/** The x-router-cache header as a Sample field. */
export function responseCacheOf(v: string | undefined): 'hit' | 'miss' | undefined {
  return v === 'hit' || v === 'miss' ? v : undefined;
}

/** x-router-attempts (0 for a response-cache hit; 1 when the header is missing or unreadable). */
export function attemptsOf(v: string | undefined): number {
  const n = Number(v ?? 1);
  return Number.isInteger(n) && n >= 0 ? n : 1;
}

type Usage = { prompt_tokens?: number; completion_tokens?: number; cost?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } | null };

/** The prompt-cache part of a usage object: cached tokens (and the billed cost) when it reports them, else nothing. */
function cacheUsage(u: Usage | null | undefined): { cachedTokens?: number; billedUsd?: number } {
  const c = u?.prompt_tokens_details?.cached_tokens;
  if (typeof c !== 'number' || !(c >= 0)) return {};
  return typeof u?.cost === 'number' && u.cost >= 0 ? { cachedTokens: c, billedUsd: u.cost } : { cachedTokens: c };
}

/** The chat request body sent for a workload request. */
export function chatBody(model: string, r: SimRequest, warmup = false, maxTokens: MaxTokensMode = 'exact'): string {
  // The mock server estimates input tokens as text length / 4 (when metadata does not say),
  // so pad with a neutral system message up to the request's token count, at most 32,000
  // tokens of text (bodies stay near 128 KB plus the prompt).
  const targetChars = Math.min(r.inputTokens, 32_000) * 4;
  const want = targetChars - r.prompt.length;
  const messages: Array<{ role: string; content: string }> = [];
  // A request with prompt-cache prefix blocks: its blocks as text first (prefix-text.ts), up to
  // targetChars whatever the prompt's length (at most 62 blocks of 512 tokens: a longer prefix,
  // e.g. a Mooncake trace row's, is cut there and caches less than in sim mode), so a
  // provider's cache matches as many blocks as in sim mode; the text may then run past
  // inputTokens x 4 by up to the prompt's length, which the mock providers neither bill nor
  // cache (openai-wire.ts). Then this request's own mark, so the text after the blocks, which
  // sim mode never caches, hashes differently from every other request's: identical padding
  // would otherwise make a shared partial block look cached.
  const head = r.prefix !== undefined && r.prefix.length > 0 ? prefixText(r.prefix, targetChars) + `[request ${r.id}] ` : '';
  const rest = want - head.length;
  if (want > 16 || head.length > 0) messages.push({ role: 'system', content: head + (rest > 0 ? PAD.repeat(Math.ceil(rest / PAD.length)).slice(0, rest) : '') });
  messages.push({ role: 'user', content: r.prompt });
  const body: Record<string, unknown> = {
    model,
    messages,
    // What the client declares (scenario load.maxTokens); the answer's length travels in the metadata.
    ...(maxTokens === 'none' ? {} : { max_tokens: declaredMaxTokens(maxTokens, r.outputTokens) }),
    // A repeated question (workload faq) is asked deterministically, so the response cache may answer it.
    ...(r.faq !== undefined ? { temperature: 0 } : {}),
    user: r.sessionKey,
    // The mock providers read these (simulator/openai-wire.ts) so each request meets the
    // same draws, answer length, input tokens and quality class as in sim mode.
    metadata: warmup ? { ...simMetadata(r), sim_warmup: '1' } : simMetadata(r),
  };
  if (r.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return JSON.stringify(body);
}

/** The workload request's identity as OpenAI `metadata` (string values, as the API requires). */
export function simMetadata(r: SimRequest): Record<string, string> {
  return {
    sim_request_id: String(r.id),
    sim_output_tokens: String(r.outputTokens),
    sim_input_tokens: String(r.inputTokens),
    sim_prompt_class: r.promptClass,
  };
}

const PAD = 'Context from earlier in the conversation. ';

/** Parse the optional x-router-tried header. */
export function triedOf(v: string | undefined): string[] | undefined {
  return v ? v.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
}

/** Read a header from autocannon's flat [k, v, k, v] array or a record. */
export function headerOf(headers: unknown, name: string): string | undefined {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    return undefined;
  }
  if (headers && typeof headers === 'object') {
    const v = (headers as Record<string, unknown>)[name];
    return v === undefined ? undefined : Array.isArray(v) ? String(v[0]) : String(v);
  }
  return undefined;
}

/**
 * Judge a complete response body: ok (with token usage) or an error kind. A stream is
 * ok only when it ends with `data: [DONE]` and carries no error event; a JSON body only
 * when it has choices. The error kind is the router's own code when the proxy sent one
 * (its OpenAI-shaped `error.code`, in a JSON error body or an SSE error event), so http
 * mode reports the same kinds as sim mode (`connect_failed`, `stream_cut`, ...); else
 * `http_<status>`, `stream_error` or `stream_incomplete`.
 */
export function judgeBody(
  status: number,
  body: string,
  stream: boolean,
): { ok: boolean; errorKind: string | undefined; inputTokens: number; outputTokens: number; cachedTokens?: number; billedUsd?: number } {
  let inputTokens = 0;
  let outputTokens = 0;
  let cache: ReturnType<typeof cacheUsage> = {};
  if (status !== 200) return { ok: false, errorKind: errorCodeOf(body) ?? `http_${status}`, inputTokens, outputTokens };
  if (stream || body.startsWith('data:') || body.startsWith('event:')) {
    let done = false;
    let error = false;
    let code: string | undefined;
    for (const line of body.split('\n')) {
      if (line.startsWith('event: error')) error = true;
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      if (data.includes('"error"')) {
        error = true;
        code ??= errorCodeOf(data);
      }
      if (data.includes('"usage"')) {
        try {
          const u = (JSON.parse(data) as { usage?: Usage | null }).usage;
          if (u) {
            inputTokens = u.prompt_tokens ?? inputTokens;
            outputTokens = u.completion_tokens ?? outputTokens;
            cache = cacheUsage(u);
          }
        } catch {
          error = true;
        }
      }
    }
    if (error) return { ok: false, errorKind: code ?? 'stream_error', inputTokens, outputTokens };
    if (!done) return { ok: false, errorKind: 'stream_incomplete', inputTokens, outputTokens };
    return { ok: true, errorKind: undefined, inputTokens, outputTokens, ...cache };
  }
  try {
    const j = JSON.parse(body) as { choices?: unknown[]; usage?: Usage };
    if (!Array.isArray(j.choices)) return { ok: false, errorKind: 'malformed', inputTokens, outputTokens };
    return { ok: true, errorKind: undefined, inputTokens: j.usage?.prompt_tokens ?? 0, outputTokens: j.usage?.completion_tokens ?? 0, ...cacheUsage(j.usage) };
  } catch {
    return { ok: false, errorKind: 'malformed', inputTokens, outputTokens };
  }
}

/** The `error.code` of an OpenAI-shaped error body, when it is a plain code word. */
function errorCodeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}
