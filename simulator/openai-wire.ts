import type { ProviderProfile } from './profile.js';
import type { ProviderOutcome, SimRequest } from './types.js';
import { baseKey, draw, requestKey } from './keyed-random.js';
import { contentText, prefixBlockHashes } from '../router/strategies/prefix-blocks.js';
import type { ChatMessage } from '../router/core/types.js';
import { assertNever } from './fault-kinds.js';

/**
 * The OpenAI chat-completions wire format for the mock providers, shared by the real
 * server and the msw handlers so both say byte-for-byte the same thing:
 * - `simRequestFromChat`: an HTTP request body + headers -> the model's SimRequest;
 * - `planResponse`: a model outcome -> what to send, when (scenario ms), and how it ends.
 * The adapters only execute a plan (timers / sockets / Response objects).
 *
 * Test hooks (headers; harmless in load runs): `x-sim-request-id` (keys the random draws),
 * `x-sim-now-ms` (scenario time), `x-sim-output-tokens` (full answer length),
 * `x-sim-prompt-class` (quality class). The same hooks (but the time) also ride in the
 * body's OpenAI `metadata` object as strings (`sim_request_id`, `sim_output_tokens`,
 * `sim_input_tokens`, `sim_prompt_class`): the proxy forwards the body, not the client's
 * headers, so this is how http mode hands each provider the workload's own request (same
 * draws, same answer length as in sim mode; see scenarios/load/samples.ts). A header wins.
 */

export class WireError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** ~4 characters per token, the usual rule of thumb for English text. */
export function approxTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export type HeaderGetter = (name: string) => string | null | undefined;

function intHeader(get: HeaderGetter, name: string): number | undefined {
  const v = get(name);
  return nonNegative(`header ${name}`, v);
}

/** A non-negative number from a hook's text; `what` names the hook in the 400. */
function nonNegative(what: string, v: string | null | undefined): number | undefined {
  if (v == null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new WireError(400, `${what}: expected a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}

export interface ParsedChat {
  readonly req: SimRequest;
  /** Scenario time override from `x-sim-now-ms`. */
  readonly nowMs: number | undefined;
  readonly model: string;
  /**
   * `metadata.sim_warmup = "1"`: http mode's warm-up traffic. The provider answers it as the
   * model says but leaves its state alone (no in-flight count, RPM/TPM window or prompt
   * cache), so the measured run starts from the state sim mode starts from.
   */
  readonly warmup: boolean;
}

/**
 * Build the model's request from a chat body. Input tokens = `metadata.sim_input_tokens`,
 * else ≈ message text length / 4; output = min(max_tokens, modelled answer length), where
 * the modelled length is `x-sim-output-tokens` (or its metadata twin) or a lognormal draw (profile.answerTokens) keyed by
 * (seed, provider, request id), independent of the model's own draws.
 */
export function simRequestFromChat(
  body: unknown,
  get: HeaderGetter,
  counterId: number,
  profile: ProviderProfile,
  seed: string | number,
): ParsedChat {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new WireError(400, 'body: expected a JSON object');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw new WireError(400, 'messages: expected a non-empty array');
  const meta = metadataOf(b.metadata);
  const hook = (header: string, key: string): number | undefined => intHeader(get, header) ?? nonNegative(`metadata.${key}`, meta[key]);
  const texts = b.messages.map((m) => contentText((m as { content?: unknown } | null)?.content));
  const prompt = texts[texts.length - 1] ?? '';
  const inputTokens = nonNegative('metadata.sim_input_tokens', meta.sim_input_tokens) ?? approxTokens(texts.join('\n'));
  const maxRaw = b.max_completion_tokens ?? b.max_tokens;
  if (maxRaw !== undefined && maxRaw !== null && (typeof maxRaw !== 'number' || !(maxRaw >= 1)))
    throw new WireError(400, 'max_tokens: expected a positive integer');
  const id = hook('x-sim-request-id', 'sim_request_id') ?? counterId;
  const a = profile.answerTokens;
  let answer = hook('x-sim-output-tokens', 'sim_output_tokens');
  if (answer === undefined) {
    const key = requestKey(baseKey(seed, `${profile.id}#answer`), id);
    const z = Math.sqrt(-2 * Math.log(1 - draw(key, 0))) * Math.cos(2 * Math.PI * draw(key, 1));
    answer = Math.min(a.max, Math.max(1, Math.round(a.median * Math.exp(a.sigma * z))));
  }
  const outputTokens = Math.max(0, Math.floor(Math.min(answer, typeof maxRaw === 'number' ? maxRaw : Infinity)));
  const req: SimRequest = {
    id,
    arrivalMs: 0,
    promptClass: get('x-sim-prompt-class') || meta.sim_prompt_class || 'general',
    prompt,
    inputTokens,
    outputTokens,
    stream: b.stream === true,
    sessionKey: typeof b.user === 'string' ? b.user : '',
    // A provider with a prompt cache hashes the messages by blocks, as the router's prefix-affinity
    // does, and caches the full blocks of the input it bills (inputTokens), as sim mode does: a
    // harness body whose text runs past inputTokens x 4 (samples.ts chatBody) adds no block.
    ...(profile.cache ? { prefix: prefixBlockHashes(b.messages as ChatMessage[], profile.cache.blockTokens).slice(0, Math.floor(inputTokens / profile.cache.blockTokens)) } : {}),
  };
  return { req, nowMs: intHeader(get, 'x-sim-now-ms'), model: typeof b.model === 'string' ? b.model : profile.model, warmup: meta.sim_warmup === '1' };
}

/** The string values of an OpenAI `metadata` object (anything else: none). */
function metadataOf(m: unknown): Record<string, string | undefined> {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return {};
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** What an adapter must do, at scenario-ms offsets from the request's arrival. */
export type WirePlan =
  | { readonly type: 'refuse' } // drop the connection at once
  | { readonly type: 'reset'; readonly atMs: number } // destroy the socket, no response
  | { readonly type: 'hang' } // never answer; wait for the client to give up
  | {
      readonly type: 'json';
      readonly atMs: number;
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    }
  | {
      readonly type: 'stream';
      readonly headers: Readonly<Record<string, string>>;
      /** SSE events in order; the first is sent at the TTFT (headers go with it). */
      readonly events: ReadonlyArray<{ readonly atMs: number; readonly data: string }>;
      /** Time the response ends (with or without `[DONE]`, as the events say); Infinity: never (a stall). */
      readonly endMs: number;
      /** When there is no event: the time the head (status and headers) goes. */
      readonly headMs?: number;
    };

/** The key a simulated 401/403 quotes back (tests check that no client ever sees it). */
export const SIM_BAD_KEY = 'sk-sim-refused-0123456789abcdef';

const WORDS = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', '.'];

/** Deterministic filler text: one word per token. */
export function tokenText(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += WORDS[i % WORDS.length];
  return s;
}

function errorBody(status: number, message: string, type: string, code: string | null): string {
  return JSON.stringify({ error: { message, type, param: null, code }, status });
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } as const;

export interface PlanOptions {
  /** Scenario ms between SSE chunks is at least this (token groups), default 50. */
  readonly minChunkMs?: number;
  /** Created timestamp (seconds) written into bodies; fixed for reproducibility. */
  readonly created?: number;
  /** Time compression: Retry-After is sent in real time = scenario time / speed. Default 1. */
  readonly speed?: number;
}

/** Translate an outcome into wire actions. Pure. */
export function planResponse(o: ProviderOutcome, req: SimRequest, profile: ProviderProfile, opts: PlanOptions = {}): WirePlan {
  const idHeader = { 'x-sim-request-id': String(req.id) };
  const cid = `chatcmpl-sim-${profile.id}-${req.id}`;
  const created = opts.created ?? 0;
  const model = profile.model;
  switch (o.kind) {
    case 'refused':
      return { type: 'refuse' };
    case 'reset':
      return { type: 'reset', atMs: o.totalMs };
    case 'hang':
      return { type: 'hang' };
    case 'rate_limited': {
      const ra = (o.retryAfterMs ?? 1000) / (opts.speed ?? 1);
      return {
        type: 'json',
        atMs: o.totalMs,
        status: 429,
        // real seconds (fractions allowed), already divided by --speed
        headers: { ...JSON_HEADERS, ...idHeader, 'retry-after-ms': String(Math.round(ra)), 'retry-after': (ra / 1000).toFixed(3) },
        body: errorBody(429, 'Rate limit reached (simulated)', 'rate_limit_error', 'rate_limit_exceeded'),
      };
    }
    case 'http_error':
      return {
        type: 'json',
        atMs: o.totalMs,
        status: o.status,
        headers: { ...JSON_HEADERS, ...idHeader },
        body:
          o.status === 401 || o.status === 403
            ? // As real providers do: the refused key quoted back (the router must never relay it).
              errorBody(o.status, `Incorrect API key provided: ${SIM_BAD_KEY}. You can find your API key at https://platform.example/account/api-keys.`, 'invalid_request_error', 'invalid_api_key')
            : o.status === 404
              ? errorBody(404, `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found')
              : errorBody(o.status, `Simulated upstream error ${o.status}`, o.status === 529 ? 'overloaded_error' : 'server_error', null),
      };
    case 'ok':
    case 'stream_cut':
    case 'malformed':
    case 'malformed_event':
    case 'stall':
      break; // a 200: its body or stream below
    default:
      return assertNever(o.kind, 'outcome kind');
  }
  const usage = {
    prompt_tokens: o.inputTokens,
    completion_tokens: o.outputTokens,
    total_tokens: o.inputTokens + o.outputTokens,
    // What this response was billed, in USD (OpenRouter reports `usage.cost` the same way):
    // the timeline's price changes reach the router through it.
    cost: o.costUsd,
    // Prompt caching, as OpenAI reports it (only from a provider with a cache).
    ...(profile.cache ? { prompt_tokens_details: { cached_tokens: o.cachedTokens ?? 0 } } : {}),
  };
  if (!req.stream) {
    const full = JSON.stringify({
      id: cid,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: tokenText(0, o.outputTokens) }, finish_reason: 'stop' }],
      usage,
    });
    // malformed: a 200 whose body stops mid-object (not valid JSON)
    const body = o.kind === 'malformed' ? full.slice(0, Math.max(10, full.length >> 1)) : full;
    return { type: 'json', atMs: o.totalMs, status: 200, headers: { ...JSON_HEADERS, ...idHeader }, body };
  }

  // Streaming: token 0 at the TTFT, then groups of g tokens at the modelled pace.
  const n = o.outputTokens;
  const perToken = n > 0 ? (o.totalMs - o.ttftMs) / n : 0;
  const g = perToken > 0 ? Math.max(1, Math.ceil((opts.minChunkMs ?? 50) / perToken)) : Math.max(1, n);
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra?: object): string =>
    JSON.stringify({ id: cid, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
  const events: Array<{ atMs: number; data: string }> = [];
  if (n > 0) {
    events.push({ atMs: o.ttftMs, data: chunk({ role: 'assistant', content: tokenText(0, 1) }, null) });
    for (let a = 1; a < n; a += g) {
      const b = Math.min(n, a + g);
      events.push({ atMs: o.ttftMs + (b - 1) * perToken, data: chunk({ content: tokenText(a, b) }, null) });
    }
  }
  if (o.kind === 'stream_cut') {
    // The stream just ends: no finish_reason, no usage, no [DONE].
    return { type: 'stream', headers: { ...SSE_HEADERS, ...idHeader }, events, endMs: o.totalMs };
  }
  if (o.kind === 'stall') {
    // The tokens up to the stall point, then the stream stays open with nothing more (endMs Infinity).
    const until = o.stallAtMs ?? o.ttftMs;
    return { type: 'stream', headers: { ...SSE_HEADERS, ...idHeader }, events: events.filter((e) => e.atMs <= until), endMs: Infinity, headMs: o.ttftMs };
  }
  const broken = '{"id":"' + cid + '","choices":[{"delta":{"content":';
  if (o.kind === 'malformed_event') {
    // The good tokens, then a truncated event (and the [DONE] a careless upstream still sends).
    events.push({ atMs: o.totalMs, data: broken }, { atMs: o.totalMs, data: '[DONE]' });
    return { type: 'stream', headers: { ...SSE_HEADERS, ...idHeader }, events, endMs: o.totalMs };
  }
  if (o.kind === 'malformed') {
    // A malformed body: the stream's only event is broken (the router fails over, as for a JSON body).
    return {
      type: 'stream',
      headers: { ...SSE_HEADERS, ...idHeader },
      events: [{ atMs: o.totalMs, data: broken }, { atMs: o.totalMs, data: '[DONE]' }],
      endMs: o.totalMs,
    };
  }
  events.push({ atMs: o.totalMs, data: chunk({}, 'stop', { usage }) });
  events.push({ atMs: o.totalMs, data: '[DONE]' });
  return { type: 'stream', headers: { ...SSE_HEADERS, ...idHeader }, events, endMs: o.totalMs };
}

/** One SSE event on the wire. */
export function sseEvent(data: string): string {
  return `data: ${data}\n\n`;
}

export function modelsBody(profile: ProviderProfile): string {
  return JSON.stringify({
    object: 'list',
    data: [{ id: profile.model, object: 'model', created: 0, owned_by: profile.provider ?? profile.id }],
  });
}

export function healthBody(profile: ProviderProfile, ok: boolean): string {
  return JSON.stringify({ status: ok ? 'ok' : 'unavailable', id: profile.id, model: profile.model });
}

export function wireErrorBody(status: number, message: string): string {
  return errorBody(status, message, status === 404 ? 'not_found_error' : 'invalid_request_error', null);
}
