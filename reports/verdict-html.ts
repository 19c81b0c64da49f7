import type { ResultsFile } from './contract.js';
import { escapeHtml } from './table.js';
import { metricLines, methodLine, pairSentence } from './verdict-text.js';

/**
 * The report's verdict section: the scenario's question, how the intervals were made, and per
 * headline metric the ranking, the leader's comparisons and (folded) every pair. A run without
 * paired seeds says why it has no verdict instead.
 */
export function verdictHtml(r: ResultsFile): string {
  const v = r.verdict;
  if (!v) {
    const why = r.mode === 'http' ? 'an http run is one sample (real sockets and timers)' : 'this run has one seed';
    return `<h2>Verdict</h2>\n<p class="meta">No verdict: ${why}. Run several paired seeds (<code>--seeds K</code>; sim mode runs 10 by default) to learn which differences are significant.</p>`;
  }
  const parts = [`<h2>Verdict</h2>`, `<p class="question">${escapeHtml(v.question)}</p>`, `<p class="meta">${escapeHtml(methodLine(v))}</p>`];
  for (const m of v.metrics) {
    const [head, ...rest] = metricLines(m);
    parts.push(`<h3>${escapeHtml(head!)}</h3>`);
    if (rest.length) parts.push(`<ul class="verdict">\n${rest.map((l) => `<li>${escapeHtml(l.trim())}</li>`).join('\n')}\n</ul>`);
    if (m.pairs.length > 0)
      parts.push(
        `<details><summary>all ${m.pairs.length} pairs on ${escapeHtml(m.label)}</summary>\n<ul class="verdict">\n` +
          m.pairs.map((p) => `<li class="${p.significant ? 'sig' : 'ns'}">${escapeHtml(pairSentence(m, p))}</li>`).join('\n') +
          `\n</ul></details>`,
      );
  }
  if (v.expectedWinner) {
    const m = v.metrics.find((x) => x.metric === v.expectedWinner!.metric);
    parts.push(`<p class="meta">expected winner on ${escapeHtml(m?.label ?? v.expectedWinner.metric)} (scenario file): <b>${escapeHtml(v.expectedWinner.strategy)}</b></p>`);
  }
  return parts.join('\n');
}
