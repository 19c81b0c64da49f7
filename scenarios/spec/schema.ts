import { z } from 'zod';
import { PROMPT_CLASS_PATTERN, routerConfigSchema, strategyRefSchema } from '../../router/core/config.js';
import { phaseSchema as profilePhaseSchema } from '../../simulator/profile.js';
import { MAX_DURATION_S } from '../../simulator/types.js';
import { HEADLINE_KEYS } from './headline.js';
import { checkStoreSuffixes, replicasSchema } from './replicas.js';

/**
 * The scenario file format (YAML), the single source of truth for scenarios/*.yaml.
 * A scenario names the providers (simulator profiles plus per-scenario overrides),
 * a timeline of fault phases, the load, the strategies to compare, the seed and the
 * SLOs. Both modes read the same file: sim (virtual time) and http (real sockets,
 * time compressed by `http.speed`). All times are scenario seconds.
 */

const seconds = z.number().finite().nonnegative();
const positive = z.number().finite().positive();
const share = z.number().min(0).max(1);
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" or "-"');

/** Router-side attributes of a provider's endpoint (price and quality come from the profile). */
export const endpointAttrsSchema = z.strictObject({
  weight: positive.optional(),
  tier: z.number().int().min(0).optional(),
  /** Prompt classes this endpoint is fit for (classifier strategy); default: classes with quality >= 0.8. */
  classes: z.array(z.string().min(1)).optional(),
  priority: z.number().int().optional(),
  region: z.string().optional(),
  tags: z.array(z.string()).optional(),
  /** The model group this endpoint serves, when not the scenario's `model` (a fallback group). */
  model: z.string().min(1).optional(),
  /** Router-side RPM/TPM limits, when not the profile's (e.g. protecting a self-hosted model the provider does not limit). */
  limits: z.strictObject({ rpm: z.number().int().positive().optional(), tpm: z.number().int().positive().optional() }).optional(),
});

export const providerRefSchema = z.strictObject({
  /** A profile name in simulator/profiles/ (without .yaml) or a path relative to the scenario file. */
  profile: z.string().min(1),
  /** Unique id of this provider in the scenario; defaults to the profile name. */
  id: id.optional(),
  /** Deep-merged into the profile (e.g. a price, capacity or failure rate for this scenario only). */
  overrides: z.record(z.string(), z.unknown()).optional(),
  /** Router-side endpoint attributes. */
  endpoint: endpointAttrsSchema.optional(),
});

/**
 * One fault phase on one provider: the simulator's profile phase (simulator/profile.ts:
 * outage, brownout, error_burst, price_change, limit_drop, recovery; `at`/`until` in
 * scenario seconds) plus `provider`, the id of the provider it applies to. load.ts
 * appends each phase to that provider's profile timeline.
 */
export const phaseSchema = z.looseObject({ provider: id }).transform((v, ctx) => {
  const { provider, ...rest } = v;
  const r = profilePhaseSchema.safeParse(rest);
  if (!r.success) {
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return { provider, ...r.data };
});

/** A token count: a fixed number, or a lognormal with this median and sigma (clamped to [min, max]). */
export const tokensSchema = z.union([
  z.number().int().positive(),
  z.strictObject({
    median: positive,
    sigma: z.number().min(0).max(3).default(0.5),
    min: z.number().int().positive().optional(),
    max: z.number().int().positive().optional(),
  }),
]);

export const promptClassSchema = z.strictObject({
  /** Prompt class label (e.g. chat, coding, math, reasoning). */
  class: z.string().min(1),
  weight: positive.default(1),
  inputTokens: tokensSchema,
  outputTokens: tokensSchema,
});

/** A change of the arrival rate for a while (flash crowd, ramp). */
export const loadPhaseSchema = z.strictObject({
  startS: seconds,
  endS: seconds,
  /** Rate multiplier during the phase. */
  multiplier: positive,
});

const traceFileSchema = z.strictObject({
  /** Path relative to the repository root (data/traces/...), or to the scenario file when it starts with ./ or ../. */
  file: z.string().min(1),
  /** azure (CSV), mooncake (JSONL) or router-log (the proxy's access log); default: from the extension and content. */
  format: z.enum(['azure', 'mooncake', 'router-log']).optional(),
  /** Time compression: trace seconds per scenario second. */
  speed: positive.default(1),
  /** Start this many trace seconds into the trace. */
  offsetS: seconds.default(0),
  /** Replay the rows' prefix blocks (mooncake `hash_ids`) for prompt caching; every row must have them. */
  prefixes: z.boolean().optional(),
});

/** Multi-turn conversations with shared system prompts (simulator/conversations.ts); requests then carry prefixes. */
export const conversationsSchema = z.strictObject({
  /** Mean turns per conversation; turn k re-sends turns 1..k-1. */
  meanTurns: z.number().finite().min(1).default(6),
  /** Distinct system prompts shared across conversations. */
  systemPrompts: z.number().int().min(1).max(100_000).default(4),
  systemTokens: z.number().int().nonnegative().default(2048),
  /** Tokens per prefix block (match the providers' cache blockTokens). */
  blockTokens: z.number().int().positive().default(512),
  maxContextTokens: z.number().int().positive().default(100_000),
});

/** Outcome replay (simulator/outcome-replay.ts): real prompts with each provider's judged outcome. */
export const outcomesSchema = z.strictObject({
  /** Outcome CSV relative to the repository root (data/routing_eval/...). */
  file: z.string().min(1),
  /** Provider id → model name in the file (its `<model>_correct` or `<model>_score` column). */
  models: z.record(id, z.string().min(1)),
  /** Which records: the held-out subjects of the seeded split (default), the training ones, or all. */
  subjects: z.enum(['all', 'train', 'held-out']).default('held-out'),
  /** Models of the file that no provider stands for, left out on purpose. */
  ignoreModels: z.array(z.string()).default([]),
});

/** `trace: ./recorded.jsonl` is short for `trace: { file: ./recorded.jsonl }` (a recorded workload: npm run calibrate). */
export const traceSchema = z.union([z.string().min(1).transform((file) => traceFileSchema.parse({ file })), traceFileSchema]);

const loadFields = z.strictObject({
  arrivals: z.enum(['constant', 'poisson', 'gamma', 'spike', 'ramp', 'trace']).default('poisson'),
  /** Mean arrivals per scenario second (trace: ignored). */
  rate: positive.optional(),
  /** Gamma shape k (< 1 = burstier than Poisson). */
  shape: positive.optional(),
  phases: z.array(loadPhaseSchema).default([]),
  /** A linear ramp of the rate multiplier from 1 at startS to toMultiplier at endS (held after). */
  ramp: z.strictObject({ startS: seconds, endS: seconds, toMultiplier: positive }).optional(),
  trace: traceSchema.optional(),
  /** Scenario length in seconds (CLI --duration overrides); at most 7 days (the simulator's bound). */
  durationS: positive.max(MAX_DURATION_S, `at most ${MAX_DURATION_S} s (7 days)`),
  /** Prompt classes and their token lengths. */
  mix: z.array(promptClassSchema).min(1, 'at least one prompt class'),
  /** Share of requests sent with stream: true. */
  stream: share.default(0),
  /**
   * The clients declare each request's prompt class (RouteRequest.promptClass in sim; the
   * x-prompt-class header over http), as an application that knows its task does: strategies
   * that read classes (adaptive, classifier, score) use it instead of guessing from the text.
   * Needs every provider's endpoint.classes declared (not derived from profile quality).
   */
  declareClass: z.boolean().optional(),
  /**
   * What each request declares as max_tokens (simulator/types.ts declaredMaxTokens): `exact`
   * its answer's length (default), `pow2` that rounded up to a power of two, `none` nothing.
   * The answers are the same in every mode; what changes is how much the router can know
   * ahead about a request's length (and what rate limits reserve for it).
   */
  maxTokens: z.enum(['exact', 'pow2', 'none']).default('exact'),
  /** Distinct session keys (sticky routing). */
  sessions: z.number().int().positive().default(1000),
  /** Multi-turn conversations: each session key is a conversation slot. */
  conversations: conversationsSchema.optional(),
  /** Replay real prompts and outcomes (sim mode): quality comes from the records, not the profiles. */
  outcomes: outcomesSchema.optional(),
  /**
   * Repeated questions (simulator/workload.ts FaqSpec): a share of the requests asks one of
   * `questions` fixed questions (Zipf popularity, exponent skew), non-streaming at temperature 0.
   */
  faq: z.strictObject({ share, questions: z.number().int().positive().max(100_000), skew: z.number().finite().min(0).default(1) }).optional(),
});

/** A load with a trace and no `arrivals` replays the trace. */
export const loadSchema = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && 'trace' in v && !('arrivals' in v) ? { ...v, arrivals: 'trace' } : v),
  loadFields,
);

export const sloSchema = z.strictObject({
  p99Ms: positive.optional(),
  errorRate: share.optional(),
  /** Budget: USD per 1k successful requests. */
  costPer1kOk: positive.optional(),
  /** Minimum share of acceptable answers (prompt-class quality or outcome replay); a constraint for npm run tune. */
  quality: share.optional(),
});

/** Router settings for the scenario (everything of a router config except endpoints and strategy). */
export const scenarioRouterSchema = routerConfigSchema.omit({ endpoints: true, strategy: true }).partial();

export const httpSchema = z.strictObject({
  /** Time compression of providers and load (scenario seconds per wall second). */
  speed: positive.default(4),
  /** Wall seconds of warm-up traffic before the measured run (not in the results). */
  warmupS: seconds.default(1),
  /** Load driver: autocannon (closed loop, connections by Little's law) or an open-loop generator. */
  driver: z.enum(['autocannon', 'open-loop']).default('autocannon'),
  /** Override the Little's-law connection count. */
  connections: z.number().int().positive().optional(),
});

/**
 * What the scenario is for: the metrics that answer its question (the verdict ranks the
 * strategies on each, stats/verdict.ts) and the strategy expected to win on the first.
 */
export const headlineSchema = z.strictObject({
  metrics: z.array(z.enum(HEADLINE_KEYS)).min(1, 'at least one headline metric'),
  /** Expected to rank first on metrics[0] and beat at least one strategy significantly (a test checks it). */
  expectedWinner: z.string().min(1),
});

/** A capacity sweep over the offered load (mean arrivals per second), run by default in sim mode (seeds/sweep.ts). */
export const capacitySchema = z
  .strictObject({ from: positive, to: positive, steps: z.number().int().min(2).max(50).default(8) })
  .refine((c) => c.to > c.from, { message: 'empty or inverted range: to must be greater than from', path: ['to'] });

export const scenarioSchema = z.strictObject({
  name: id,
  description: z.string().default(''),
  /** The question the comparison answers, in a sentence (printed above the verdict). */
  question: z.string({ error: (i) => (i.input === undefined ? 'required: the question the comparison answers, in a sentence' : undefined) }).min(1, 'say what the comparison answers'),
  headline: headlineSchema.optional().superRefine((h, ctx) => {
    if (h === undefined) ctx.addIssue({ code: 'custom', message: `required: { metrics: [one or more of ${HEADLINE_KEYS.join(', ')}], expectedWinner: <a listed strategy> }` });
  }).transform((h) => h!),
  seed: z.number().int().nonnegative().default(1),
  /** The model group clients ask for; every provider serves it. */
  model: z.string().min(1).default('chat'),
  providers: z.array(providerRefSchema).min(1, 'at least one provider'),
  timeline: z.array(phaseSchema).default([]),
  load: loadSchema,
  strategies: z.array(strategyRefSchema).min(1, 'at least one strategy'),
  router: scenarioRouterSchema.default({}),
  slo: sloSchema.default({}),
  http: httpSchema.default(httpSchema.parse({})),
  capacity: capacitySchema.optional(),
  /** N router replicas per strategy; `<strategy>@local|@shared` picks their state (scenarios/spec/replicas.ts). */
  replicas: replicasSchema.optional(),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type ProviderRef = z.output<typeof providerRefSchema>;
export type Phase = z.output<typeof phaseSchema>;
export type LoadSpec = z.output<typeof loadSchema>;
export type PromptClassSpec = z.output<typeof promptClassSchema>;
export type Tokens = z.output<typeof tokensSchema>;
export type Slo = z.output<typeof sloSchema>;
export type HttpSpec = z.output<typeof httpSchema>;
export type OutcomesSpec = z.output<typeof outcomesSchema>;
export type Headline = z.output<typeof headlineSchema>;
export type StrategyRef = z.output<typeof strategyRefSchema>;

/** The provider id of a reference (its `id`, else its profile name without directories or extension). */
export function providerId(p: Pick<ProviderRef, 'id' | 'profile'>): string {
  return p.id ?? p.profile.replace(/^.*\//, '').replace(/\.(ya?ml|json)$/, '');
}

/** The router's total deadline in the scenario (ms): the router default unless `router.timeouts.totalMs` sets it. */
export function deadlineMs(s: Scenario): number {
  return s.router.timeouts?.totalMs ?? routerConfigSchema.shape.timeouts.parse(undefined).totalMs;
}

/** The name of a strategy reference. */
export function strategyName(ref: StrategyRef): string {
  return typeof ref === 'string' ? ref : ref.name;
}

/**
 * Checks zod cannot express per field: unique provider ids, phases naming known
 * providers, phases and load phases ending after they start, a rate or a trace.
 * Returns "field: message" lines (empty = fine).
 */
export function crossCheck(s: Scenario): string[] {
  const problems: string[] = [];
  const ids = new Map<string, number>();
  s.providers.forEach((p, i) => {
    const pid = providerId(p);
    const prev = ids.get(pid);
    if (prev !== undefined) problems.push(`providers[${i}].id: duplicate provider id "${pid}" (also providers[${prev}]); set a unique id`);
    ids.set(pid, i);
  });
  s.timeline.forEach((ph, i) => {
    if (!ids.has(ph.provider))
      problems.push(`timeline[${i}].provider: unknown provider "${ph.provider}"; known: ${[...ids.keys()].join(', ')}`);
    if ('until' in ph && ph.until !== undefined && ph.until <= ph.at) problems.push(`timeline[${i}].until: must be > at (${ph.at})`);
  });
  s.load.phases.forEach((ph, i) => {
    if (ph.endS <= ph.startS) problems.push(`load.phases[${i}].endS: must be > startS (${ph.startS})`);
  });
  if (s.load.arrivals === 'trace' && !s.load.trace) problems.push('load.trace: arrivals "trace" needs a trace file');
  if (s.load.arrivals !== 'trace' && s.load.rate === undefined) problems.push(`load.rate: arrivals "${s.load.arrivals}" need a rate`);
  if (s.load.declareClass)
    s.providers.forEach((p, i) => {
      if (p.endpoint?.classes === undefined)
        problems.push(`providers[${i}].endpoint.classes: load.declareClass needs every endpoint to declare its classes (not derived from profile quality)`);
    });
  // Over http a declared class travels in the x-prompt-class header, which takes only this form.
  if (s.load.declareClass)
    s.load.mix.forEach((m, i) => {
      if (!PROMPT_CLASS_PATTERN.test(m.class))
        problems.push(`load.mix[${i}].class: "${m.class}" cannot be declared (load.declareClass) in the x-prompt-class header: 1-64 letters, digits, '_', '.' or '-'`);
    });
  if (s.load.arrivals === 'gamma' && s.load.shape === undefined) problems.push('load.shape: gamma arrivals need a shape');
  const o = s.load.outcomes;
  if (o) {
    for (const pid of ids.keys()) if (!(pid in o.models)) problems.push(`load.outcomes.models: provider "${pid}" stands for no model of ${o.file}`);
    for (const pid of Object.keys(o.models))
      if (!ids.has(pid)) problems.push(`load.outcomes.models.${pid}: unknown provider "${pid}"; known: ${[...ids.keys()].join(', ')}`);
  }
  const names = new Set<string>();
  s.strategies.forEach((r, i) => {
    const n = strategyName(r);
    if (names.has(n)) problems.push(`strategies[${i}]: "${n}" is listed twice`);
    names.add(n);
  });
  problems.push(...checkStoreSuffixes([...names], s.replicas));
  if (!names.has(s.headline.expectedWinner))
    problems.push(`headline.expectedWinner: "${s.headline.expectedWinner}" is not in strategies (${[...names].join(', ')})`);
  const metrics = new Set<string>();
  s.headline.metrics.forEach((m, i) => {
    if (metrics.has(m)) problems.push(`headline.metrics[${i}]: "${m}" is listed twice`);
    metrics.add(m);
  });
  return problems;
}
