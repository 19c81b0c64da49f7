// A paced SSE upstream for bench/stream-check.ts: each stream is EVENTS OpenAI-style chunk
// events, one socket write every PACE_MS (one event per segment, as real providers send), then [DONE].
import { createServer } from 'node:http';

const ev = (i) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench-0123456789', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: ` quick brown fox ${i}` }, finish_reason: null }] })}\n\n`;
const N = Number(process.env.EVENTS ?? 400);
const PACE = Number(process.env.PACE_MS ?? 2);
createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const t = setInterval(() => {
      if (i < N) res.write(ev(i++));
      else {
        clearInterval(t);
        res.end('data: [DONE]\n\n');
      }
    }, PACE);
  });
}).listen(0, '127.0.0.1', function () {
  console.log(`listening ${this.address().port}`);
});
