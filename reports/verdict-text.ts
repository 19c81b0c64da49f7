import type { MetricVerdict, PairVerdict, Verdict } from './contract.js';

/**
 * Verdicts as sentences, for the terminal and report.html:
 *   "latency beats round-robin on p99 by 31% (24–38%, 10 seeds)"
 *   "weighted vs adaptive on error rate: no significant difference (weighted ahead by 0.1 pp, -0.2–0.4 pp, 10 seeds)"
 * A rate (error rate, quality) differs in percentage points; anything else relative to the
 * beaten strategy's mean (in its unit when that mean is 0).
 */

const num = (x: number, digits: number): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** Digits that keep the interval's ends apart (2 significant digits of its width, 0..4 decimals). */
function digitsFor(lo: number, hi: number): number {
  const w = Math.abs(hi - lo);
  if (!(w > 0)) return 1;
  return Math.min(4, Math.max(0, 1 - Math.floor(Math.log10(w))));
}

/** The advantage and its interval in the metric's words: "31% (24–38%" or "1.2 pp (0.8–1.6 pp". */
export function amount(v: Pick<MetricVerdict, 'diff' | 'unit'> & Partial<Pick<MetricVerdict, 'better'>>, p: PairVerdict): { value: string; range: string } {
  const { mean: m, lo, hi } = p.advantage;
  if (v.diff === 'share') {
    const d = digitsFor(100 * lo, 100 * hi);
    return { value: `${num(100 * m, d)} pp`, range: `${num(100 * lo, d)}–${num(100 * hi, d)} pp` };
  }
  if (p.baseMean !== 0) {
    const f = 100 / Math.abs(p.baseMean);
    // A lower-is-better metric is never negative here (latency, seconds, USD): cutting it by
    // more than 100% is impossible, so the interval is shown intersected with what can be.
    const top = v.better === 'lower' && p.baseMean > 0 ? Math.min(f * hi, 100) : f * hi;
    const d = digitsFor(f * lo, top);
    return { value: `${num(f * m, d)}%`, range: `${num(f * lo, d)}–${num(top, d)}%` };
  }
  const unit = v.unit ? ` ${v.unit}` : '';
  const d = digitsFor(lo, hi);
  return { value: `${num(m, d)}${unit}`, range: `${num(lo, d)}–${num(hi, d)}${unit}` };
}

const seedsWord = (n: number): string => `${n} seed${n === 1 ? '' : 's'}`;

export function pairSentence(v: Pick<MetricVerdict, 'label' | 'diff' | 'unit'> & Partial<Pick<MetricVerdict, 'better'>>, p: PairVerdict): string {
  const { value, range } = amount(v, p);
  if (p.significant) return `${p.a} beats ${p.b} on ${v.label} by ${value} (${range}, ${seedsWord(p.advantage.n)})`;
  return `${p.a} vs ${p.b} on ${v.label}: no significant difference (${p.a} ahead by ${value}, ${range}, ${seedsWord(p.advantage.n)})`;
}

/** How the intervals were made, in one line. */
export function methodLine(v: Verdict): string {
  const k = Math.max(0, ...v.metrics.map((m) => m.ranking.length));
  const m = (k * (k - 1)) / 2;
  return (
    `paired over ${seedsWord(v.seeds.length)} (${v.seeds[0]}..${v.seeds[v.seeds.length - 1]}); ${Math.round(100 * v.level)}% intervals, ` +
    `Bonferroni-corrected over the ${m} pairs of each metric`
  );
}

/**
 * One metric: a headline, the ranking, the leader's significant wins as sentences and the
 * strategies it does not significantly beat in one line (`all`: every pair as a sentence).
 */
export function metricLines(v: MetricVerdict, all = false): string[] {
  if (v.ranking.length < 2) return [`${v.label}: fewer than two strategies have a value in this run, nothing to compare`];
  const sig = v.pairs.filter((p) => p.significant).length;
  const head =
    v.winner !== null
      ? `${v.label}: ${v.winner} is significantly best`
      : sig === 0
        ? `${v.label}: no significant difference between any two strategies`
        : `${v.label}: no single winner; not significantly beaten: ${v.leaders.join(', ')}`;
  const lines = [`${head} (${sig}/${v.pairs.length} pairs significant)`, `  ranking (best first): ${v.ranking.map((r) => r.strategy).join(', ')}`];
  if (all) return [...lines, ...v.pairs.map((p) => `  ${pairSentence(v, p)}`)];
  const top = v.ranking[0]?.strategy;
  const mine = v.pairs.filter((p) => p.a === top || p.b === top);
  lines.push(...mine.filter((p) => p.significant).map((p) => `  ${pairSentence(v, p)}`));
  const ties = mine.filter((p) => !p.significant).map((p) => (p.a === top ? p.b : p.a));
  if (top !== undefined && ties.length) lines.push(`  ${top} vs ${ties.join(', ')}: no significant difference`);
  return lines;
}

/** The verdict section of the terminal output. */
export function verdictText(v: Verdict): string {
  const lines = [`verdict: ${v.question}`, `  ${methodLine(v)}`];
  for (const m of v.metrics) lines.push(...metricLines(m).map((l) => `  ${l}`));
  if (v.expectedWinner) {
    const m = v.metrics.find((x) => x.metric === v.expectedWinner!.metric);
    lines.push(`  expected winner on ${m?.label ?? v.expectedWinner.metric}: ${v.expectedWinner.strategy}`);
  }
  return lines.join('\n');
}
