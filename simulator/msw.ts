import { http, HttpResponse, type HttpHandler } from 'msw';
import { systemClock, type Clock } from '../router/core/clock.js';
import type { ProviderProfile } from './profile.js';
import { createProviderModel, createProviderState } from './model.js';
import { assertNever, OUTAGE_MODES } from './fault-kinds.js';
import {
  healthBody,
  modelsBody,
  planResponse,
  simRequestFromChat,
  sseEvent,
  WireError,
  wireErrorBody,
  type WirePlan,
} from './openai-wire.js';

/**
 * msw handlers for one provider profile: the same model and the same wire plan
 * (openai-wire.ts) as the real server, so a test gets the same status, tokens and
 * failure kind for the same seed and request id. TESTS ONLY: msw is slow and leaks
 * memory under load; load runs use the real servers (server.ts).
 *
 * Faults map to fetch-visible behaviour: refused/reset -> a network error
 * (Response.error()); hang -> no answer until the request is aborted; stream cut ->
 * the SSE body closes without `[DONE]`; malformed -> invalid JSON. A client that aborts
 * frees the provider slot at once only for a hang or an open stream; an answer, a reset
 * or a stream's first event is waited for first, as in the server (server.ts `holdMs`).
 */

export interface ProviderHandlerOptions {
  /** e.g. `http://openai.sim/v1`; handlers answer `${baseUrl}/chat/completions` etc. */
  baseUrl: string;
  seed?: string | number;
  /** Time compression (modelled delays are divided by it). Default 1. */
  speed?: number;
  clock?: Clock;
  /** Minimum real ms between SSE chunks, default 20. */
  minChunkMs?: number;
}

export function createProviderHandlers(profile: ProviderProfile, opts: ProviderHandlerOptions): HttpHandler[] {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const seed = opts.seed ?? 1;
  const speed = opts.speed ?? 1;
  const clock = opts.clock ?? systemClock;
  const minChunkMs = (opts.minChunkMs ?? 20) * speed;
  const model = createProviderModel(profile, seed);
  const state = createProviderState();
  const t0 = clock.now();
  let counter = 0;
  const scenarioNow = (): number => (clock.now() - t0) * speed;
  const sleep = (scenarioMs: number, signal?: AbortSignal): Promise<void> =>
    scenarioMs > 0 ? clock.sleep(scenarioMs / speed, signal) : Promise.resolve();
  /** Sleep until `atMs` scenario ms after the request arrived (as server.ts: lateness does not accumulate chunk by chunk). */
  const until = (arrived: number, atMs: number, signal?: AbortSignal): Promise<void> => sleep(arrived + atMs - scenarioNow(), signal);
  const json = (status: number, body: string): Response =>
    new HttpResponse(body, { status, headers: { 'content-type': 'application/json' } });

  return [
    http.get(`${base.replace(/\/v1$/, '')}/health`, () => {
      const o = model.effectsAt(scenarioNow()).outage;
      if (o !== null && OUTAGE_MODES[o].dropsConnections) return HttpResponse.error();
      return json(o === 'http_503' ? 503 : 200, healthBody(profile, o === null));
    }),
    http.get(`${base}/models`, () => json(200, modelsBody(profile))),
    http.post(`${base}/chat/completions`, async ({ request }) => {
      let body: unknown;
      try {
        body = JSON.parse(await request.text());
      } catch {
        return json(400, wireErrorBody(400, 'body: invalid JSON'));
      }
      let parsed;
      try {
        parsed = simRequestFromChat(body, (n) => request.headers.get(n), counter++, profile, seed);
      } catch (e) {
        if (e instanceof WireError) return json(e.status, wireErrorBody(e.status, e.message));
        throw e;
      }
      const arrived = scenarioNow();
      const now = parsed.nowMs ?? arrived;
      let o;
      try {
        // Warm-up traffic (openai-wire.ts ParsedChat.warmup) is answered without touching the state, as the real server does.
        o = parsed.warmup ? model.outcome(parsed.req, now, 0) : model.outcome(parsed.req, now, state.inFlight, state);
      } catch (e) {
        return json(400, wireErrorBody(400, (e as Error).message));
      }
      if (!parsed.warmup) model.admit(state, now, parsed.req, o);
      const release = (): void => {
        if (!parsed.warmup) model.release(state);
      };
      const plan = planResponse(o, parsed.req, profile, { minChunkMs, speed });
      if (plan.type !== 'stream') {
        try {
          return await respond(plan, arrived, request.signal);
        } finally {
          release();
        }
      }
      return stream(plan, arrived, request.signal, release);
    }),
  ];

  async function respond(plan: Exclude<WirePlan, { type: 'stream' }>, arrived: number, signal: AbortSignal): Promise<Response> {
    switch (plan.type) {
      case 'refuse':
        return HttpResponse.error();
      case 'reset':
        await until(arrived, plan.atMs);
        return HttpResponse.error();
      case 'hang':
        await untilAborted(signal);
        return HttpResponse.error();
      case 'json':
        await until(arrived, plan.atMs);
        return new HttpResponse(plan.body, { status: plan.status, headers: plan.headers });
      default:
        return assertNever(plan, 'wire plan');
    }
  }

  async function stream(plan: Extract<WirePlan, { type: 'stream' }>, arrived: number, signal: AbortSignal, release: () => void): Promise<Response> {
    const first = plan.events.length > 0 ? plan.events[0]!.atMs : (plan.headMs ?? plan.endMs);
    await until(arrived, first);
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          for (const ev of plan.events) {
            await until(arrived, ev.atMs, signal);
            controller.enqueue(enc.encode(sseEvent(ev.data)));
          }
          if (plan.endMs === Infinity) await untilAborted(signal); // a stall: nothing more until the client gives up
          else await until(arrived, plan.endMs, signal);
          controller.close();
        } catch (e) {
          controller.error(e);
        } finally {
          release();
        }
      },
    });
    return new HttpResponse(body, { status: 200, headers: plan.headers });
  }
}

/** Resolves when `signal` aborts (at once if it already has). */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
