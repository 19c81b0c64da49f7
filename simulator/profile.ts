import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDocument } from 'yaml';
import { FAILURE_KINDS, OUTAGE_MODE_NAMES, type FailureKind } from './fault-kinds.js';

/**
 * A provider profile: how one mock provider/model behaves, as data (YAML or JSON).
 * One profile drives three adapters: the pure model (virtual time), the real HTTP
 * server and the msw handlers. Validated with zod; every error names the file and
 * the field path, e.g. `simulator/profiles/x.yaml: failures.kinds.http_500: expected number`.
 *
 * Units: latencies in ms, rates per second, prices in USD per 1M tokens, timeline
 * `at`/`until` in seconds of scenario time.
 */

const prob = z.number().min(0).max(1);
const nonNeg = z.number().finite().nonnegative();
const pos = z.number().finite().positive();
const posInt = z.number().int().positive();
const seconds = z.number().finite().nonnegative();

/** The failure kinds a profile can weight, and the outage modes: one table (fault-kinds.ts). */
export { FAILURE_KINDS, type FailureKind } from './fault-kinds.js';

/** Prompt classes every profile rates; other classes fall back to `general`. */
export const PROMPT_CLASSES = ['coding', 'math', 'reasoning', 'writing', 'general'] as const;

const kindsSchema = z.strictObject(
  Object.fromEntries(FAILURE_KINDS.map((k) => [k, nonNeg.optional()])) as Record<FailureKind, z.ZodOptional<typeof nonNeg>>,
);

/**
 * Gilbert–Elliott bad state, stepped once per `stepMs` of scenario time: either the
 * per-step transition probabilities or the mean sojourn times (p = stepS / meanS).
 */
const burstySchema = z
  .strictObject({
    pGoodToBad: prob.optional(),
    pBadToGood: prob.optional(),
    meanGoodS: pos.optional(),
    meanBadS: pos.optional(),
    badErrorRate: prob,
    stepMs: pos.default(1000),
  })
  .superRefine((b, ctx) => {
    const hasP = b.pGoodToBad !== undefined || b.pBadToGood !== undefined;
    const hasMean = b.meanGoodS !== undefined || b.meanBadS !== undefined;
    if (hasP === hasMean)
      ctx.addIssue({ code: 'custom', message: 'give either pGoodToBad+pBadToGood or meanGoodS+meanBadS' });
    else if (hasP && (b.pGoodToBad === undefined || b.pBadToGood === undefined))
      ctx.addIssue({ code: 'custom', message: 'pGoodToBad and pBadToGood go together' });
    else if (hasMean && (b.meanGoodS === undefined || b.meanBadS === undefined))
      ctx.addIssue({ code: 'custom', message: 'meanGoodS and meanBadS go together' });
  });

const window = { at: seconds, until: seconds.optional() };

/** Timeline phases, in scenario seconds. `until` absent = to the end of the run. */
export const phaseSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...window,
    kind: z.literal('outage'),
    /** refuse: the listening socket is closed; reset: connections are destroyed; http_503: answers 503 (fault-kinds.ts OUTAGE_MODES). */
    mode: z.enum(OUTAGE_MODE_NAMES).default('refuse'),
  }),
  z.strictObject({ ...window, kind: z.literal('brownout'), factor: z.number().finite().min(1) }),
  z.strictObject({ ...window, kind: z.literal('error_burst'), rate: prob, kinds: kindsSchema.optional() }),
  z.strictObject({
    ...window,
    kind: z.literal('price_change'),
    factor: pos.optional(),
    input: nonNeg.optional(),
    output: nonNeg.optional(),
  }),
  z.strictObject({
    ...window,
    kind: z.literal('limit_drop'),
    factor: z.number().finite().gt(0).max(1).optional(),
    rpm: posInt.optional(),
    tpm: posInt.optional(),
  }),
  /** Ends every phase that started before `at` (a recovery point). */
  z.strictObject({ at: seconds, kind: z.literal('recovery') }),
]);

/**
 * A provider's prompt (prefix) cache, one per endpoint (simulator/prompt-cache.ts): blocks of
 * `blockTokens` in an LRU of `capacityBlocks` that expire `ttlS` after their last use.
 * Cached input tokens are billed at `readPrice` and skip their share of prefill:
 *   ttft = base · (1 − prefillShare · cached / input) + queue wait
 * (prefillShare = the part of the zero-load TTFT that is prefill, the rest being network
 * and scheduling). Tokens newly written to the cache are billed at `writePrice` where the
 * price list has one (Anthropic: 1.25 × input), else at the input price.
 */
export const cacheSchema = z.strictObject({
  blockTokens: posInt.default(512),
  capacityBlocks: posInt,
  ttlS: pos.default(300),
  prefillShare: prob.default(0.8),
  /** USD per 1M cached input tokens (LiteLLM cache_read_input_token_cost × 1e6); default: the input price. */
  readPrice: nonNeg.optional(),
  /** USD per 1M tokens written to the cache (LiteLLM cache_creation_input_token_cost × 1e6); default: the input price. */
  writePrice: nonNeg.optional(),
});

/**
 * `ttft.mixture`: a lognormal mixture instead of one lognormal (calibrated from multimodal
 * data: cold and warm starts, queued requests): each request draws a component by weight,
 * then its lognormal; `ttft.medianMs` stays the overall median (queue waits use it). A
 * component with `tokensPerSecond` also sets the decode speed of the requests that draw it
 * (lognormal with log-sd `jitter`, correlated `rho` with the TTFT in log space), in place of
 * `throughput`: a joint TTFT × decode-speed mixture.
 */
export const ttftMixtureSchema = z
  .array(
    z.strictObject({
      weight: pos,
      medianMs: pos,
      sigma: nonNeg,
      tokensPerSecond: pos.optional(),
      jitter: nonNeg.optional(),
      rho: z.number().min(-1).max(1).optional(),
    }),
  )
  .min(1)
  .max(8)
  .describe(
    'A finite lognormal mixture (calibrated by EM, number of components by BIC): each request draws a component by weight (weights are normalised), ' +
      'then its TTFT = shiftMs + medianMs·e^(sigma·z). One component equal to (medianMs, sigma) samples exactly as the plain lognormal. A component with ' +
      'tokensPerSecond also sets the decode speed of the requests that draw it (log-sd jitter, correlation rho with the TTFT in log space).',
  );

/** `throughput.mixture`: decode speeds, per request a component by weight, then its lognormal. */
export const throughputMixtureSchema = z
  .array(z.strictObject({ weight: pos, tokensPerSecond: pos, jitter: nonNeg }))
  .min(2)
  .max(8)
  .describe('Decode speeds as a lognormal mixture: each request draws a component by weight, then ms per token = 1000/tokensPerSecond·e^(jitter·z), independently of the TTFT component.');

export const profileSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9._:\/-]+$/, 'letters, digits and . _ : / - only'),
    /** Model name answered on the wire (and listed by GET /v1/models). */
    model: z.string().min(1),
    provider: z.string().min(1).optional(),
    region: z.string().min(1).default('us-east'),
    description: z.string().optional(),
    /**
     * Time to first token at zero load: lognormal with this median (ms) and log-sd, plus
     * `shiftMs` (a floor under every TTFT: a shifted lognormal, as calibrated profiles fit
     * real APIs; absent = 0).
     */
    ttft: z.strictObject({
      medianMs: pos.describe('Median TTFT (ms) at zero load; with a mixture, the overall median (queue waits use it).'),
      sigma: nonNeg.describe('Log-sd of the lognormal TTFT (ignored for sampling when mixture is given).'),
      shiftMs: nonNeg.optional().describe('A floor under every TTFT (ms): a shifted lognormal. Absent = 0.'),
      mixture: ttftMixtureSchema.optional(),
    }),
    /** Decode speed at zero load; per-request speed is lognormal with log-sd `jitter`. */
    throughput: z.strictObject({ tokensPerSecond: pos, jitter: nonNeg.default(0.1), mixture: throughputMixtureSchema.optional() }),
    /** Length of a full answer when the request does not say (real server / msw): lognormal. */
    answerTokens: z
      .strictObject({ median: pos, sigma: nonNeg, max: posInt.default(4096) })
      .default({ median: 200, sigma: 0.6, max: 4096 }),
    capacity: z.strictObject({
      maxConcurrent: posInt,
      queue: z.number().int().nonnegative(),
      /** Status when concurrency and queue are both full. */
      fullStatus: z.union([z.literal(429), z.literal(503)]).default(503),
      /** Slowdown at full concurrency: latency x (1 + slowdown * u^2), u = busy share. */
      slowdown: nonNeg.default(1),
    }),
    failures: z
      .strictObject({
        baseErrorRate: prob,
        bursty: burstySchema.optional(),
        kinds: kindsSchema,
        /** Retry-After sent with a modelled 429 (not an RPM/TPM 429, which computes its own). */
        retryAfterMs: nonNeg.default(1000),
        /**
         * Where a stream's stream_cut, malformed_event or stall strikes: `anywhere` (after a
         * uniform number of tokens, possibly none) or `start` (before the first token: the
         * response head came, then the end, a broken event or silence; a router can still fail over).
         */
        streamFaultAt: z.enum(['anywhere', 'start']).default('anywhere'),
      })
      .superRefine((f, ctx) => {
        const total = Object.values(f.kinds).reduce<number>((s, w) => s + (w ?? 0), 0);
        if (total <= 0 && (f.baseErrorRate > 0 || (f.bursty?.badErrorRate ?? 0) > 0))
          ctx.addIssue({ code: 'custom', path: ['kinds'], message: 'error rates > 0 need at least one kind weight > 0' });
      }),
    price: z.strictObject({ input: nonNeg, output: nonNeg }),
    /** P(acceptable answer) per prompt class; `general` is the fallback for other classes. */
    quality: z.strictObject({ coding: prob, math: prob, reasoning: prob, writing: prob, general: prob }).catchall(prob),
    limits: z.strictObject({ rpm: posInt.optional(), tpm: posInt.optional() }).default({}),
    contextWindow: posInt.optional(),
    timeline: z.array(phaseSchema).default([]),
    /** Prompt (prefix) cache; absent = no cache. */
    cache: cacheSchema.optional(),
  })
  .superRefine((p, ctx) => {
    p.timeline.forEach((ph, i) => {
      if ('until' in ph && ph.until !== undefined && ph.until <= ph.at)
        ctx.addIssue({ code: 'custom', path: ['timeline', i, 'until'], message: `must be after at (${ph.at})` });
      if (ph.kind === 'price_change' && ph.factor === undefined && ph.input === undefined && ph.output === undefined)
        ctx.addIssue({ code: 'custom', path: ['timeline', i], message: 'price_change needs factor or input/output' });
      if (ph.kind === 'limit_drop' && ph.factor === undefined && ph.rpm === undefined && ph.tpm === undefined)
        ctx.addIssue({ code: 'custom', path: ['timeline', i], message: 'limit_drop needs factor or rpm/tpm' });
    });
  });

export type ProviderProfile = z.output<typeof profileSchema>;
export type ProviderProfileInput = z.input<typeof profileSchema>;
export type Phase = z.output<typeof phaseSchema>;
export type PhaseKind = Phase['kind'];

/** A profile/scenario file that failed to parse or validate. The message names file and field. */
export class ProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfileError';
  }
}

/** `a.b.0.c` for messages; `(root)` for the top level. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** zod issues -> one line per issue, `where: path: message`. */
export function formatZodError(err: z.ZodError, where: string, prefix: ReadonlyArray<PropertyKey> = []): string {
  return err.issues
    .map((i) => {
      const msg = i.message.replace(/^Invalid input: /, '');
      return `${where}: ${formatPath([...prefix, ...i.path])}: ${msg}`;
    })
    .join('\n');
}

/** Validate a parsed object; `where` names its origin (a file, or `scenario.yaml: providers.1`). */
export function parseProfile(obj: unknown, where: string): ProviderProfile {
  const r = profileSchema.safeParse(obj);
  if (!r.success) throw new ProfileError(formatZodError(r.error, where));
  return r.data;
}

/** Read a YAML or JSON file (JSON is YAML); syntax errors name file:line:col. */
export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ProfileError(`${file}: cannot read: ${(e as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const at = pos ? `:${pos.line}:${pos.col}` : '';
    throw new ProfileError(`${file}${at}: ${e.message.split('\n')[0]}`);
  }
  return doc.toJS();
}

/** Load and validate one profile file (YAML or JSON). */
export function loadProfile(file: string): ProviderProfile {
  return parseProfile(readYamlFile(file), file);
}
