/**
 * The router's data types. Plain data only: the config schema (config.ts) produces
 * Endpoints, strategies read Candidates, transports take RouteRequests.
 */

/** Prices in USD per 1M tokens. */
export interface Price {
  input: number;
  output: number;
}

/** One (provider, model, base URL) the router can send a request to. Normalised from config. */
export interface Endpoint {
  /** Unique id, e.g. "openai/gpt-4o-mini". */
  readonly id: string;
  readonly provider: string;
  /** The model group this endpoint serves (what clients ask for). */
  readonly model: string;
  /** The model name sent upstream (defaults to `model`). */
  readonly upstreamModel: string;
  /** Upstream base URL (…/v1). Set by config only; never by a client. */
  readonly baseUrl: string | undefined;
  /** Name of the environment variable that holds the API key. The key itself is never stored here. */
  readonly apiKeyEnv: string | undefined;
  /** Relative weight (> 0) for weighted strategies. */
  readonly weight: number;
  readonly price: Price;
  /** Quality tier (higher is better), used by `cost` to honour a request's minimum tier. */
  readonly tier: number;
  /** Probability of an acceptable answer, overall (`default`) and per prompt class. */
  readonly quality: Readonly<Record<string, number>>;
  /** Prompt classes this endpoint is fit for (classifier strategy); empty = all. */
  readonly classes: readonly string[];
  /** Lower is tried first by the `priority` strategy. */
  readonly priority: number;
  readonly region: string | undefined;
  readonly tags: readonly string[];
  readonly contextWindow: number | undefined;
  /** Per-minute rates; windowMs (default 60000): the bucket holds this span of refill (config.ts). */
  readonly limits: { readonly rpm?: number; readonly tpm?: number; readonly windowMs?: number };
  /**
   * Speak HTTP/2 to the upstream (HTTP transport): negotiated by ALPN for https, prior
   * knowledge (h2c) for http, so only set it for http upstreams that speak h2c. Many
   * concurrent requests then share a few connections (up to 100 streams each) instead
   * of one socket per in-flight request.
   */
  readonly http2: boolean;
}

export interface ChatMessage {
  role: string;
  content: unknown;
  [key: string]: unknown;
}

/** One client request as the router sees it. */
export interface RouteRequest {
  /** Caller's id for tracing. */
  id?: string;
  /** A model group, or an ordered fallback list of groups. */
  model: string | readonly string[];
  messages?: readonly ChatMessage[];
  /** Text the classifier reads; derived from `messages` when absent. */
  prompt?: string;
  /** A precomputed prompt class (skips the classifier). */
  promptClass?: string;
  /** Estimated input tokens (rate-limit admission, cost estimates). */
  inputTokens?: number;
  /** Max output tokens requested. */
  maxTokens?: number;
  stream?: boolean;
  /** Session/user key for sticky routing. */
  sessionKey?: string;
  /**
   * The prompt prefix as chained block hashes (router/strategies/prefix-blocks.ts), for the
   * prefix-affinity strategy; derived from `messages` when absent. No prompt text.
   */
  prefixHashes?: ArrayLike<number>;
  /** Minimum quality tier. */
  minTier?: number;
  /** Maximum blended price (USD per 1M tokens, input+output average). */
  maxPrice?: number;
  /** Total deadline in ms from the start of routing (overrides config). */
  deadlineMs?: number;
  /** The raw request body, forwarded by HTTP transports (model is rewritten per endpoint). */
  body?: Record<string, unknown>;
  /** The caller's region: endpoints with this `region` are tried first, the rest after (core/refine.ts). */
  region?: string;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /**
   * USD the upstream says it billed for this response, when it reports one (OpenRouter's
   * `usage.cost`, the simulator's providers). Lets the router notice a price change that
   * its configured list price does not know about.
   */
  costUsd?: number;
}

/** What a successful transport call returns (non-2xx statuses are returned too, and classified by the router). */
export interface TransportResponse {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON body of a non-streaming response. */
  body?: unknown;
  /** Body chunks of a streaming response, not yet consumed. */
  stream?: AsyncIterable<Uint8Array | string>;
  /**
   * Token usage. For streams a transport may fill this in while the stream is
   * consumed (e.g. from the final SSE chunk); it is read when the stream ends.
   */
  usage?: Usage;
  /** Time to first token as measured by the transport (simulated transports report it). */
  ttftMs?: number;
  /** Retry-After in ms, when the upstream sent one. */
  retryAfterMs?: number;
}

export interface SendOptions {
  /** Aborts the upstream request (timeout, hedge loser, client gone). */
  signal: AbortSignal;
}

/**
 * Sends one request to one endpoint. Real: an undici pool per endpoint. Simulated:
 * a provider model on the virtual clock. Connection-level failures reject with a
 * RouterError (connect_failed, connection_reset, ...); HTTP statuses resolve.
 */
export interface Transport {
  send(endpoint: Endpoint, request: RouteRequest, opts: SendOptions): Promise<TransportResponse>;
  /** Optional active health check: resolve true when the endpoint answers healthy. */
  check?(endpoint: Endpoint, opts: SendOptions): Promise<boolean>;
}

/** An immutable view of one endpoint's observed behaviour. */
export interface StatsSnapshot {
  readonly inFlight: number;
  readonly requests: number;
  readonly successes: number;
  readonly failures: number;
  /** Peak-EWMA of total latency in ms, decayed to `now`; null before the first sample. */
  readonly latencyMs: number | null;
  /** Peak-EWMA of time to first token in ms; null before the first sample. */
  readonly ttftMs: number | null;
  /** Success rate over the sliding window; null when the window is empty. */
  readonly successRate: number | null;
  /** Requests that finished within the sliding window. */
  readonly windowRequests: number;
  readonly consecutiveFailures: number;
  /** The last (up to 10) latencies, oldest first. */
  readonly recentLatenciesMs: readonly number[];
  /**
   * Mean of recentLatenciesMs, summed once per finished request so a pick need not (null when
   * the list is empty). Absent in hand-built snapshots: readers compute it from the list then.
   */
  readonly recentMeanMs?: number | null;
  /**
   * Mean output tokens of the same recent successes (0 where no usage was reported): how long the
   * answers behind recentMeanMs were. Null when the list is empty; absent in hand-built snapshots.
   */
  readonly recentOutputTokens?: number | null;
  /**
   * Decode time per output token after the first, ms: an EWMA (alpha 0.1) over successes with 2+
   * output tokens of (latency - ttft) / (outputTokens - 1), i.e. 1000 / the stream's tokens per
   * second. Null before such a success; absent in hand-built snapshots.
   */
  readonly decodeMsPerToken?: number | null;
  /**
   * Start time (clock ms) of the latest-started attempt that got an answer (a stream's first
   * byte, a JSON reply); null before any. Absent in hand-built snapshots.
   */
  readonly answeredStartAt?: number | null;
  /** Smoothed now - answeredStartAt, sampled at each answer: how far behind answers normally run. */
  readonly answerLagMs?: number | null;
  /**
   * Start time of the 4th attempt started after answeredStartAt (null: fewer so far): four
   * attempts, none of them nor any later one answered yet, the newest of the four since then.
   */
  readonly unansweredSinceAt?: number | null;
  readonly lastFailureAt: number | null;
  readonly lastSuccessAt: number | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  /**
   * Billed / list-price ratio from the last response that reported a billed cost, decayed
   * back toward 1 over `stats.priceMemoryMs`; absent when no response reported one.
   * Strategies multiply list prices by it (strategies/util.ts currentPrice).
   */
  readonly priceFactor?: number;
}

export type HealthState = 'healthy' | 'ejected' | 'half-open' | 'cooldown';

export interface HealthSnapshot {
  readonly state: HealthState;
  /** May a request be sent now? (healthy, or half-open with a probe slot free) */
  readonly available: boolean;
  /** When an ejection or cooldown ends (clock ms); null when none. */
  readonly until: number | null;
  /** Ejections so far (drives the growing ejection time). */
  readonly ejections: number;
  /** Slow-start multiplier in (0, 1]; 1 when fully warmed up. Weighted strategies scale by it. */
  readonly slowStart: number;
  /** Set while the endpoint is out for a provider-side configuration fault (its key refused, its model unknown). */
  readonly fault?: EndpointFault;
}

/** Provider-side configuration faults: the provider answered 401/403 (key) or 404 (model) to the router. */
export type EndpointFault = 'provider_auth' | 'provider_model_not_found';

/** What a strategy sees of one endpoint: immutable. */
export interface Candidate {
  readonly endpoint: Endpoint;
  readonly stats: StatsSnapshot;
  readonly health: HealthSnapshot;
}

/** One attempt of a request, for the trace and metrics. */
export interface AttemptRecord {
  readonly endpointId: string;
  readonly model: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ok: boolean;
  readonly errorCode?: string;
  readonly status?: number;
  /** Why this attempt happened: 'first', 'retry', 'failover', 'fallback-model', 'hedge', 'long-twice' (hedging.onLong's second attempt), 'probe'. */
  readonly reason: string;
}

/** Why the router picked what it picked. */
export interface DecisionTrace {
  readonly requestId: string | undefined;
  readonly strategy: string;
  /** Every pick made for this request (one per attempt). */
  readonly picks: ReadonlyArray<{
    readonly at: number;
    readonly model: string;
    readonly candidates: ReadonlyArray<{ readonly id: string; readonly health: HealthState; readonly score?: number }>;
    readonly picked: string;
    readonly reason: string;
    /** True when health was ignored because too many candidates were ejected. */
    readonly panic: boolean;
  }>;
  readonly attempts: readonly AttemptRecord[];
}
