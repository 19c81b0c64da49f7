// One proxy for bench/stream-check.ts, from the checkout given (the current one, or a "before" one).
const [root, port] = process.argv.slice(2);
const { startProxy } = (await import(`${root}/router/http/start.ts`)) as typeof import('../../router/http/start.js');
const p = await startProxy({ endpoints: [{ provider: 'p', model: 'm', base_url: `http://127.0.0.1:${port}/v1` }], server: { port: 0 } });
console.log(`listening ${new URL(p.url).port}`);
