/**
 * What a class-aware pick adds per request in the proxy (adaptive's classAware 'classify', the
 * classifier strategy; adaptive's default 'declared' never classifies): promptText + the shipped classifier on one request, uncached. Run:
 *
 *   npx tsx bench/classify.ts [--rounds 7] [--calls 20000]
 *
 * Four prompts (three short ones of different classes, one of ~1,700 characters), cycled;
 * prints µs per call per round and their median. The sim classifies each distinct prompt text
 * once (memoised); the proxy does it once per request (retries reuse it).
 */
import { scriptArgs } from '../scenarios/cli/strict-args.js';
import { defaultClassifier } from '../router/classifier/index.js';
import { promptText } from '../router/classifier/prompt-text.js';
import type { RouteRequest } from '../router/core/types.js';

const USAGE = 'usage: npx tsx bench/classify.ts [--rounds N] [--calls N]';
const parsed = scriptArgs(process.argv.slice(2), { rounds: { type: 'string' }, calls: { type: 'string' } }, USAGE);
if (typeof parsed === 'number') process.exit(parsed);
const rounds = Number(parsed.values.rounds ?? 7);
const calls = Number(parsed.values.calls ?? 20_000);
for (const [k, v] of [['--rounds', rounds], ['--calls', calls]] as const)
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`${k} takes a positive integer\n${USAGE}\n`);
    process.exit(2);
  }

const texts = [
  'Write a short poem about the sea and the wind at night.',
  'Solve for x: 3x + 7 = 22, and show each step of your work.',
  'Implement a function in Python that merges two sorted lists into one sorted list.',
  'Context from earlier in the conversation. '.repeat(40) + 'What is the capital of France?',
];
const requests: RouteRequest[] = texts.map((t) => ({ model: 'm', messages: [{ role: 'user', content: t }] }));
const classifier = defaultClassifier();
let sink = 0;
const run = (k: number): void => {
  for (let i = 0; i < k; i++) sink += classifier.classify(promptText(requests[i % requests.length]!)).label.length;
};
run(2_000); // warm-up
const perCall: number[] = [];
for (let r = 0; r < rounds; r++) {
  const t0 = process.hrtime.bigint();
  run(calls);
  perCall.push(Number(process.hrtime.bigint() - t0) / calls / 1_000);
}
const sorted = [...perCall].sort((a, b) => a - b);
console.log(`classify + promptText, ${calls} calls x ${rounds} rounds: ${perCall.map((x) => x.toFixed(1)).join(' ')} µs/call; median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs (checksum ${sink})`);
