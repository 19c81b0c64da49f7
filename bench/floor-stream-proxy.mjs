// The floor for bench/proxy.ts part (c), as a proxy: the least memory a forwarding proxy on
// node's own stack holds N concurrent streams in. node:http in front; behind it one
// cleartext HTTP/2 session (prior knowledge, as the proxy's `http2: true` endpoints use) per
// upstream origin given as arguments, round-robin. No config, routing, validation, metrics,
// health, timeouts or access log: read the body, forward it, copy the status and the bytes
// back as they come. Plain JS run by plain node, so its RSS is the stack's own: the
// SSE-server floor (floor-sse-server.mjs) holds no upstream streams at all.
import { createServer } from 'node:http';
import { connect } from 'node:http2';

const origins = process.argv.slice(2);
const sessions = new Map();
function session(origin) {
  let s = sessions.get(origin);
  if (s === undefined || s.closed || s.destroyed) {
    s = connect(origin);
    s.on('error', () => sessions.delete(origin));
    s.on('close', () => sessions.delete(origin));
    sessions.set(origin, s);
  }
  return s;
}
let next = 0;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const up = session(origins[next++ % origins.length]).request({
      ':method': 'POST',
      ':path': req.url,
      'content-type': 'application/json',
    });
    up.on('response', (h) => res.writeHead(h[':status'], { 'content-type': h['content-type'] ?? 'application/octet-stream' }));
    up.on('data', (c) => res.write(c));
    up.on('end', () => res.end());
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-length': 0 });
      res.end();
    });
    res.on('close', () => up.close());
    up.end(Buffer.concat(chunks));
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
