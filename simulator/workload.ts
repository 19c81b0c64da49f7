import { loadPromptCorpus } from '../router/classifier/corpus.js';
import { deriveRandom, type Random } from '../router/core/random.js';
import { z } from 'zod';
import { createArrivals, normal, type RatePhase, type RateRamp } from './arrivals.js';
import { checkInput, describeValue, expected, isObject, oneOf } from './input-check.js';
import { compileReplay, OUTCOME_SUBJECTS, type OutcomeReplaySpec } from './outcome-replay.js';
import { loadTrace, type Trace, type TraceFormat } from './trace.js';
import { Conversations, conversationSpecSchema, type ConversationSpec } from './conversations.js';
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
 * The load. Compatible with the scenario file's `load` section (scenarios/spec/schema.ts),
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
  /** Repeated questions (a response cache's workload): see FaqSpec. */
  faq?: FaqSpec;
}

/**
 * Repeated questions: a `share` of the requests asks one of `questions` fixed questions,
 * picked by Zipf popularity (P(rank r) ∝ 1/r^skew, default 1). A question has one prompt
 * text, one class and one pair of token counts (drawn once per question from the stream
 * 'faq-questions'), and is asked non-streaming at temperature 0 (SimRequest.faq). The
 * per-request picks come from their own stream 'faq' (2 uniforms per request), so the
 * other requests see exactly the draws they see without `faq`.
 */
export interface FaqSpec {
  share: number;
  questions: number;
  skew?: number;
}

/** Most distinct questions of a faq workload (their table is built up front). */
export const MAX_FAQ_QUESTIONS = 100_000;

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

/** A token count, or a lognormal {median, sigma?, min?, max?}. */
const tokenDistSchema = z
  .looseObject({
    median: z.number(expected('a positive number')).positive(expected('a positive number')),
    sigma: z.number(expected('a log-sd >= 0')).min(0, expected('a log-sd >= 0')).optional(),
    min: z.number(expected('a non-negative number')).min(0, expected('a non-negative number')).optional(),
    max: z.number(expected('a non-negative number')).min(0, expected('a non-negative number')).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.min !== undefined && t.max !== undefined && t.max < t.min) ctx.addIssue({ code: 'custom', path: ['max'], message: `expected >= min (${t.min}), got ${t.max}` });
  });
const tokenCount = z.number().int(expected('a non-negative integer')).min(0, expected('a non-negative integer'));
const tokensSchema = oneOf((v) =>
  typeof v === 'number' ? tokenCount : isObject(v) ? tokenDistSchema : `expected a token count or {median, sigma?, min?, max?}, got ${describeValue(v)}`,
);

const classMixSchema = z.looseObject(
  {
    class: z.string(expected('a class name')).min(1, expected('a class name')),
    weight: z.number(expected('a positive number')).positive(expected('a positive number')).optional(),
    inputTokens: tokensSchema,
    outputTokens: tokensSchema,
  },
  expected('{class, weight?, inputTokens, outputTokens}'),
);

/** What a trace reference and a parsed trace share: how it is replayed. */
const replayFields = {
  speed: z.number(expected('a positive number')).positive(expected('a positive number')).optional(),
  offsetS: z.number(expected('a number of seconds >= 0')).min(0, expected('a number of seconds >= 0')).optional(),
  prefixes: z.boolean(expected('true or false')).optional(),
};
const TRACE_FORMATS = ['azure', 'mooncake', 'router-log'] as const;
const traceRefSchema = z.looseObject({
  file: z.string(expected('a trace file path')).min(1, expected('a trace file path')),
  format: z
    .enum(TRACE_FORMATS, {
      error: (iss) =>
        `unknown trace format ${JSON.stringify(iss.input)}; expected azure or mooncake (CSV, JSONL trace), or router-log (the proxy's access log)`,
    })
    .optional(),
  ...replayFields,
});
/** An already parsed trace (trace.ts): typed arrays at least `count` long. */
const parsedTraceSchema = z
  .looseObject({ count: z.number().int(expected('a row count')).min(0, expected('a row count')), ...replayFields })
  .superRefine((t, ctx) => {
    const n = t.count;
    if (!(t.arrivalMs instanceof Float64Array) || t.arrivalMs.length < n)
      ctx.addIssue({ code: 'custom', path: ['arrivalMs'], message: `expected a Float64Array of ${n} arrival times (a parsed trace, see trace.ts)` });
    for (const k of ['inputTokens', 'outputTokens'] as const) {
      const a = t[k];
      if (!(a instanceof Int32Array) || a.length < n)
        ctx.addIssue({ code: 'custom', path: [k], message: `expected an Int32Array of ${n} token counts (a parsed trace, see trace.ts)` });
    }
  });
const traceSchema = oneOf((v) =>
  !isObject(v)
    ? `expected {file, format?, speed?, offsetS?} (or a parsed trace), got ${describeValue(v)}`
    : 'arrivalMs' in v
      ? parsedTraceSchema
      : traceRefSchema,
);

const outcomesSchema = z.looseObject(
  {
    file: z.string(expected('an outcome file path')).min(1, expected('an outcome file path')),
    models: z
      .record(z.string(), z.string(expected('a model name')).min(1, expected('a model name')), expected('provider id -> model name'))
      .refine((m) => Object.keys(m).length > 0, expected('provider id -> model name')),
    subjects: z.enum(OUTCOME_SUBJECTS, expected(`one of ${OUTCOME_SUBJECTS.join(', ')}`)).optional(),
    ignoreModels: z.array(z.string(expected('a model name')), expected('a list of model names')).optional(),
  },
  expected('{file, models, subjects?, ignoreModels?}'),
);

const durationS = expected(`a finite, positive number of seconds, at most ${MAX_DURATION_S} (7 days)`);
const sessions = expected(`a positive integer, at most ${MAX_SESSIONS}`);

/**
 * The workload spec's schema: types, ranges and the bounds that keep memory in check
 * (durationS <= MAX_DURATION_S, sessions <= MAX_SESSIONS). The arrival process itself
 * (rate > 0, a gamma shape, each phase and the ramp) is checked by arrivals.ts when it is
 * created, also before any draw.
 */
export const workloadSchema = z
  .looseObject(
    {
      arrivals: z
        .enum(ARRIVAL_KINDS, { error: (iss) => `unknown arrival kind ${JSON.stringify(iss.input)}; expected one of ${ARRIVAL_KINDS.join(', ')}` })
        .optional(),
      durationS: z.number(durationS).positive(durationS).max(MAX_DURATION_S, durationS),
      maxRequests: z.number(expected('a number of requests >= 0')).min(0, expected('a number of requests >= 0')).optional(),
      rate: z.number(expected('a positive number of arrivals per second')).positive(expected('a positive number of arrivals per second')).optional(),
      shape: z.number(expected('a positive number')).positive(expected('a positive number')).optional(),
      phases: z.array(z.unknown(), expected('a list of {startS, endS, multiplier}')).optional(),
      ramp: z.looseObject({}, expected('{startS, endS, toMultiplier}')).optional(),
      trace: traceSchema.optional(),
      mix: z.array(classMixSchema, expected('a list of {class, weight?, inputTokens, outputTokens}')).optional(),
      conversations: conversationSpecSchema.optional(),
      outcomes: outcomesSchema.optional(),
      stream: z.number(expected('a share in [0, 1]')).min(0, expected('a share in [0, 1]')).max(1, expected('a share in [0, 1]')).optional(),
      sessions: z.number(sessions).int(sessions).positive(sessions).max(MAX_SESSIONS, sessions).optional(),
      sessionSkew: z.number(expected('a finite number >= 0')).min(0, expected('a finite number >= 0')).optional(),
      faq: z
        .looseObject(
          {
            share: z.number(expected('a share in [0, 1]')).min(0, expected('a share in [0, 1]')).max(1, expected('a share in [0, 1]')),
            questions: z
              .number(expected(`a positive integer, at most ${MAX_FAQ_QUESTIONS}`))
              .int(expected(`a positive integer, at most ${MAX_FAQ_QUESTIONS}`))
              .positive(expected(`a positive integer, at most ${MAX_FAQ_QUESTIONS}`))
              .max(MAX_FAQ_QUESTIONS, expected(`a positive integer, at most ${MAX_FAQ_QUESTIONS}`)),
            skew: z.number(expected('a finite number >= 0')).min(0, expected('a finite number >= 0')).optional(),
          },
          expected('{share, questions, skew?}'),
        )
        .optional(),
    },
    expected('an object {durationS, rate, ...}'),
  )
  .superRefine((w, ctx) => {
    if (w.conversations !== undefined && w.arrivals === 'trace' && isObject(w.trace) && w.trace.prefixes === true)
      ctx.addIssue({ code: 'custom', path: ['conversations'], message: 'a trace replaying its own prefixes (trace.prefixes) cannot also be given conversations' });
  });

/**
 * Validate a workload spec once, before anything is built or drawn (workloadSchema).
 * Errors name the field (`workload.durationS: ...`).
 */
export function validateWorkload(spec: unknown): asserts spec is WorkloadSpec {
  checkInput(workloadSchema, spec, 'workload');
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

interface FaqTable {
  share: number;
  cdf: Float64Array;
  questions: ReadonlyArray<{ promptClass: string; prompt: string; inputTokens: number; outputTokens: number }>;
}

/** The faq's fixed questions (class, prompt, tokens), drawn once from the stream 'faq-questions'. */
function faqQuestions(spec: FaqSpec, classes: readonly CompiledClass[], classCdf: Float64Array, seed: string | number): FaqTable {
  const r = deriveRandom(seed, 'faq-questions');
  const questions = Array.from({ length: spec.questions }, (_, k) => {
    const cls = classes[pickIndex(classCdf, r.next())]!;
    const zIn = normal(r);
    const zOut = normal(r);
    // The question number makes the text unique, so two questions never share a cache key.
    const prompt = `Question ${k + 1}: ${cls.texts[Math.floor(r.next() * cls.texts.length)]!}`;
    return { promptClass: cls.name, prompt, inputTokens: tokens(cls.input, zIn), outputTokens: tokens(cls.output, zOut) };
  });
  return { share: spec.share, cdf: zipfCdf(spec.questions, spec.skew ?? 1), questions };
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
  const mix = spec.mix && spec.mix.length > 0 ? spec.mix : DEFAULT_MIX;
  const classes = compileClasses(mix, opts.corpus ?? loadPromptCorpus());
  const classCdf = cumulative(mix.map((m) => m.weight ?? 1));
  const nSessions = spec.sessions ?? 1000;
  const sessionCdf = zipfCdf(nSessions, spec.sessionSkew ?? 1);
  const sessionKeys = Array.from({ length: nSessions }, (_, i) => `session-${i + 1}`);
  const arrivalsRandom = deriveRandom(seed, 'arrivals');
  const mixRandom = deriveRandom(seed, 'workload');
  const source = spec.arrivals === 'trace' ? traceSource(spec) : processSource(spec, arrivalsRandom);
  const replay = spec.outcomes ? compileReplay(spec.outcomes, 'workload.outcomes') : undefined;
  const conversations = spec.conversations !== undefined ? new Conversations(spec.conversations) : undefined;
  const faq = spec.faq !== undefined && spec.faq.share > 0 ? faqQuestions(spec.faq, classes, classCdf, seed) : undefined;
  const faqRandom = faq ? deriveRandom(seed, 'faq') : undefined;
  return new LazyWorkload(spec, classes, classCdf, sessionCdf, sessionKeys, mixRandom, source, replay, conversations, faq, faqRandom);
}

/**
 * A workload's requests, made one at a time (createWorkload). A class, not a closure made per
 * workload: the simulator calls next() for every arrival, and a new closure per run was a new
 * call target to V8 at each run, so its optimised caller was thrown away in the next run.
 */
class LazyWorkload implements Workload {
  private id = 0;
  private done = false;
  private readonly streamShare: number;
  private readonly endMs: number;
  private readonly limit: number;

  constructor(
    spec: WorkloadSpec,
    private readonly classes: readonly CompiledClass[],
    private readonly classCdf: Float64Array,
    private readonly sessionCdf: Float64Array,
    private readonly sessionKeys: readonly string[],
    private readonly mixRandom: Random,
    private readonly source: ArrivalSource,
    private readonly replay: ReturnType<typeof compileReplay> | undefined,
    private readonly conversations: Conversations | undefined,
    private readonly faq: FaqTable | undefined,
    private readonly faqRandom: Random | undefined,
  ) {
    this.streamShare = spec.stream ?? 0;
    this.endMs = spec.durationS * 1000;
    this.limit = spec.maxRequests ?? Infinity;
  }

  next(): SimRequest | undefined {
    if (this.done || this.id >= this.limit) return undefined;
    const source = this.source;
    const t = source.next();
    if (t === undefined || t >= this.endMs) {
      this.done = true;
      return undefined;
    }
    const r = this.mixRandom;
    const cls = this.classes[pickIndex(this.classCdf, r.next())]!;
    const zIn = normal(r);
    const zOut = normal(r);
    const uPrompt = r.next();
    const uStream = r.next();
    const uSession = r.next();
    const uSpare = r.next(); // spare: keeps 8 draws per request; a conversation's length when conversations are on
    const tr = source.trace;
    const row = source.traceRow;
    const slot = pickIndex(this.sessionCdf, uSession);
    const base: SimRequest = {
      id: this.id++,
      arrivalMs: t,
      promptClass: cls.name,
      prompt: cls.texts[Math.floor(uPrompt * cls.texts.length)]!,
      inputTokens: tr ? tr.inputTokens[row]! : tokens(cls.input, zIn),
      outputTokens: tr ? tr.outputTokens[row]! : tokens(cls.output, zOut),
      stream: uStream < this.streamShare,
      sessionKey: this.sessionKeys[slot]!,
    };
    let req: SimRequest = base;
    const conversations = this.conversations;
    if (source.prefixes) req = { ...base, prefix: tr!.prefixIds!.subarray(tr!.prefixStart![row]!, tr!.prefixStart![row + 1]!) };
    else if (conversations !== undefined) {
      const turn = conversations.turn(slot, base.inputTokens, base.outputTokens, uSpare);
      req = { ...base, inputTokens: turn.inputTokens, prefix: turn.prefix };
    }
    const faq = this.faq;
    if (faq) {
      const uAsk = this.faqRandom!.next();
      const uWhich = this.faqRandom!.next();
      if (uAsk < faq.share) {
        const k = pickIndex(faq.cdf, uWhich);
        const q = faq.questions[k]!;
        return { ...base, promptClass: q.promptClass, prompt: q.prompt, inputTokens: q.inputTokens, outputTokens: q.outputTokens, stream: false, faq: k };
      }
    }
    const replay = this.replay;
    if (!replay) return req;
    // Outcome replay: the same uniform picks a record instead of a corpus prompt.
    const k = Math.floor(uPrompt * replay.count);
    return { ...req, prompt: replay.prompts[k]!, inputTokens: tr || conversations ? req.inputTokens : replay.inputTokens[k]!, outcomes: replay.outcomes[k]! };
  }

  *[Symbol.iterator](): Iterator<SimRequest> {
    for (let q = this.next(); q !== undefined; q = this.next()) yield q;
  }
}
