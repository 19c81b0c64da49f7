import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small synthetic scenario for the tune and gate tests: three hosts of one model,
 * no faults, identical prices; `slow` is 3x slower (3x the time to first token, a third
 * of the tokens per second). Written to a temp dir; profiles resolve by name.
 */
export const SLOW_SCENARIO_YAML = `
name: tune-three-x-slower
description: three equal hosts except one 3x slower
question: Which strategy keeps p99 lowest when one host is 3x slower?
headline: { metrics: [latencyMs.p99], expectedWinner: weighted }
seed: 7
model: chat
providers:
  - profile: openai-gpt-4o-mini
    id: fast-a
    overrides: { ttft: { medianMs: 300, sigma: 0.3 }, throughput: { tokensPerSecond: 90 }, failures: { baseErrorRate: 0, bursty: null } }
  - profile: openai-gpt-4o-mini
    id: fast-b
    overrides: { ttft: { medianMs: 300, sigma: 0.3 }, throughput: { tokensPerSecond: 90 }, failures: { baseErrorRate: 0, bursty: null } }
  - profile: openai-gpt-4o-mini
    id: slow
    overrides: { ttft: { medianMs: 900, sigma: 0.3 }, throughput: { tokensPerSecond: 30 }, failures: { baseErrorRate: 0, bursty: null } }
load:
  arrivals: poisson
  rate: 20
  durationS: 20
  mix:
    - { class: general, inputTokens: { median: 200, sigma: 0.5 }, outputTokens: { median: 80, sigma: 0.4 } }
strategies: [weighted, round-robin]
slo: { p99Ms: 20000, errorRate: 0.05 }
`;

export function writeSlowScenario(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tune-test-'));
  const file = join(dir, 'tune-three-x-slower.yaml');
  writeFileSync(file, SLOW_SCENARIO_YAML);
  return { dir, file };
}
