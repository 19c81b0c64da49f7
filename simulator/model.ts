import type { OutcomeKind, ProviderOutcome, SimRequest } from './types.js';
import type { ProviderProfile } from './profile.js';
import { BurstChain, kindTable, pickKind, type KindTable } from './faults.js';
import { assertNever, FAULT_KINDS } from './fault-kinds.js';
import { Timeline, type Effects } from './timeline.js';
import { baseKey, draw, requestKey } from './keyed-random.js';
import { cacheAdmit, cacheInputCost, cacheUse, type CacheUse } from './prompt-cache.js';
import type { BlockLru } from '../router/strategies/prefix-blocks.js';

/**
 * The pure provider model: what one provider does with one request at scenario time
 * `nowMs` while `load` requests are already in flight there. Used by the virtual-time
 * engine, the oracle (counterfactuals), the real HTTP server and the msw handlers.
 *
 * Purity: the result depends only on (profile, seed, req, nowMs, load, limit state).
 * Every random number of a request comes from a counter-based generator keyed by
 * (seed, provider id, req.id) (see keyed-random.ts) at a FIXED draw index, so asking
 * another provider, or asking again, never shifts anything. The bursty bad state is a
 * Gilbert–Elliott chain over time (faults.ts), not over request order.
 *
 * Order of decisions: outage phase → RPM/TPM limit (429 + Retry-After) → full queue
 * (capacity.fullStatus) → failure roll → ok. Then: a request still in flight when a
 * refuse/reset outage begins ends there (`cutByOutage`), as the real server drops
 * every connection at that instant.
 *
 * Load model (c = maxConcurrent, Q = queue, L = `load` = requests already in flight):
 *   L >= c + Q                      → rejected with fullStatus after REJECT_MS
 *   u    = min(L, c) / c            (busy share)
 *   slow = (1 + slowdown · u²) · brownout
 *   k    = max(0, L − c + 1)        (queue position)
 *   S    = ttftMedian + out · 1000 / tps   (nominal service time of this request)
 *   wait = k · S / c                (a slot frees every S/c on average)
 *   ttft = (shift + ttftMedian · e^(σ·z1)) · slow + wait     (shift = ttft.shiftMs, default 0)
 *   perToken = 1000 / tps · e^(jitter·z2) · slow
 *   total = ttft + out · perToken
 * With `ttft.mixture` / `throughput.mixture` a request first draws a component j by weight
 * (its own draw index), then ttft uses (medianⱼ, σⱼ) and perToken (1000/tpsⱼ, jitterⱼ) with
 * the same z1 / z2; a ttft component with its own tokensPerSecond (a joint mixture) sets
 * perToken = 1000/tpsⱼ · e^(jitterⱼ·(ρⱼ·z1 + √(1−ρⱼ²)·z2)) · slow. A profile without them draws nothing more.
 *
 * Prompt cache (profile.cache, prompt-cache.ts): a request with a prefix has its cached
 * share of prefill skipped, ttft = ttftMedian · e^(σ·z1) · slow · (1 − prefillShare ·
 * cached/input) + wait, and its cached input billed at the cache-read price.
 */

/** Latency of an immediate rejection (429 / full queue / 503 during an outage), ms. */
export const REJECT_MS = 5;
/** Latency of a refused connection, ms. */
export const REFUSE_MS = 1;
/** A 5xx or a reset shows after this share of the would-be TTFT. */
export const ERROR_AT = 0.5;

/** Draw indices: fixed per purpose, so branches never shift other draws. */
const D_FAIL = 0;
const D_KIND = 1;
const D_N1 = 2;
const D_N2 = 3;
const D_QUALITY = 4;
const D_CUT = 5;
/** Component of a ttft / throughput mixture (profile `ttft.mixture`, `throughput.mixture`). */
const D_TTFT_MIX = 16;
const D_TPS_MIX = 17;

const LIMIT_WINDOW_S = 60;

/**
 * RPM/TPM bookkeeping the caller owns and passes in: a 60 s sliding window in 1 s
 * buckets, plus an in-flight counter. outcome() only reads it (evicting expired
 * buckets is invisible); admit()/release() change it.
 */
export interface ProviderState {
  inFlight: number;
  readonly reqs: Float64Array;
  readonly toks: Float64Array;
  reqSum: number;
  tokSum: number;
  /** Last second (floor(ms/1000)) the window was advanced to. */
  sec: number;
  /** The provider's prompt cache (created on first use when the profile has `cache`; prompt-cache.ts). */
  promptCache?: BlockLru;
}

export function createProviderState(): ProviderState {
  return {
    inFlight: 0,
    reqs: new Float64Array(LIMIT_WINDOW_S),
    toks: new Float64Array(LIMIT_WINDOW_S),
    reqSum: 0,
    tokSum: 0,
    sec: -Infinity,
  };
}

/** Drop buckets older than the window ending at second `sec`. */
function advance(st: ProviderState, sec: number): void {
  if (sec <= st.sec) return;
  if (sec - st.sec >= LIMIT_WINDOW_S) {
    st.reqs.fill(0);
    st.toks.fill(0);
    st.reqSum = 0;
    st.tokSum = 0;
  } else {
    for (let s = st.sec + 1; s <= sec; s++) {
      const i = ((s % LIMIT_WINDOW_S) + LIMIT_WINDOW_S) % LIMIT_WINDOW_S;
      st.reqSum -= st.reqs[i]!;
      st.tokSum -= st.toks[i]!;
      st.reqs[i] = 0;
      st.toks[i] = 0;
    }
  }
  st.sec = sec;
}

/** ms until the window has room for `need` more of `buckets` under `limit`. */
function waitForRoom(buckets: Float64Array, sum: number, need: number, limit: number, sec: number, nowMs: number): number {
  let s = sum;
  for (let k = sec - LIMIT_WINDOW_S + 1; k <= sec; k++) {
    const i = ((k % LIMIT_WINDOW_S) + LIMIT_WINDOW_S) % LIMIT_WINDOW_S;
    s -= buckets[i]!;
    if (s + need <= limit) return Math.max(1, (k + LIMIT_WINDOW_S) * 1000 - nowMs);
  }
  return LIMIT_WINDOW_S * 1000; // the request alone exceeds the limit: come back in a minute
}

export interface ProviderModel {
  readonly profile: ProviderProfile;
  readonly id: string;
  /** The deterministic outcome of `req` at scenario time `nowMs` with `load` requests in flight. */
  outcome(req: SimRequest, nowMs: number, load: number, state?: ProviderState): ProviderOutcome;
  /** Record an answered request in the RPM/TPM window (skips refused / rate-limited) and count it in flight. */
  admit(state: ProviderState, nowMs: number, req: SimRequest, outcome: ProviderOutcome): void;
  /** A request admitted earlier has finished. */
  release(state: ProviderState): void;
  /** Timeline effects in force at `nowMs` (outage, brownout, price, limits). */
  effectsAt(nowMs: number): Effects;
  /** Is the Gilbert–Elliott chain in its bad state at `nowMs`? */
  isBad(nowMs: number): boolean;
  /** P(acceptable) for a prompt class (`general` for unknown classes). */
  quality(promptClass: string): number;
}


function mk(
  kind: OutcomeKind,
  status: number,
  ttftMs: number,
  totalMs: number,
  inputTokens: number,
  outputTokens: number,
  acceptable: boolean,
  costUsd: number,
  retryAfterMs?: number,
): ProviderOutcome {
  return retryAfterMs === undefined
    ? { kind, status, ttftMs, totalMs, inputTokens, outputTokens, acceptable, costUsd }
    : { kind, status, ttftMs, totalMs, inputTokens, outputTokens, acceptable, costUsd, retryAfterMs };
}

/**
 * A request whose connection is dropped `atMs` after it was sent (an outage began): a
 * stream that already sent its first token is cut there with the tokens sent so far
 * (billed, as a stream_cut); anything else (JSON, a stream before its first token, a
 * hang, an error not yet answered) sees its connection reset there.
 */
export function cutByOutage(o: ProviderOutcome, req: SimRequest, atMs: number, fx: Effects): ProviderOutcome {
  const streaming = req.stream && (o.kind === 'ok' || o.kind === 'stream_cut' || o.kind === 'malformed');
  if (!streaming || atMs < o.ttftMs || o.outputTokens === 0)
    return mk('reset', 0, atMs, atMs, o.inputTokens, 0, false, 0);
  const perToken = (o.totalMs - o.ttftMs) / o.outputTokens;
  const k = Math.min(o.outputTokens, 1 + Math.floor((atMs - o.ttftMs) / perToken));
  return mk('stream_cut', 200, o.ttftMs, atMs, o.inputTokens, k, false, (o.inputTokens * fx.priceInput + k * fx.priceOutput) / 1e6);
}

export function createProviderModel(profile: ProviderProfile, seed: string | number): ProviderModel {
  const id = profile.id;
  const base = baseKey(seed, id);
  const timeline = new Timeline(profile);
  const chain = profile.failures.bursty ? new BurstChain(profile.failures.bursty, seed, id) : null;
  const badRate = profile.failures.bursty?.badErrorRate ?? 0;
  const baseRate = profile.failures.baseErrorRate;
  const kinds: KindTable = kindTable(profile.failures.kinds);
  const retryAfterMs = profile.failures.retryAfterMs;
  const faultAtStart = profile.failures.streamFaultAt === 'start';
  const c = profile.capacity.maxConcurrent;
  const cap = c + profile.capacity.queue;
  const fullStatus = profile.capacity.fullStatus;
  const slowdown = profile.capacity.slowdown;
  const ttftMedian = profile.ttft.medianMs;
  const sigma = profile.ttft.sigma;
  const ttftShift = profile.ttft.shiftMs ?? 0;
  const msPerToken = 1000 / profile.throughput.tokensPerSecond;
  const jitter = profile.throughput.jitter;
  const ttftMix = mixtureTable(profile.ttft.mixture?.map((m) => [m.weight, m.medianMs, m.sigma, m.tokensPerSecond ? 1000 / m.tokensPerSecond : NaN, m.jitter ?? 0, m.rho ?? 0]));
  const tpsMix = mixtureTable(profile.throughput.mixture?.map((m) => [m.weight, 1000 / m.tokensPerSecond, m.jitter, NaN, 0, 0]));
  const qualities = new Map<string, number>(Object.entries(profile.quality));
  const general = profile.quality.general;
  const quality = (cls: string): number => qualities.get(cls) ?? general;
  const cacheCfg = profile.cache;
  const listIn = profile.price.input;

  /** An outcome whose input may have been (partly) cached: its cost with cache prices and the cache fields. */
  function billed(
    kind: OutcomeKind,
    ttftMs: number,
    totalMs: number,
    inTok: number,
    outTok: number,
    acceptable: boolean,
    use: CacheUse | undefined,
    pIn: number,
    pOut: number,
  ): ProviderOutcome {
    if (use === undefined) return mk(kind, 200, ttftMs, totalMs, inTok, outTok, acceptable, (inTok * pIn + outTok * pOut) / 1e6);
    const c = cacheInputCost(cacheCfg!, use, inTok, pIn, listIn);
    return { ...mk(kind, 200, ttftMs, totalMs, inTok, outTok, acceptable, (c.input + outTok * pOut) / 1e6), cachedTokens: use.cached, cacheSavingsUsd: c.savedUsd };
  }

  function outcome(req: SimRequest, nowMs: number, load: number, state?: ProviderState): ProviderOutcome {
    const o = planned(req, nowMs, load, state);
    const drop = timeline.nextDrop(nowMs);
    return drop - nowMs < o.totalMs ? cutByOutage(o, req, drop - nowMs, timeline.at(nowMs)) : o;
  }

  function planned(req: SimRequest, nowMs: number, load: number, state?: ProviderState): ProviderOutcome {
    const fx = timeline.at(nowMs);
    const inTok = req.inputTokens;
    if (fx.outage !== null) {
      if (fx.outage === 'refuse') return mk('refused', 0, REFUSE_MS, REFUSE_MS, inTok, 0, false, 0);
      if (fx.outage === 'reset') return mk('reset', 0, REFUSE_MS, REFUSE_MS, inTok, 0, false, 0);
      return mk('http_error', 503, REJECT_MS, REJECT_MS, inTok, 0, false, 0);
    }
    const out = req.outputTokens;
    if (state !== undefined && (fx.rpm !== Infinity || fx.tpm !== Infinity)) {
      const sec = Math.floor(nowMs / 1000);
      advance(state, sec);
      const need = inTok + out;
      let wait = 0;
      if (state.reqSum + 1 > fx.rpm) wait = waitForRoom(state.reqs, state.reqSum, 1, fx.rpm, sec, nowMs);
      if (state.tokSum + need > fx.tpm)
        wait = Math.max(wait, waitForRoom(state.toks, state.tokSum, need, fx.tpm, sec, nowMs));
      if (wait > 0) return mk('rate_limited', 429, REJECT_MS, REJECT_MS, inTok, 0, false, 0, wait);
    }
    if (load >= cap) {
      return fullStatus === 429
        ? mk('rate_limited', 429, REJECT_MS, REJECT_MS, inTok, 0, false, 0, retryAfterMs)
        : mk('http_error', 503, REJECT_MS, REJECT_MS, inTok, 0, false, 0);
    }

    const key = requestKey(base, req.id);
    // Latency: Box–Muller gives two independent normals from two uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - draw(key, D_N1)));
    const theta = 2 * Math.PI * draw(key, D_N2);
    const z1 = r * Math.cos(theta);
    const z2 = r * Math.sin(theta);
    const busy = load < c ? load / c : 1;
    const slow = (1 + slowdown * busy * busy) * fx.latencyX;
    const queued = load >= c ? load - c + 1 : 0;
    const wait = queued > 0 ? (queued * (ttftMedian + out * msPerToken)) / c : 0;
    const use = cacheUse(cacheCfg, state, req, nowMs);
    const tm = ttftMix === null ? null : pickComponent(ttftMix, draw(key, D_TTFT_MIX));
    const ttft0 = (ttftShift + (tm === null ? ttftMedian * Math.exp(sigma * z1) : tm[0] * Math.exp(tm[1] * z1))) * slow;
    const ttft = (use === undefined ? ttft0 : ttft0 * use.ttftFactor) + wait;
    const pm = tpsMix === null ? null : pickComponent(tpsMix, draw(key, D_TPS_MIX));
    const perToken =
      (tm !== null && !Number.isNaN(tm[2])
        ? tm[2] * Math.exp(tm[3] * (tm[4] * z1 + Math.sqrt(1 - tm[4] * tm[4]) * z2))
        : pm === null
          ? msPerToken * Math.exp(jitter * z2)
          : pm[0] * Math.exp(pm[1] * z2)) * slow;

    // Failure: base or bad-state rate, combined with any error burst: 1 − (1−p)(1−b).
    let p = chain !== null && chain.isBad(nowMs) ? badRate : baseRate;
    let table = kinds;
    if (fx.burstRate > 0) {
      p = 1 - (1 - p) * (1 - fx.burstRate);
      if (fx.burstKinds !== null) table = fx.burstKinds;
    }
    if (draw(key, D_FAIL) < p) {
      const kind = pickKind(table, draw(key, D_KIND));
      const errAt = ttft * ERROR_AT;
      const pIn = fx.priceInput;
      const pOut = fx.priceOutput;
      switch (kind) {
        case 'rate_limited_429':
          return mk('rate_limited', 429, REJECT_MS, REJECT_MS, inTok, 0, false, 0, retryAfterMs);
        case 'refused':
          return mk('refused', 0, REFUSE_MS, REFUSE_MS, inTok, 0, false, 0);
        case 'reset':
          return mk('reset', 0, errAt, errAt, inTok, 0, false, 0);
        case 'hang':
          return mk('hang', 0, Infinity, Infinity, inTok, 0, false, 0);
        case 'stream_cut': {
          // Cut after k in [0, out-1] tokens (k = 0 with streamFaultAt: start); a non-streamed body cut mid-way is a reset.
          const k = faultAtStart ? 0 : Math.floor(draw(key, D_CUT) * out);
          const at = ttft + k * perToken;
          if (!req.stream) return mk('reset', 0, at, at, inTok, 0, false, 0);
          return k > 0
            ? billed('stream_cut', ttft, at, inTok, k, false, use, pIn, pOut)
            : mk('stream_cut', 200, at, at, inTok, k, false, 0);
        }
        case 'malformed': {
          const total = ttft + out * perToken;
          return billed('malformed', ttft, total, inTok, out, false, use, pIn, pOut);
        }
        case 'auth_401':
        case 'auth_403':
        case 'not_found_404':
          // The provider refuses the endpoint's key (or does not know its model) at once, whatever the load.
          return mk('http_error', FAULT_KINDS[kind].status, REJECT_MS, REJECT_MS, inTok, 0, false, 0);
        case 'malformed_event': {
          // k good tokens, then a broken event (k = 0: the first event is broken, before any byte).
          const k = faultAtStart ? 0 : Math.floor(draw(key, D_CUT) * out);
          const at = ttft + k * perToken;
          const total = ttft + out * perToken;
          return req.stream
            ? mk('malformed_event', 200, ttft, at, inTok, k, false, k > 0 ? (inTok * pIn + k * pOut) / 1e6 : 0)
            : mk('malformed', 200, ttft, total, inTok, out, false, (inTok * pIn + out * pOut) / 1e6);
        }
        case 'stall': {
          // The head at the TTFT, k tokens (the first at the TTFT), then silence until the client
          // gives up (k = 0: silence from the head on); a JSON answer just hangs.
          if (!req.stream) return mk('hang', 0, Infinity, Infinity, inTok, 0, false, 0);
          const k = faultAtStart ? 0 : Math.floor(draw(key, D_CUT) * out);
          const cost = (inTok * pIn + k * pOut) / 1e6;
          const stallAtMs = ttft + Math.max(0, k - 1) * perToken;
          return { kind: 'stall', status: 200, ttftMs: ttft, totalMs: Infinity, inputTokens: inTok, outputTokens: k, acceptable: false, costUsd: cost, stallAtMs };
        }
        case 'http_500':
        case 'http_502':
        case 'http_503':
        case 'http_529':
          return mk('http_error', FAULT_KINDS[kind].status, errAt, errAt, inTok, 0, false, 0);
        default:
          return assertNever(kind, 'failure kind');
      }
    }

    const total = ttft + out * perToken;
    // Outcome replay: what this provider's model really did with this prompt; else a draw per class.
    const replayed = req.outcomes?.[id];
    const acceptable = replayed !== undefined ? replayed >= 0.5 : draw(key, D_QUALITY) < quality(req.promptClass);
    return billed('ok', ttft, total, inTok, out, acceptable, use, fx.priceInput, fx.priceOutput);
  }

  function admit(state: ProviderState, nowMs: number, req: SimRequest, o: ProviderOutcome): void {
    state.inFlight++;
    if (o.kind === 'refused' || o.kind === 'rate_limited') return;
    const sec = Math.floor(nowMs / 1000);
    advance(state, sec);
    const i = ((sec % LIMIT_WINDOW_S) + LIMIT_WINDOW_S) % LIMIT_WINDOW_S;
    const tokens = req.inputTokens + req.outputTokens;
    state.reqs[i] = state.reqs[i]! + 1;
    state.toks[i] = state.toks[i]! + tokens;
    state.reqSum += 1;
    state.tokSum += tokens;
    // The prefill ran (an answer, even a cut or garbled one): its prefix blocks are cached now.
    if (o.kind === 'ok' || o.kind === 'stream_cut' || o.kind === 'malformed') cacheAdmit(cacheCfg, state, req, nowMs);
  }

  function release(state: ProviderState): void {
    if (state.inFlight > 0) state.inFlight--;
  }

  return {
    profile,
    id,
    outcome,
    admit,
    release,
    effectsAt: (nowMs) => timeline.at(nowMs),
    isBad: (nowMs) => (chain !== null ? chain.isBad(nowMs) : false),
    quality,
  };
}

/** A component: (median, log-sd) and, for a joint ttft × decode component, (ms per token, jitter, ρ); ms per token NaN when absent. */
type Component = [number, number, number, number, number];
/** A mixture as cumulative weights (normalised) with its components; null for none. */
type MixtureTable = { cum: number[]; comp: Component[] } | null;

function mixtureTable(rows: Array<[number, ...Component]> | undefined): MixtureTable {
  if (rows === undefined) return null;
  const total = rows.reduce((s, r) => s + r[0], 0);
  let acc = 0;
  return { cum: rows.map((r) => (acc += r[0] / total)), comp: rows.map((r) => [r[1], r[2], r[3], r[4], r[5]]) };
}

/** The component a uniform u in [0, 1) falls in. */
function pickComponent(t: NonNullable<MixtureTable>, u: number): Component {
  for (let i = 0; i < t.cum.length - 1; i++) if (u < t.cum[i]!) return t.comp[i]!;
  return t.comp[t.comp.length - 1]!;
}
