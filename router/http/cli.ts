#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { RouterError } from '../core/errors.js';
import { loadProxyConfig, missingKeyEnvs } from './config.js';
import { startProxy } from './start.js';
import { healthTraceFile, healthTracer } from './health-trace.js';

/**
 * `npm run router -- --config <file> [--port N] [--host H]` (through tsx), or compiled:
 * `npm run build`, then `node dist/router/http/cli.js ...`, which is also the package's
 * `llm-router-proxy` bin (about 35 MB less RSS than running it through tsx).
 *
 * Starts the OpenAI-compatible proxy. The config is validated before anything
 * listens; a bad file prints every bad field and exits with status 2. SIGTERM /
 * SIGINT drain in-flight requests (server.drainTimeoutMs), then exit 0 when every
 * request finished, or 3 when the drain deadline cut some (each got an SSE error event
 * or a 503); a second signal exits at once (1). SIGHUP re-reads the config file: validated
 * first (a bad file keeps the running config and logs why), requests in flight finish where
 * they started, and unchanged endpoints keep their stats and health. SIGUSR2 reopens the
 * access log (server.access_log) after a rotation. API keys are never printed: only the
 * names of unset vars.
 */

/** Exit status when the drain deadline cut requests (2 is bad input, 1 an error or a second signal). */
const EXIT_DRAIN_DEADLINE = 3;

const USAGE =
  'usage: llm-router-proxy --config <file.yaml|json> [--port N] [--host H] [--check]\n' +
  '       (from a checkout: npm run router -- --config <file> ...)\n' +
  '  --check  validate the config and exit (0 valid, 2 invalid) without listening\n' +
  '  SIGHUP   reload the config file (validated first; a bad file keeps the running config)';

async function main(): Promise<void> {
  let values: { config?: string; port?: string; host?: string; help?: boolean; check?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.config) fail(`--config is required\n${USAGE}`);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`--port: expected an integer 0..65535, got "${values.port}"`);
  }

  let config;
  try {
    config = loadProxyConfig(values.config);
  } catch (e) {
    fail(e instanceof RouterError ? e.message : String(e));
  }
  for (const w of missingKeyEnvs(config.endpoints)) console.error(`warning: ${w} (requests to it go without Authorization)`);
  if (values.check) {
    console.log(`${values.config}: valid (${config.endpoints.length} endpoints, models ${[...new Set(config.endpoints.map((e) => e.model))].join(', ')})`);
    return;
  }

  const log = (line: string): void => console.error(line);
  const proxy = await startProxy(config, { port, host: values.host, log }).catch((e: unknown) => {
    fail(e instanceof RouterError ? e.message : `cannot start: ${(e as Error).message}`);
  });

  // LLM_ROUTER_HEALTH_TRACE=<file>: health transitions and probes as JSON lines (debugging; the first router only).
  const trace = healthTracer(healthTraceFile(), { src: 'http', pid: process.pid });
  if (trace) proxy.router.on(trace);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.error(`${signal}: draining ${proxy.server.inFlight()} in-flight request(s)...`);
    proxy.close().then(
      (drained) => {
        if (!drained) console.error(`${signal}: drain deadline passed; open requests were cut (each told so)`);
        process.exit(drained ? 0 : EXIT_DRAIN_DEADLINE);
      },
      (e: unknown) => {
        console.error(`shutdown error: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  const file = values.config;
  process.on('SIGHUP', () => {
    if (stopping) return;
    let next, r;
    try {
      next = loadProxyConfig(file);
      r = proxy.reload(next); // builds the new router first: a bad strategy param throws here, nothing swapped
    } catch (e) {
      return void console.error(`SIGHUP: kept the running config; ${file} is not valid:\n${e instanceof RouterError ? e.message : String(e)}`);
    }
    for (const w of missingKeyEnvs(next.endpoints)) console.error(`warning: ${w} (requests to it go without Authorization)`);
    console.error(
      `SIGHUP: reloaded ${file} (${next.endpoints.length} endpoints; kept stats of ${r.kept.length}, fresh ${r.fresh.join(', ') || 'none'}, removed ${r.removed.join(', ') || 'none'}; response cache ${r.cache})` +
        (r.serverChanged ? '; the server section changed: restart to apply it' : ''),
    );
  });
  // Log rotation: the rotator moves the file away, then SIGUSR2 makes the proxy open a new one.
  process.on('SIGUSR2', () => void proxy.server.accessLog?.reopen());
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Only now: whoever waits for this line may signal at once, and the handlers must be there.
  const strategy = typeof config.router.strategy === 'object' ? config.router.strategy.name : (config.router.strategy ?? 'round-robin');
  console.log(`llm-router listening on ${proxy.url}/v1 (${config.endpoints.length} endpoints, strategy ${strategy})`);
}

function fail(msg: string): never {
  console.error(msg);
  process.exit(2);
}

void main();
