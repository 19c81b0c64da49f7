import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted upstream on 127.0.0.1 (ephemeral port) for transport and proxy tests: the
 * handler gets each request with its body read; each test file picks behaviours by the
 * request's model name.
 */
export interface StubUpstream {
  server: Server;
  /** `http://127.0.0.1:<port>/v1` */
  base: string;
  close(): Promise<void>;
}

export async function startStubUpstream(handle: (req: IncomingMessage, res: ServerResponse, raw: string) => void): Promise<StubUpstream> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => handle(req, res, raw));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Answer with an SSE stream of `data: <chunk>` events, with or without the final [DONE]. */
export function sse(res: ServerResponse, chunks: string[], done: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const c of chunks) res.write(`data: ${c}\n\n`);
  if (done) res.end('data: [DONE]\n\n');
  else res.end();
}
