// The floor for bench/proxy.ts part (c): the least a node:http server can hold 2,000
// concurrent SSE streams in. No upstream, no router, no validation, no metrics: each
// POST gets 30 chunk-sized SSE events 100 ms apart (the slow mock's cadence), then
// [DONE]. Plain JS run by plain node, so its RSS is node:http's and nothing else's.
import { createServer } from 'node:http';

const CHUNK = `data: ${JSON.stringify({ id: 'chatcmpl-floor', object: 'chat.completion.chunk', created: 0, model: 'slow', choices: [{ index: 0, delta: { content: ' tok tok' }, finish_reason: null }] })}\n\n`;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let sent = 0;
    const timer = setInterval(() => {
      res.write(CHUNK);
      if (++sent < 30) return;
      clearInterval(timer);
      res.end('data: [DONE]\n\n');
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
