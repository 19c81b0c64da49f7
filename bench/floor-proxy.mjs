// The floor for bench/proxy.ts part (a): the least a proxy built on the same stack
// (node:http in front, an undici Pool with keep-alive behind) does per request. No config,
// routing, validation, metrics, health, timeouts or access log: read the body, forward it
// untouched round-robin over the upstream origins given as arguments (undici's
// callback-style dispatch, no promises or streams), and answer with the upstream's status
// and bytes. Plain JS run by plain node, so its CPU per request is the stack's own.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const pools = process.argv.slice(2).map((origin) => new Pool(origin));
let next = 0;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const out = [];
    let status = 502;
    pools[next++ % pools.length].dispatch(
      { method: 'POST', path: req.url, headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) },
      {
        onConnect() {},
        onHeaders(code) {
          status = code;
          return true;
        },
        onData(c) {
          out.push(c);
          return true;
        },
        onComplete() {
          const body = Buffer.concat(out);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
          res.end(body);
        },
        onError() {
          res.writeHead(502, { 'content-length': 0 });
          res.end();
        },
      },
    );
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
