/**
 * Micro-benchmark behind the header filter of the undici transport
 * (router/transport/upstream-call.ts keptHeaders): skipping names by length before decoding
 * them, against decoding and looking up every name. Run:
 *
 *   npx tsx bench/header-filter.ts [--rounds 15] [--calls 200000]
 *
 * Interleaved rounds (the order alternates), a typical OpenAI-style response head of 16
 * headers; prints µs per response head for each, the median ratio and in how many rounds
 * the filter was the faster one.
 */
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { keptHeaders } from '../router/transport/upstream-call.js';

const USAGE = 'usage: npx tsx bench/header-filter.ts [--rounds N] [--calls N]';
const parsed = scriptArgs(process.argv.slice(2), { rounds: { type: 'string' }, calls: { type: 'string' } }, USAGE);
if (typeof parsed === 'number') process.exit(parsed);
const rounds = Number(parsed.values.rounds ?? 15);
const calls = Number(parsed.values.calls ?? 200_000);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(calls) || calls < 1) {
  process.stderr.write(`--rounds and --calls take positive integers\n${USAGE}\n`);
  process.exit(2);
}

const HEAD: Array<[string, string]> = [
  ['Date', 'Thu, 03 Dec 2026 02:00:00 GMT'],
  ['Content-Type', 'text/event-stream; charset=utf-8'],
  ['Transfer-Encoding', 'chunked'],
  ['Connection', 'keep-alive'],
  ['access-control-expose-headers', 'X-Request-ID'],
  ['openai-organization', 'org-xyz'],
  ['openai-processing-ms', '231'],
  ['openai-version', '2020-10-01'],
  ['strict-transport-security', 'max-age=31536000; includeSubDomains; preload'],
  ['x-ratelimit-limit-requests', '10000'],
  ['x-ratelimit-limit-tokens', '2000000'],
  ['x-ratelimit-remaining-requests', '9999'],
  ['x-ratelimit-remaining-tokens', '1999000'],
  ['x-request-id', 'req_0123456789abcdef'],
  ['cf-cache-status', 'DYNAMIC'],
  ['Server', 'cloudflare'],
];
const raw: Buffer[] = HEAD.flatMap(([k, v]) => [Buffer.from(k, 'latin1'), Buffer.from(v, 'latin1')]);

const KEPT = new Set(['content-type', 'retry-after', 'retry-after-ms', 'x-request-id']);
/** The plain way: decode every name, then look it up. */
function decodeAll(rawHeaders: Buffer[]): Record<string, string | undefined> {
  const h: Record<string, string | undefined> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const k = rawHeaders[i]!.toString('latin1').toLowerCase();
    if (!KEPT.has(k)) continue;
    const v = rawHeaders[i + 1]!.toString('latin1');
    const prev = h[k];
    h[k] = prev === undefined ? v : `${prev}, ${v}`;
  }
  return h;
}

if (JSON.stringify(keptHeaders(raw)) !== JSON.stringify(decodeAll(raw))) throw new Error('the two filters disagree');

let sink = 0;
function time(fn: (r: Buffer[]) => Record<string, string | undefined>): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink += Object.keys(fn(raw)).length;
  return Number(process.hrtime.bigint() - t0) / 1000 / calls; // µs per head
}

time(keptHeaders);
time(decodeAll); // warm-up
const filtered: number[] = [];
const plain: number[] = [];
for (let r = 0; r < rounds; r++) {
  if (r % 2 === 0) {
    filtered.push(time(keptHeaders));
    plain.push(time(decodeAll));
  } else {
    plain.push(time(decodeAll));
    filtered.push(time(keptHeaders));
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ratios = filtered.map((f, i) => f / plain[i]!);
const wins = ratios.filter((x) => x < 1).length;
console.log(
  `length filter ${median(filtered).toFixed(3)} µs/head, decode all ${median(plain).toFixed(3)} µs/head; ` +
    `ratio median ${median(ratios).toFixed(3)} [min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}]; ` +
    `filter faster in ${wins}/${rounds} rounds (${sink > 0 ? 'ok' : ''})`,
);
