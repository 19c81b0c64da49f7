import { stringify } from 'yaml';
import type { SplitCounts } from './calibrate.js';
import type { ProfileFit } from './fit-profile.js';
import type { WorkloadFit } from './fit-workload.js';
import type { HoldoutResult, KsCheck } from './holdout.js';

/**
 * Text the calibrator prints and writes: the goodness-of-fit lines, and each profile's
 * YAML with its provenance and fit quality in a header comment.
 */

const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : String(x));
const g4 = (x: number): string => (Number.isFinite(x) ? String(Number(x.toPrecision(4))) : String(x));
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

export function ksText(c: KsCheck): string {
  return `KS ${f3(c.ks)} (5% critical ${f3(c.critical)}, n=${c.n}, m=${c.m}) ${c.pass ? 'ok' : 'REJECTED'}`;
}

/** Lines describing one fitted profile (and its holdout check, when one ran). */
export function fitLines(fit: ProfileFit, holdout: HoldoutResult | null): string[] {
  const p = fit.profile;
  const out = [`${fit.group}:`];
  for (const d of fit.dists) {
    const form = d.model
      ? `mixture of ${d.model.components.length} lognormals (BIC): ${d.model.components.map((c) => `${g4(c.weight)}×(median ${g4(Math.exp(c.mu))} σ ${g4(c.sigma)})`).join(' + ')}`
      : `${d.shift > 0 ? `${g4(d.shift)} ms + ` : ''}lognormal median ${g4(d.median)} sigma ${g4(d.sigma)}`;
    out.push(`  ${d.name.padEnd(13)} ${form}  n=${d.n}  KS ${f3(d.ks)} (5% critical ${f3(d.critical)}) ${d.ks <= d.critical ? 'ok' : 'REJECTED'}`);
  }
  if (fit.joint)
    out.push(
      `  joint         TTFT × ms per token, ${fit.joint.components.length} bivariate lognormal(s) (BIC ${g4(fit.joint.bic)} beats independent fits): ${fit.joint.components
        .map((c) => `${g4(c.weight)}×(${g4(Math.exp(c.mu1))} ms σ ${g4(c.s1)}; ${g4(Math.exp(c.mu2))} ms/token σ ${g4(c.s2)}; ρ ${f3(c.rho)})`)
        .join(' + ')}`,
    );
  const e = fit.errors;
  const kinds = Object.entries(e.byKind)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push(`  errors        ${e.failures}/${e.n} = ${pct(e.rate)} [95% ${pct(e.interval.lo)}, ${pct(e.interval.hi)}]${kinds ? `  (${kinds})` : ''}`);
  if (fit.retryAfterMs !== null) out.push(`  429s          median Retry-After ${g4(fit.retryAfterMs)} ms`);
  out.push(
    fit.bursty
      ? `  bursty        Gilbert–Elliott: mean good ${g4(fit.bursty.meanGoodS)} s, mean bad ${g4(fit.bursty.meanBadS)} s, bad-state error rate ${pct(fit.bursty.badErrorRate)}, base ${pct(fit.bursty.baseErrorRate)} (${fit.bursty.badRuns} bursts in ${fit.bursty.steps} s)`
      : '  bursty        none fitted (no timestamps, too short a record, or no burst stands out)',
  );
  out.push(
    fit.load === null
      ? '  load          concurrency not known: no load dependence fitted'
      : fit.load.significant
        ? `  load          TTFT grows with concurrency (Spearman ${f3(fit.load.spearman)}, n=${fit.load.n}): zero-load median ${g4(fit.load.medianMs!)} ms, slowdown ${g4(fit.load.slowdown)} at ${fit.load.maxConcurrent} in flight`
        : `  load          no significant dependence on concurrency (Spearman ${f3(fit.load.spearman)}, n=${fit.load.n}, max ${fit.load.maxLoad} in flight)`,
  );
  const mix = (m: unknown[] | undefined): string => (m ? ` (mixture of ${m.length})` : '');
  out.push(
    `  profile       ttft ${p.ttft.shiftMs ? `${g4(p.ttft.shiftMs)} + ` : ''}${g4(p.ttft.medianMs)} ms σ ${g4(p.ttft.sigma)}${mix(p.ttft.mixture)}, ${g4(p.throughput.tokensPerSecond)} tokens/s${mix(p.throughput.mixture)}, error rate ${pct(p.failures.baseErrorRate)}`,
  );
  if (holdout) {
    out.push(`  holdout       fitted on ${holdout.train}, checked on ${holdout.test} held-out observations:`);
    const ref = (x: number | null): string => (x === null ? '' : `; the fit half's own data: KS ${f3(x)}`);
    if (holdout.ttft) out.push(`    ttft        ${ksText(holdout.ttft)}${ref(holdout.reference.ttft)}`);
    if (holdout.e2e) out.push(`    e2e         ${ksText(holdout.e2e)}${ref(holdout.reference.e2e)}`);
    const h = holdout.errors;
    out.push(
      `    errors      held-out ${pct(h.heldOut)} vs simulated ${pct(h.simulated)}: difference ${pct(h.diff)} [95% ${pct(h.interval.lo)}, ${pct(h.interval.hi)}] ${h.consistent ? 'ok' : 'DIFFERENT'}`,
    );
  }
  for (const w of fit.warnings) out.push(`  warning: ${w}`);
  return out;
}

/** The holdout pass counts over several splits (calibrate.ts SplitCounts). */
export function splitLines(c: SplitCounts | null): string[] {
  if (c === null) return [];
  return [
    `  over ${c.n} seeded splits (each refitted on its fit half): ttft passes ${c.ttft}/${c.n}, e2e ${c.e2e}/${c.n};`,
    `                the fit half's own data passes ttft ${c.refTtft}/${c.n}, e2e ${c.refE2e}/${c.n}`,
  ];
}

/** The profile file: a header with provenance and fit quality, then the YAML. */
export function profileYaml(fit: ProfileFit, holdout: HoldoutResult | null, provenance: string, splits: SplitCounts | null = null): string {
  const header = [
    `Calibrated profile: ${fit.group}`,
    `Source: ${provenance}`,
    'Written by `npm run calibrate` (simulator/calibrate/). Fit quality:',
    ...fitLines(fit, holdout).slice(1),
    ...splitLines(splits),
    'price and quality are not in a latency log: set them before comparing cost or quality.',
  ];
  return `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${stringify(fit.profile, { lineWidth: 0 })}`;
}

/**
 * A ready scenario on the fitted world: every fitted profile (by path, relative to the
 * scenario file) and the recorded workload, with three strategies to compare. Prices and
 * quality are not measured: the comment says to set them (overrides) before judging cost.
 */
export function scenarioYaml(profiles: ReadonlyArray<{ id: string; path: string }>, w: WorkloadFit, traceFile: string | null): string {
  const scenario = {
    name: 'calibrated',
    description: 'Providers and workload fitted by npm run calibrate.',
    question: 'Which strategy keeps p99 lowest on the fitted providers and the recorded workload?',
    headline: { metrics: ['latencyMs.p99', 'errorRate', 'costPer1kOk'], expectedWinner: 'latency' },
    providers: profiles.map((p) => ({ profile: p.path, id: p.id.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'p' })),
    load: loadSection(w, traceFile),
    strategies: ['round-robin', 'latency', 'cost'],
  };
  return `# A scenario on the fitted world (npm run calibrate). Profiles carry no price or quality:
# add overrides: { price: { input: ..., output: ... } } per provider before comparing cost.
# Run: npm run scenario <this file> -- --mode sim --seeds 5
${stringify(scenario, { lineWidth: 0 })}`;
}

export function workloadLines(w: WorkloadFit): string[] {
  const out = [`workload: ${w.requests} requests${w.durationS !== null ? ` over ${g4(w.durationS)} s` : ''}`];
  if (w.arrivals)
    out.push(
      `  arrivals      ${w.arrivals.kind} rate ${g4(w.arrivals.rate)}/s, gap CV² ${g4(w.arrivals.cv2)}${w.arrivals.shape ? ` (gamma shape ${g4(w.arrivals.shape)})` : ''}; gaps vs exponential KS ${f3(w.arrivals.ksExp)} (5% critical ${f3(w.arrivals.critical)})`,
    );
  else out.push('  arrivals      no timestamps: no trace and no arrival process');
  for (const [name, t] of [
    ['input tokens', w.inputTokens],
    ['output tokens', w.outputTokens],
  ] as const)
    if (t) out.push(`  ${name.padEnd(13)} lognormal median ${g4(t.median)} sigma ${g4(t.sigma)}  n=${t.n}  KS ${f3(t.ks)} (5% critical ${f3(t.critical)})`);
  if (w.streamShare !== null) out.push(`  stream share  ${pct(w.streamShare)}`);
  return out;
}

/** A scenario `load:` section replaying the trace (or, without one, the fitted process). */
export function loadSection(w: WorkloadFit, traceFile: string | null): Record<string, unknown> {
  const tok = (t: WorkloadFit['inputTokens']) => (t ? { median: Number(t.median.toPrecision(4)), sigma: Number(Math.min(3, t.sigma).toPrecision(3)) } : 100);
  const load: Record<string, unknown> = traceFile
    ? { arrivals: 'trace', trace: traceFile }
    : w.arrivals
      ? { arrivals: w.arrivals.kind, rate: Number(w.arrivals.rate.toPrecision(4)), ...(w.arrivals.shape ? { shape: Number(w.arrivals.shape.toPrecision(4)) } : {}) }
      : { arrivals: 'poisson', rate: 1 };
  load.durationS = Math.max(1, Math.ceil(w.durationS ?? 60));
  load.stream = Number((w.streamShare ?? 0).toFixed(3));
  load.mix = [{ class: 'general', weight: 1, inputTokens: tok(w.inputTokens), outputTokens: tok(w.outputTokens) }];
  return load;
}

export function workloadYaml(w: WorkloadFit, traceFile: string | null): string {
  const load = loadSection(w, traceFile);
  const alt = w.arrivals
    ? `# The fitted process instead of the replay: arrivals: ${w.arrivals.kind}, rate: ${Number(w.arrivals.rate.toPrecision(4))}${w.arrivals.shape ? `, shape: ${Number(w.arrivals.shape.toPrecision(4))}` : ''}\n`
    : '';
  return `# Recorded workload (npm run calibrate): paste under a scenario's \`load:\` (paths are relative to this file).\n${workloadLines(w)
    .map((l) => `# ${l}`)
    .join('\n')}\n${alt}${stringify({ load }, { lineWidth: 0 })}`;
}
