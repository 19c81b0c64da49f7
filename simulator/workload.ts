import { loadPromptCorpus } from '../router/classifier/corpus.js';
import { deriveRandom, type Random } from '../router/core/random.js';
import { createArrivals, describeValue, isObject, normal, type RatePhase, type RateRamp } from './arrivals.js';
import { compileReplay, OUTCOME_SUBJECTS, type OutcomeReplaySpec } from './outcome-replay.js';
import { loadTrace, type Trace, type TraceFormat } from './trace.js';
import { Conversations, validateConversations, type ConversationSpec } from './conversations.js';
import { MAX_DURATION_S, type SimRequest } from './types.js';

/**
 * The workload generator: a lazy sequence of SimRequests (arrival time, prompt class,
 * prompt text, token lengths, stream flag, session key). Every draw comes from two
 * streams derived from the seed, 'arrivals' and 'workload', and from nothing a router
 * does, so every strategy sees the identical request sequence. Requests are produced
 * one at a time (`next()`), so a 1M-request run never holds 1M requests.
 *
 * Each request takes exactly 8 uniforms from the 'workload' stream (class, 2+2 for the
 * token normals, prompt, stream, session, 1 spare), whatever the spec says, so changing
 * one class's token lengths does not shift the other draws.
 */

/** A fixed token count, or a lognormal with this median and log-sd, clamped to [min, max]. */
export type TokenSpec = number | { median: number; sigma?: number; min?: number; max?: number };

export interface ClassMix {
  class: string;
  weight?: number;
  inputTokens: TokenSpec;
  outputTokens: TokenSpec;
}

export interface TraceRef {
  /** Path relative to the repository root, or absolute. */
  file: string;
  format?: TraceFormat;
  /** Time compression: trace seconds per scenario second (2 = twice as fast). */
  speed?: number;
  /** Skip this many trace seconds. */
  offsetS?: number;
  /** Replay the trace's prefix blocks (mooncake `hash_ids`) as request prefixes; every row must have them. */
  prefixes?: boolean;
}

/**
 * The load. Compatible with the scenario file's `load` section (scenarios/schema.ts),
 * plus `spike`/`ramp` arrival names, `ramp` and `sessionSkew`.
 *
 * arrivals: constant | poisson | gamma (shape k) | spike (Poisson with `phases`, the flash
 * crowds) | ramp (Poisson with `ramp`) | trace. `phases` and `ramp` also bend constant
 * and gamma arrivals.
 */
/** The `arrivals` kinds a workload accepts. */
export const ARRIVAL_KINDS = ['constant', 'poisson', 'gamma', 'spike', 'ramp', 'trace'] as const;
export type ArrivalKind = (typeof ARRIVAL_KINDS)[number];

/** Largest session-key pool: the keys and the Zipf table are built up front (~70 MB, ~0.4 s at this bound). */
export const MAX_SESSIONS = 1_000_000;

export interface WorkloadSpec {
  arrivals?: ArrivalKind;
  /** Mean arrivals per second (not for trace). */
  rate?: number;
  shape?: number;
  phases?: readonly RatePhase[];
  ramp?: RateRamp;
  /** A trace reference, or an already parsed trace. */
  trace?: TraceRef | (Trace & { speed?: number; offsetS?: number; prefixes?: boolean });
  /** Scenario length: no arrival at or after durationS. */
  durationS: number;
  /** Stop after this many requests. */
  maxRequests?: number;
  /** Prompt classes and their token lengths (trace: tokens come from the trace, classes from here). */
  mix?: readonly ClassMix[];
  /** Share of requests with stream: true. */
  stream?: number;
  /** Size of the session-key pool (sticky routing). */
  sessions?: number;
  /** Zipf exponent s of session popularity, P(rank r) ∝ 1/r^s (default 1). */
  sessionSkew?: number;
  /**
   * Multi-turn conversations with shared system prompts (conversations.ts): each session
   * key is a conversation slot, turn k re-sends turns 1..k-1, requests carry prefixes.
   */
  conversations?: ConversationSpec;
  /** Outcome replay: prompts and per-provider outcomes from a record file (outcome-replay.ts). */
  outcomes?: OutcomeReplaySpec;
}

/** A generic chat mix, loosely after published prompt/answer length studies (tokens). */
export const DEFAULT_MIX: readonly ClassMix[] = [
  { class: 'general', weight: 4, inputTokens: { median: 300, sigma: 0.8 }, outputTokens: { median: 250, sigma: 0.7 } },
  { class: 'coding', weight: 3, inputTokens: { median: 900, sigma: 0.9 }, outputTokens: { median: 400, sigma: 0.8 } },
  { class: 'writing', weight: 1.5, inputTokens: { median: 250, sigma: 0.7 }, outputTokens: { median: 600, sigma: 0.6 } },
  { class: 'math', weight: 1, inputTokens: { median: 150, sigma: 0.6 }, outputTokens: { median: 350, sigma: 0.7 } },
  { class: 'reasoning', weight: 0.5, inputTokens: { median: 400, sigma: 0.7 }, outputTokens: { median: 800, sigma: 0.7 } },
];

export interface Workload extends Iterable<SimRequest> {
  /** The next request, or undefined when the workload is over. */
  next(): SimRequest | undefined;
}

export interface WorkloadOptions {
  /** Prompt texts by label (default: the classifier's corpus, router/classifier/corpus.ts). */
  corpus?: ReadonlyArray<{ text: string; label: string }>;
}

interface CompiledClass {
  name: string;
  texts: readonly string[];
  input: TokenSpec;
  output: TokenSpec;
}

function fail(field: string, msg: string): never {
  throw new Error(`workload.${field}: ${msg}`);
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function checkTokens(t: unknown, field: string): void {
  if (typeof t === 'number') {
    if (!Number.isInteger(t) || t < 0) fail(field, `expected a non-negative integer, got ${t}`);
    return;
  }
  if (!isObject(t)) fail(field, `expected a token count or {median, sigma?, min?, max?}, got ${describeValue(t)}`);
  if (!(isNumber(t.median) && t.median > 0)) fail(`${field}.median`, `expected a positive number, got ${describeValue(t.median)}`);
  if (t.sigma !== undefined && !(isNumber(t.sigma) && t.sigma >= 0)) fail(`${field}.sigma`, `expected >= 0, got ${describeValue(t.sigma)}`);
  for (const k of ['min', 'max'] as const)
    if (t[k] !== undefined && !(isNumber(t[k]) && t[k] >= 0)) fail(`${field}.${k}`, `expected a non-negative number, got ${describeValue(t[k])}`);
  if (t.min !== undefined && t.max !== undefined && (t.max as number) < (t.min as number)) fail(`${field}.max`, `expected >= min (${t.min})`);
}

function checkMix(mix: unknown): void {
  if (mix === undefined) return;
  if (!Array.isArray(mix)) fail('mix', `expected a list of {class, weight?, inputTokens, outputTokens}, got ${describeValue(mix)}`);
  mix.forEach((m: unknown, i) => {
    if (!isObject(m)) fail(`mix[${i}]`, `expected {class, weight?, inputTokens, outputTokens}, got ${describeValue(m)}`);
    if (typeof m.class !== 'string' || m.class === '') fail(`mix[${i}].class`, 'expected a class name');
    if (m.weight !== undefined && !(isNumber(m.weight) && m.weight > 0)) fail(`mix[${i}].weight`, `expected a positive number, got ${describeValue(m.weight)}`);
    checkTokens(m.inputTokens, `mix[${i}].inputTokens`);
    checkTokens(m.outputTokens, `mix[${i}].outputTokens`);
  });
}

/** A trace reference {file, format?, speed?, offsetS?} or an already parsed trace (with optional speed/offsetS). */
function checkTrace(ref: unknown): void {
  if (ref === undefined) return;
  if (!isObject(ref))
    fail('trace', `expected {file, format?, speed?, offsetS?} (or a parsed trace), got ${describeValue(ref)}`);
  if ('arrivalMs' in ref) {
    const n = ref.count;
    if (!(Number.isInteger(n) && (n as number) >= 0)) fail('trace.count', `expected a row count, got ${describeValue(n)}`);
    if (!(ref.arrivalMs instanceof Float64Array) || ref.arrivalMs.length < (n as number))
      fail('trace.arrivalMs', `expected a Float64Array of ${n} arrival times (a parsed trace, see trace.ts)`);
    for (const k of ['inputTokens', 'outputTokens'] as const) {
      const a = ref[k];
      if (!(a instanceof Int32Array) || a.length < (n as number)) fail(`trace.${k}`, `expected an Int32Array of ${n} token counts (a parsed trace, see trace.ts)`);
    }
  } else {
    if (typeof ref.file !== 'string' || ref.file === '') fail('trace.file', `expected a trace file path, got ${describeValue(ref.file)}`);
    if (ref.format !== undefined && ref.format !== 'azure' && ref.format !== 'mooncake' && ref.format !== 'router-log')
      fail('trace.format', `unknown trace format ${JSON.stringify(ref.format)}; expected azure or mooncake (CSV, JSONL trace), or router-log (the proxy's access log)`);
  }
  if (ref.speed !== undefined && !(isNumber(ref.speed) && ref.speed > 0)) fail('trace.speed', `expected a positive number, got ${describeValue(ref.speed)}`);
  if (ref.offsetS !== undefined && !(isNumber(ref.offsetS) && ref.offsetS >= 0)) fail('trace.offsetS', `expected >= 0, got ${describeValue(ref.offsetS)}`);
  if (ref.prefixes !== undefined && typeof ref.prefixes !== 'boolean') fail('trace.prefixes', `expected true or false, got ${describeValue(ref.prefixes)}`);
}

function checkOutcomes(o: unknown): void {
  if (o === undefined) return;
  if (!isObject(o)) fail('outcomes', `expected {file, models, subjects?, ignoreModels?}, got ${describeValue(o)}`);
  if (typeof o.file !== 'string' || o.file === '') fail('outcomes.file', `expected an outcome file path, got ${describeValue(o.file)}`);
  if (!isObject(o.models) || Object.keys(o.models).length === 0)
    fail('outcomes.models', `expected provider id -> model name, got ${describeValue(o.models)}`);
  for (const [k, v] of Object.entries(o.models)) if (typeof v !== 'string' || v === '') fail(`outcomes.models.${k}`, `expected a model name, got ${describeValue(v)}`);
  if (o.subjects !== undefined && !(OUTCOME_SUBJECTS as readonly unknown[]).includes(o.subjects))
    fail('outcomes.subjects', `expected one of ${OUTCOME_SUBJECTS.join(', ')}, got ${describeValue(o.subjects)}`);
  if (o.ignoreModels !== undefined && !(Array.isArray(o.ignoreModels) && o.ignoreModels.every((m) => typeof m === 'string')))
    fail('outcomes.ignoreModels', `expected a list of model names, got ${describeValue(o.ignoreModels)}`);
}

/**
 * Validate a workload spec once, before anything is built or drawn: types, ranges and the
 * bounds that keep memory in check (durationS <= MAX_DURATION_S, sessions <= MAX_SESSIONS).
 * Errors name the field (`workload.durationS: ...`). The arrival process itself (rate, shape,
 * phases, ramp) is checked by validateArrivals when it is created, also before any draw.
 */
export function validateWorkload(spec: unknown): asserts spec is WorkloadSpec {
  if (!isObject(spec)) throw new Error(`workload: expected an object {durationS, rate, ...}, got ${describeValue(spec)}`);
  if (spec.arrivals !== undefined && !(ARRIVAL_KINDS as readonly unknown[]).includes(spec.arrivals))
    fail('arrivals', `unknown arrival kind ${JSON.stringify(spec.arrivals)}; expected one of ${ARRIVAL_KINDS.join(', ')}`);
  const d = spec.durationS;
  if (!(isNumber(d) && d > 0 && d <= MAX_DURATION_S))
    fail('durationS', `expected a finite, positive number of seconds, at most ${MAX_DURATION_S} (7 days), got ${describeValue(d)}`);
  const max = spec.maxRequests;
  if (max !== undefined && !(typeof max === 'number' && max >= 0)) fail('maxRequests', `expected >= 0, got ${describeValue(max)}`);
  if (spec.rate !== undefined && typeof spec.rate !== 'number') fail('rate', `expected arrivals per second, got ${describeValue(spec.rate)}`);
  if (spec.shape !== undefined && typeof spec.shape !== 'number') fail('shape', `expected a positive number, got ${describeValue(spec.shape)}`);
  if (spec.phases !== undefined && !Array.isArray(spec.phases))
    fail('phases', `expected a list of {startS, endS, multiplier}, got ${describeValue(spec.phases)}`);
  if (spec.ramp !== undefined && !isObject(spec.ramp)) fail('ramp', `expected {startS, endS, toMultiplier}, got ${describeValue(spec.ramp)}`);
  checkTrace(spec.trace);
  checkMix(spec.mix);
  validateConversations(spec.conversations);
  if (spec.conversations !== undefined && spec.arrivals === 'trace' && isObject(spec.trace) && spec.trace.prefixes === true)
    fail('conversations', 'a trace replaying its own prefixes (trace.prefixes) cannot also be given conversations');
  checkOutcomes(spec.outcomes);
  const stream = spec.stream;
  if (stream !== undefined && !(typeof stream === 'number' && stream >= 0 && stream <= 1))
    fail('stream', `expected a share in [0, 1], got ${describeValue(stream)}`);
  const n = spec.sessions;
  if (n !== undefined && !(Number.isInteger(n) && (n as number) > 0 && (n as number) <= MAX_SESSIONS))
    fail('sessions', `expected a positive integer, at most ${MAX_SESSIONS}, got ${describeValue(n)}`);
  const skew = spec.sessionSkew;
  if (skew !== undefined && !(isNumber(skew) && skew >= 0)) fail('sessionSkew', `expected a finite number >= 0, got ${describeValue(skew)}`);
}

/** Token count from two uniforms' worth of normal: round(median·e^{σZ}) clamped to [min ?? 1, max]. */
function tokens(spec: TokenSpec, z: number): number {
  if (typeof spec === 'number') return spec;
  const v = Math.round(spec.median * Math.exp((spec.sigma ?? 0.5) * z));
  return Math.min(spec.max ?? Infinity, Math.max(spec.min ?? 1, v));
}

/** Cumulative weights for an O(log n) weighted pick. */
function cumulative(weights: readonly number[]): Float64Array {
  const c = new Float64Array(weights.length);
  let s = 0;
  weights.forEach((w, i) => (c[i] = s += w));
  for (let i = 0; i < c.length; i++) c[i]! /= s;
  return c;
}

function pickIndex(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < cdf[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function compileClasses(mix: readonly ClassMix[], corpus: ReadonlyArray<{ text: string; label: string }>): CompiledClass[] {
  const byLabel = new Map<string, string[]>();
  for (const p of corpus) {
    let list = byLabel.get(p.label);
    if (!list) byLabel.set(p.label, (list = []));
    list.push(p.text);
  }
  return mix.map((m) => {
    // Classes the corpus does not know (e.g. "chat") read general prompts.
    const texts = byLabel.get(m.class) ?? byLabel.get('general') ?? [`A ${m.class} request.`];
    return { name: m.class, texts, input: m.inputTokens, output: m.outputTokens };
  });
}

/** Zipf CDF over ranks 1..n: P(r) ∝ r^(−s). */
function zipfCdf(n: number, s: number): Float64Array {
  const w = new Array<number>(n);
  for (let r = 1; r <= n; r++) w[r - 1] = Math.pow(r, -s);
  return cumulative(w);
}

/** Arrival times in ms: from the arrival process, or from a trace (tokens included). */
interface ArrivalSource {
  next(): number | undefined;
  /** Token counts of the trace row just returned (trace only). */
  traceRow: number;
  trace: Trace | undefined;
  /** Replay the trace rows' prefix blocks. */
  prefixes: boolean;
}

function traceSource(spec: WorkloadSpec): ArrivalSource {
  const ref = spec.trace;
  if (!ref) fail('trace', 'arrivals "trace" needs a trace (file and format)');
  // speed and offsetS were checked by validateWorkload.
  const trace: Trace = 'arrivalMs' in ref ? ref : loadTrace(ref.file, ref.format);
  const speed = ref.speed ?? 1;
  const offsetMs = (ref.offsetS ?? 0) * 1000;
  const prefixes = ref.prefixes === true;
  if (prefixes && trace.prefixIds === undefined)
    fail('trace.prefixes', `${trace.file}: a ${trace.format} trace has no prefix blocks (hash_ids); only mooncake traces do`);
  if (prefixes && trace.missingPrefixLine !== undefined)
    fail('trace.prefixes', `${trace.file}:${trace.missingPrefixLine}: hash_ids: missing (prefix replay needs them on every row)`);
  let row = 0;
  while (row < trace.count && trace.arrivalMs[row]! < offsetMs) row++;
  const src: ArrivalSource = {
    trace,
    traceRow: -1,
    prefixes,
    next() {
      if (row >= trace.count) return undefined;
      src.traceRow = row;
      return (trace.arrivalMs[row++]! - offsetMs) / speed;
    },
  };
  return src;
}

function processSource(spec: WorkloadSpec, random: Random): ArrivalSource {
  const kind = spec.arrivals ?? 'poisson';
  if (kind === 'spike' && !(spec.phases && spec.phases.length > 0))
    fail('phases', 'spike arrivals need at least one phase {startS, endS, multiplier}');
  if (kind === 'ramp' && !spec.ramp) fail('ramp', 'ramp arrivals need ramp {startS, endS, toMultiplier}');
  const process = kind === 'constant' ? 'constant' : kind === 'gamma' ? 'gamma' : 'poisson';
  if (spec.rate === undefined) fail('rate', `arrivals "${kind}" need a rate (arrivals per second)`);
  const arrivals = createArrivals(
    { process, rate: spec.rate, shape: spec.shape, phases: spec.phases ?? [], ramp: spec.ramp },
    random,
  );
  return { trace: undefined, traceRow: -1, prefixes: false, next: () => arrivals.next() };
}

/** Create a lazy workload. Same spec + seed → the same requests, always. */
export function createWorkload(spec: WorkloadSpec, seed: string | number, opts: WorkloadOptions = {}): Workload {
  validateWorkload(spec);
  const streamShare = spec.stream ?? 0;
  const nSessions = spec.sessions ?? 1000;
  const skew = spec.sessionSkew ?? 1;
  const mix = spec.mix && spec.mix.length > 0 ? spec.mix : DEFAULT_MIX;

  const classes = compileClasses(mix, opts.corpus ?? loadPromptCorpus());
  const classCdf = cumulative(mix.map((m) => m.weight ?? 1));
  const sessionCdf = zipfCdf(nSessions, skew);
  const sessionKeys = Array.from({ length: nSessions }, (_, i) => `session-${i + 1}`);
  const arrivalsRandom = deriveRandom(seed, 'arrivals');
  const mixRandom = deriveRandom(seed, 'workload');
  const source = spec.arrivals === 'trace' ? traceSource(spec) : processSource(spec, arrivalsRandom);
  const replay = spec.outcomes ? compileReplay(spec.outcomes, 'workload.outcomes') : undefined;
  const endMs = spec.durationS * 1000;
  const limit = spec.maxRequests ?? Infinity;
  const conversations = spec.conversations !== undefined ? new Conversations(spec.conversations) : undefined;
  let id = 0;
  let done = false;

  const next = (): SimRequest | undefined => {
    if (done || id >= limit) return undefined;
    const t = source.next();
    if (t === undefined || t >= endMs) {
      done = true;
      return undefined;
    }
    const r = mixRandom;
    const cls = classes[pickIndex(classCdf, r.next())]!;
    const zIn = normal(r);
    const zOut = normal(r);
    const uPrompt = r.next();
    const uStream = r.next();
    const uSession = r.next();
    const uSpare = r.next(); // spare: keeps 8 draws per request; a conversation's length when conversations are on
    const tr = source.trace;
    const row = source.traceRow;
    const slot = pickIndex(sessionCdf, uSession);
    const base: SimRequest = {
      id: id++,
      arrivalMs: t,
      promptClass: cls.name,
      prompt: cls.texts[Math.floor(uPrompt * cls.texts.length)]!,
      inputTokens: tr ? tr.inputTokens[row]! : tokens(cls.input, zIn),
      outputTokens: tr ? tr.outputTokens[row]! : tokens(cls.output, zOut),
      stream: uStream < streamShare,
      sessionKey: sessionKeys[slot]!,
    };
    let req: SimRequest = base;
    if (source.prefixes) req = { ...base, prefix: tr!.prefixIds!.subarray(tr!.prefixStart![row]!, tr!.prefixStart![row + 1]!) };
    else if (conversations !== undefined) {
      const turn = conversations.turn(slot, base.inputTokens, base.outputTokens, uSpare);
      req = { ...base, inputTokens: turn.inputTokens, prefix: turn.prefix };
    }
    if (!replay) return req;
    // Outcome replay: the same uniform picks a record instead of a corpus prompt.
    const k = Math.floor(uPrompt * replay.count);
    return { ...req, prompt: replay.prompts[k]!, inputTokens: tr || conversations ? req.inputTokens : replay.inputTokens[k]!, outcomes: replay.outcomes[k]! };
  };
  return {
    next,
    *[Symbol.iterator]() {
      for (let q = next(); q !== undefined; q = next()) yield q;
    },
  };
}
