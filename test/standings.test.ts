/**
 * The standings of adaptive and latency against the peer baselines (scenarios/stats/standings.ts):
 * the dominance rule on hand-made paired seeds and the README table rendered from the committed
 * docs/standings.json. The sim regression that re-runs adaptive, round-robin and the best peer
 * on every scenario against the pinned advantages is in test/scenario-expected-winner.test.ts,
 * on the same simulated seeds as each scenario's verdict. After a deliberate change, regenerate
 * with `npm run standings -- --json docs/standings.json --readme README.md`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StrategyResult } from '../reports/contract.js';
import { dominance, dominanceMetrics, standings, standingsTable, STANDINGS_STRATEGIES, type Standings } from '../scenarios/stats/standings.js';

const ROOT = resolve(import.meta.dirname, '..');
const pinned = JSON.parse(readFileSync(resolve(ROOT, 'docs', 'standings.json'), 'utf8')) as Standings[];

/** A result with just the metrics the dominance rule reads. */
function run(strategy: string, p99: number, errorRate: number, costPer1kOk: number, qualityOk?: number): StrategyResult {
  return { strategy, summary: { latencyMs: { p99 }, errorRate, costPer1kOk, ...(qualityOk !== undefined ? { qualityOk } : {}) } } as unknown as StrategyResult;
}

describe('dominance', () => {
  it('a peer better on p99 on every seed and level elsewhere dominates', () => {
    const seeds = [0, 1, 2, 3, 4].map((i) => [run('ours', 1000 + 10 * i, 0.01, 0.2), run('peer', 900 + 10 * i + (i % 2), 0.01, 0.2)]);
    const d = dominance(seeds, 'ours', 'peer');
    expect(d.advantage['latencyMs.p99']!.lo).toBeGreaterThan(0);
    expect(d.dominated).toBe(true);
  });

  it('a peer better on p99 but significantly dearer does not dominate', () => {
    const seeds = [0, 1, 2, 3, 4].map((i) => [run('ours', 1000 + 10 * i, 0.01, 0.2 + 0.001 * i), run('peer', 900 + 10 * i + (i % 2), 0.01, 0.3 + 0.001 * i + 0.0005 * (i % 2))]);
    expect(dominance(seeds, 'ours', 'peer').dominated).toBe(false);
  });

  it('differences inside the seed noise dominate nothing', () => {
    const seeds = [0, 1, 2, 3, 4].map((i) => [run('ours', 1000, 0.01, 0.2), run('peer', i % 2 ? 950 : 1060, 0.01, 0.2)]);
    expect(dominance(seeds, 'ours', 'peer').dominated).toBe(false);
  });
});

describe('the cost axis: billed answers or every attempt (--cost attempts)', () => {
  // The peer is faster on every seed; billed, ours is cheaper; counting every attempt (ours hedges
  // and retries more), both cost the same.
  const seeds = [0, 1, 2, 3, 4].map((i) =>
    STANDINGS_STRATEGIES.map((n) => {
      const peer = n === 'baseline-envoy-least-request';
      const r = run(n, peer ? 900 + 10 * i + (i % 2) : 1000 + 10 * i, 0.01, peer ? 0.3 + 0.001 * i + 0.0005 * (i % 2) : 0.2 + 0.001 * i);
      (r.summary as { attemptCostPer1kOk?: number }).attemptCostPer1kOk = 0.3 + 0.001 * i;
      return r;
    }),
  );

  it('a peer that only looks dearer because it wastes fewer attempts dominates on attempt spend, not on the bill', () => {
    const billed = standings('x', ['latencyMs.p99'], seeds);
    expect(billed.dominatedBy.adaptive).not.toContain('baseline-envoy-least-request');
    expect(billed.dominanceMetrics).toBeUndefined();
    const attempts = standings('x', ['latencyMs.p99'], seeds, undefined, 0, 'attemptCostPer1kOk');
    expect(attempts.dominanceMetrics).toEqual(['latencyMs.p99', 'errorRate', 'attemptCostPer1kOk']);
    expect(attempts.dominatedBy.adaptive).toContain('baseline-envoy-least-request');
  });
});

describe('dominance with quality (scenarios whose headline metrics include qualityOk)', () => {
  // The peer is faster and cheaper on every seed, because it gives significantly fewer acceptable answers.
  const seeds = [0, 1, 2, 3, 4].map((i) => [run('ours', 1000 + 10 * i, 0.01, 0.5 + 0.01 * i, 0.84 + 0.001 * i), run('peer', 900 + 10 * i + (i % 2), 0.01, 0.3 + 0.01 * i, 0.77 + 0.001 * i + 0.0005 * (i % 2))]);

  it('judges quality (higher is better) only where a headline metric is qualityOk', () => {
    expect(dominanceMetrics(['qualityOk', 'costPer1kOk'])).toEqual(['latencyMs.p99', 'errorRate', 'costPer1kOk', 'qualityOk']);
    expect(dominanceMetrics(['costPer1kOk', 'qualityOk'])).toContain('qualityOk');
    expect(dominanceMetrics(['goodputRps', 'errorRate'])).toEqual(['latencyMs.p99', 'errorRate', 'costPer1kOk']);
  });

  it('a peer cheaper and faster because it answers worse does not dominate; without quality it would', () => {
    expect(dominance(seeds, 'ours', 'peer').dominated).toBe(true);
    const d = dominance(seeds, 'ours', 'peer', undefined, dominanceMetrics(['qualityOk']));
    expect(d.advantage.qualityOk!.hi).toBeLessThan(0); // the peer is worse on quality
    expect(d.dominated).toBe(false);
  });

  it('standings() applies it from the headline list and records the metrics', () => {
    // Every strategy of a standings run: adaptive as `ours`, Envoy as `peer`, the rest as ours.
    const per = seeds.map(([ours, peer]) => STANDINGS_STRATEGIES.map((n) => ({ ...(n === 'baseline-envoy-least-request' ? peer! : ours!), strategy: n })));
    const withQ = standings('x', ['qualityOk', 'costPer1kOk'], per);
    expect(withQ.dominanceMetrics).toEqual(['latencyMs.p99', 'errorRate', 'costPer1kOk', 'qualityOk']);
    expect(withQ.dominatedBy.adaptive).not.toContain('baseline-envoy-least-request');
    const without = standings('x', ['costPer1kOk'], per);
    expect(without.dominanceMetrics).toBeUndefined();
    expect(without.dominatedBy.adaptive).toContain('baseline-envoy-least-request');
  });
});

describe('README standings table', () => {
  it('is the table rendered from docs/standings.json', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(standingsTable(pinned));
  });

  it('marks with ✓ exactly the strategies nothing dominates', () => {
    const table = standingsTable(pinned).split('\n').slice(2);
    expect(table).toHaveLength(pinned.length);
    for (const [i, s] of pinned.entries()) {
      const cells = table[i]!.split(' | ').slice(1);
      expect(cells.filter((c) => c.includes('✓')).length).toBe(Object.values(s.dominatedBy).filter((by) => by.length === 0).length);
    }
  });
});
