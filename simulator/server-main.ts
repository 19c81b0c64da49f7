import { parseArgs } from 'node:util';
import { loadProfile, parseProfile, type ProviderProfile } from './profile.js';
import { startProviderServer } from './server.js';

/**
 * Process entry for one mock provider (spawned by processes.ts, one per provider, so
 * providers never share an event loop with the router). Prints one JSON line on
 * stdout when listening: {"event":"listening","id","url","port","pid"}. Exits on
 * SIGINT/SIGTERM, and when the parent's IPC channel closes (the parent died).
 * The IPC message {"type":"epoch","epochMs":E} restarts scenario time at wall time E
 * (Date.now() ms; may lie ahead) and is answered {"event":"epoch","epochMs":E}: the
 * scenario runner sets t=0 when it starts measuring, however long start-up took.
 *
 *   node --import tsx simulator/server-main.ts --profile FILE | --profile-json JSON
 *        [--port N] [--seed N] [--speed X] [--epoch-ms MS] [--min-chunk-ms MS]
 */

function fail(msg: string): never {
  process.stderr.write(`provider: ${msg}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string' },
      'profile-json': { type: 'string' },
      port: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      speed: { type: 'string', default: '1' },
      'epoch-ms': { type: 'string' },
      'min-chunk-ms': { type: 'string', default: '20' },
    },
    strict: true,
  });
  const num = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) fail(`--${name}: expected a non-negative number, got ${JSON.stringify(v)}`);
    return n;
  };
  let profile: ProviderProfile;
  if (values['profile-json'] !== undefined) profile = parseProfile(JSON.parse(values['profile-json']), '--profile-json');
  else if (values.profile !== undefined) profile = loadProfile(values.profile);
  else fail('give --profile FILE or --profile-json JSON');
  const speed = num('speed', values.speed);
  if (speed <= 0) fail('--speed: must be > 0');
  const epoch = values['epoch-ms'] === undefined ? undefined : num('epoch-ms', values['epoch-ms']);
  const server = await startProviderServer(profile, {
    port: num('port', values.port),
    seed: /^\d+$/.test(values.seed!) ? Number(values.seed) : values.seed!,
    speed,
    minChunkMs: num('min-chunk-ms', values['min-chunk-ms']),
    // An epoch ahead of now (negative elapsed): scenario time is < 0 until it comes.
    elapsedMs: epoch === undefined ? 0 : Date.now() - epoch,
  });
  process.on('message', (m: unknown) => {
    const e = (m as { type?: unknown; epochMs?: unknown } | null) ?? {};
    if (e.type !== 'epoch' || typeof e.epochMs !== 'number' || !Number.isFinite(e.epochMs)) return;
    server.setOrigin(Date.now() - e.epochMs);
    process.send?.({ event: 'epoch', epochMs: e.epochMs });
  });
  process.stdout.write(`${JSON.stringify({ event: 'listening', id: server.id, url: server.url, port: server.port, pid: process.pid })}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
