import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StrategyResult } from '../../reports/contract.js';
import { createMetrics } from '../../simulator/metrics.js';
import { startProviderProcesses, type ProviderProcesses } from '../../simulator/processes.js';
import { Timeline } from '../../simulator/timeline.js';
import type { SimRequest } from '../../simulator/types.js';
import { createWorkload } from '../../simulator/workload.js';
import { runClosedLoop } from '../load/closed-loop.js';
import { primaryFault } from '../setup/faults.js';
import { runOpenLoop } from '../load/open-loop.js';
import { ChildDiedError, onCleanup, spawnTs, type Child } from './procs.js';
import { scenarioRouterConfig, WARMUP_PREFIX, withWarmupEndpoints } from '../setup/router-config.js';
import type { ModeContext } from './runner.js';
import type { Sample } from '../load/samples.js';
import { workloadSpec } from './sim-mode.js';
import { createCacheOracle } from '../../simulator/prompt-cache.js';
import { strategyName, type StrategyRef } from '../spec/schema.js';
import { RESPONSE_CACHE_TTL_MS, responseCacheOn, storeMode } from '../spec/replicas.js';
import { CHARGE_BATCH_MS } from '../../simulator/replica-store.js';
import type { ClosedLoopOptions } from '../load/closed-loop.js';
import { healthTraceFile } from '../../router/http/health-trace.js';

/**
 * http mode: for each strategy, fresh mock provider processes and a fresh proxy
 * process (same seed, so every strategy meets the same provider behaviour and
 * timeline), load through real loopback sockets, latency measured per response.
 *
 * Time: providers and load run `speed` times faster than scenario time. Latencies
 * and timestamps are reported in scenario time (measured wall ms x speed), so results
 * compare with sim mode and the SLOs. Scenario t=0 is the start of the measured run,
 * however long start-up takes: the providers start with their epoch an hour ahead
 * (scenario time < 0, before any phase), the proxy starts and warms up, then the
 * runner sets every provider's epoch to the instant measuring starts (over IPC,
 * acknowledged) and sends the workload's first request at that instant.
 */

/** Wall ms between setting the providers' epoch and t=0 (IPC round trips fit well within). */
const START_MARGIN_MS = 200;
/** Where the providers' epoch sits until the runner sets it: this far ahead of spawn. */
const PENDING_EPOCH_MS = 3_600_000;
/** Floor on warm-up wall time. */
const MIN_WARMUP_S = 0.3;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Most arrivals in any 1-s window of scenario time (requests in arrival order). */
export function busiestSecond(requests: readonly SimRequest[]): number {
  let best = 0;
  for (let i = 0, j = 0; j < requests.length; j++) {
    while (requests[j]!.arrivalMs - requests[i]!.arrivalMs >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** Expected service time of a request in scenario ms (TTFT median + decode), averaged over providers. */
function expectedLatencyMs(ctx: ModeContext, sample: readonly SimRequest[]): number {
  const outTok = sample.length ? sample.reduce((s, r) => s + r.outputTokens, 0) / sample.length : 100;
  const per = ctx.providers.map((p) => p.profile.ttft.medianMs + (outTok * 1000) / p.profile.throughput.tokensPerSecond);
  return per.reduce((a, b) => a + b, 0) / Math.max(1, per.length);
}

export async function runHttpMode(ctx: ModeContext, strategies: readonly StrategyRef[]): Promise<StrategyResult[]> {
  const out: StrategyResult[] = [];
  for (const ref of strategies) out.push(await runOne(ctx, ref));
  return out;
}

async function runOne(ctx: ModeContext, ref: StrategyRef): Promise<StrategyResult> {
  const { scenario, seed, durationS, progress, log } = ctx;
  const name = strategyName(ref);
  const speed = ctx.speed ?? scenario.http.speed;
  const driver = ctx.driver ?? scenario.http.driver;
  const requests = [...createWorkload(workloadSpec(scenario, durationS), seed)];
  const meanRate = requests.length / durationS; // scenario req/s
  const latencyMs = expectedLatencyMs(ctx, requests.slice(0, 500));
  // Little's law: in flight L = λ·W (rate and latency both in scenario units; speed cancels).
  // Headroom x3 over the busiest second (a load phase's multiplier, a trace's burst): an
  // open loop with too few connections queues in the client, a delay sim mode never has.
  const peak = Math.max(1, ...scenario.load.phases.map((p) => p.multiplier));
  const peakRate = Math.max(meanRate * peak, busiestSecond(requests));
  const littles = Math.ceil(peakRate * (latencyMs / 1000) * 3);
  const connections = scenario.http.connections ?? Math.min(1024, Math.max(8, littles));
  const wallDurationS = durationS / speed;
  const timeoutMs = ((scenario.router.timeouts?.totalMs ?? 120_000) / speed) * 1.5 + 1000;

  const abort = new AbortController();
  let providers: ProviderProcesses | undefined;
  let proxy: Child | undefined;
  // Replicas (scenario `replicas:` / --replicas N): the other proxies, and the redis-server they share (@shared).
  const replicas = scenario.replicas?.count ?? 1;
  const more: Child[] = [];
  let redis: { url: string; pid: number; stop(): Promise<void> } | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  const tmp = mkdtempSync(join(tmpdir(), `scenario-${scenario.name}-`));
  const stopProxies = async (): Promise<void> => {
    await Promise.all([proxy, ...more].map((c) => c?.stop()));
    await redis?.stop();
  };
  const dropCleanup = onCleanup(async () => {
    await stopProxies();
    await providers?.stop();
  });
  progress.start(name, Math.ceil(durationS), 'scenario s');
  try {
    providers = await startProviderProcesses({
      profiles: ctx.providers.map((p) => p.profile),
      seed,
      speed,
      epochMs: Date.now() + PENDING_EPOCH_MS,
    });
    const baseUrls = Object.fromEntries(providers.providers.map((p) => [p.id, p.url]));
    if (replicas > 1 && storeMode(name) === 'shared') {
      redis = await (await import('./redis-server.js')).startRedisServer();
      log(`${name}: ${replicas} proxy replicas share state through redis-server pid ${redis.pid} at ${redis.url}`);
    }
    const cacheOn = responseCacheOn(name);
    const syncMs = Math.max(1, Math.round((scenario.replicas?.syncDelayMs ?? 100) / speed));
    const config = {
      ...withWarmupEndpoints(scenarioRouterConfig(scenario, ctx.providers, ref, { baseUrls, speed })),
      server: { port: 0, host: '127.0.0.1', drainTimeoutMs: 500 },
      ...(redis ? { store: { kind: 'redis', url: redis.url, keyPrefix: `scenario|${name}`, syncIntervalMs: syncMs, batchMs: Math.max(1, Math.round(CHARGE_BATCH_MS / speed)), localShare: 1 / replicas, required: true } } : {}),
      // `<s>+cache`: the proxy's response cache on the scenario's model (TTL in wall time), in the shared store under @shared.
      ...(cacheOn ? { cache: { models: [scenario.model], ttlMs: Math.max(1, Math.round(RESPONSE_CACHE_TTL_MS / speed)), ...(redis ? { backend: 'store' } : {}) } } : {}),
    };
    const configFile = join(tmp, 'router.json');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    proxy = spawnTs(`proxy (${name})`, 'router/http/cli.ts', ['--config', configFile, '--port', '0']);
    for (let i = 1; i < replicas; i++) more.push(spawnTs(`proxy ${i + 1}/${replicas} (${name})`, 'router/http/cli.ts', ['--config', configFile, '--port', '0']));
    const died = new Promise<never>((_, reject) => {
      for (const c of [proxy!, ...more])
        c.onUnexpectedExit((e) => {
          abort.abort(e);
          reject(e);
        });
    });
    died.catch(() => {});
    const lines = await Promise.race([Promise.all([proxy, ...more].map((c) => c.waitForLine(/listening on (http:\/\/[^\s/]+)/, 20_000))), died]);
    const origins = lines.map((m) => m[1]!);
    const origin = origins[0]!;
    // Closed loop over several replicas: one loop per replica, the connections split between them.
    const closedLoops = (o: ClosedLoopOptions): Promise<unknown> =>
      Promise.all(
        origins.map((u, i) =>
          runClosedLoop({ ...o, origin: u, connections: Math.max(1, Math.ceil(o.connections / origins.length)), requests: [...o.requests.slice(i), ...o.requests.slice(0, i)] }),
        ),
      );
    // A provider process that dies mid-run: signal 0 probes each PID (an outage keeps the process alive).
    watchdog = setInterval(() => {
      for (const p of providers!.providers) {
        try {
          process.kill(p.pid, 0);
        } catch {
          abort.abort(new ChildDiedError(`provider ${p.id} (pid ${p.pid})`, null, null, ''));
        }
      }
    }, 250);

    // Warm-up: JIT, keep-alive pools; results discarded. It runs on its own copies of the
    // endpoints (router-config.ts WARMUP_PREFIX) and leaves the providers' state alone. Its latencies
    // give W for Little's law (L = λ·W) to size the closed loop's connections.
    const warmupS = Math.max(MIN_WARMUP_S, scenario.http.warmupS);
    let wSum = 0;
    let wN = 0;
    await closedLoops({
      origin,
      model: `${WARMUP_PREFIX}${scenario.model}`,
      warmup: true,
      requests: requests.slice(0, 200),
      ...(scenario.load.maxTokens !== 'exact' ? { maxTokens: scenario.load.maxTokens } : {}),
      durationS: warmupS,
      connections: Math.min(connections, 16),
      rate: undefined,
      timeoutS: Math.ceil(timeoutMs / 1000),
      onSample: (x) => {
        if (x.ok) (wSum += x.latencyMs), wN++;
      },
      signal: abort.signal,
    });
    const measuredW = wN > 0 ? wSum / wN / 1000 : latencyMs / 1000 / speed; // wall s
    // Closed loop: L = λ·W connections keep λ req/s flowing while latency stays at W.
    const closedConnections = scenario.http.connections ?? Math.min(1024, Math.max(2, Math.round(meanRate * speed * measuredW)));
    // t=0: every provider's timeline starts at the instant the first request is due.
    const epochMs = Date.now() + START_MARGIN_MS;
    const tStart = performance.now() + START_MARGIN_MS; // scenario t=0 (wall)
    await providers.setEpoch(epochMs);
    // LLM_ROUTER_HEALTH_TRACE: the proxies write wall times; scenario t = (wallMs - epochMs) x speed.
    const traceFile = healthTraceFile();
    if (traceFile) appendFileSync(traceFile, `${JSON.stringify({ src: 'http-epoch', label: name, epochMs, speed })}\n`);
    await sleep(tStart - performance.now());
    // Past t=0 already (a slow acknowledgement): the open loop sends what is due at once and
    // times it from its intended send time, so every request keeps its scenario time.
    const lateMs = Math.max(0, (performance.now() - tStart) * speed);

    // Measured run: t=0 now, scenario time = wall x speed.
    const metrics = createMetrics({ sloMs: ctx.scenario.slo.p99Ms });
    const tickProgress = setInterval(() => progress.update(Math.min(durationS, ((performance.now() - tStart) / 1000) * speed)), 200);
    const priceAt = new Map(ctx.providers.map((p) => [p.id, new Timeline(p.profile)] as const));
    const record = (s: Sample): void => {
      const tMs = s.sentMs * speed + (driver === 'open-loop' ? lateMs : 0);
      const tl = s.endpoint ? priceAt.get(s.endpoint) : undefined;
      const eff = tl?.at(tMs);
      const listUsd = eff ? (s.inputTokens * eff.priceInput + s.outputTokens * eff.priceOutput) / 1e6 : 0;
      // A response from a prompt-caching upstream: its billed cost, and the savings vs list price (as sim mode counts them).
      const hit = s.responseCache === 'hit';
      // A response-cache hit bills nothing: its list price is what the cache saved.
      const costUsd = hit ? 0 : s.cachedTokens !== undefined && s.billedUsd !== undefined ? s.billedUsd : listUsd;
      metrics.record({
        tMs,
        ok: s.ok,
        latencyMs: s.latencyMs * speed,
        ttftMs: s.ttftMs === undefined ? undefined : s.ttftMs * speed,
        endpointId: s.endpoint,
        errorCode: s.errorKind,
        costUsd,
        attempts: s.attempts,
        attemptEndpoints: hit ? [] : s.tried,
        inputTokens: s.inputTokens,
        outputTokens: s.outputTokens,
        ...(s.cachedTokens !== undefined && !hit ? { cachedTokens: s.cachedTokens, cacheSavingsUsd: listUsd - costUsd } : {}),
        ...(cacheOn ? { responseCacheHit: hit, ...(hit ? { responseCacheSavedUsd: listUsd } : {}) } : {}),
      });
    };
    try {
      if (driver === 'open-loop') {
        await runOpenLoop({
          origin,
          origins,
          model: scenario.model,
          requests,
          speed,
          startMs: lateMs,
          endMs: durationS * 1000,
          connections,
          timeoutMs,
          onSample: record,
          signal: abort.signal,
          ...(scenario.load.declareClass ? { declareClass: true } : {}),
          ...(scenario.load.maxTokens !== 'exact' ? { maxTokens: scenario.load.maxTokens } : {}),
        });
      } else {
        await closedLoops({
          origin,
          model: scenario.model,
          requests,
          durationS: Math.max(0.5, wallDurationS),
          connections: closedConnections,
          rate: undefined,
          timeoutS: Math.ceil(timeoutMs / 1000),
          onSample: record,
          signal: abort.signal,
          ...(scenario.load.declareClass ? { declareClass: true } : {}),
          ...(scenario.load.maxTokens !== 'exact' ? { maxTokens: scenario.load.maxTokens } : {}),
        });
      }
    } finally {
      clearInterval(tickProgress);
    }
    if (abort.signal.aborted) throw abort.signal.reason;
    const fault = primaryFault(ctx.providers, durationS);
    const { summary, timeline } = metrics.summarize({ durationS, ...(fault ? { fault } : {}) });
    if (summary.cachedTokenShare !== undefined) {
      // The oracle placement's share over the same workload (scenario time), as sim mode reports it.
      const oracle = createCacheOracle(ctx.providers.map((p) => p.profile));
      for (const r of requests) oracle?.observe(r, r.arrivalMs);
      if (oracle) summary.oracleCachedTokenShare = oracle.share();
    }
    progress.update(durationS, `ok ${(100 * (1 - summary.errorRate)).toFixed(1)}%`);
    const result: StrategyResult = { strategy: name, summary, timeline };
    if (typeof ref !== 'string' && Object.keys(ref.params).length) result.params = ref.params;
    return result;
  } catch (e) {
    throw abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason : e;
  } finally {
    if (watchdog) clearInterval(watchdog);
    progress.stop();
    await stopProxies();
    await providers?.stop();
    dropCleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}
