#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { RouterError } from '../core/errors.js';
import { loadProxyConfig, missingKeyEnvs } from './config.js';
import { startProxy } from './start.js';

/**
 * `npm run router -- --config <file> [--port N] [--host H]` (through tsx), or compiled:
 * `npm run build`, then `node dist/router/http/cli.js ...`, which is also the package's
 * `llm-router-proxy` bin (about 35 MB less RSS than running it through tsx).
 *
 * Starts the OpenAI-compatible proxy. The config is validated before anything
 * listens; a bad file prints every bad field and exits with status 2. SIGTERM /
 * SIGINT drain in-flight requests (server.drainTimeoutMs), then exit 0; a second
 * signal exits at once. SIGUSR2 reopens the access log (server.access_log) after a
 * rotation. API keys are never printed: only the names of unset vars.
 */

const USAGE =
  'usage: llm-router-proxy --config <file.yaml|json> [--port N] [--host H]\n' +
  '       (from a checkout: npm run router -- --config <file> ...)';

async function main(): Promise<void> {
  let values: { config?: string; port?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
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

  const log = (line: string): void => console.error(line);
  const proxy = await startProxy(config, { port, host: values.host, log }).catch((e: unknown) => {
    fail(e instanceof RouterError ? e.message : `cannot start: ${(e as Error).message}`);
  });
  const strategy = typeof config.router.strategy === 'object' ? config.router.strategy.name : (config.router.strategy ?? 'round-robin');
  console.log(`llm-router listening on ${proxy.url}/v1 (${config.endpoints.length} endpoints, strategy ${strategy})`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.error(`${signal}: draining ${proxy.server.inFlight()} in-flight request(s)...`);
    proxy.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(`shutdown error: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  // Log rotation: the rotator moves the file away, then SIGUSR2 makes the proxy open a new one.
  process.on('SIGUSR2', () => void proxy.server.accessLog?.reopen());
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function fail(msg: string): never {
  console.error(msg);
  process.exit(2);
}

void main();
