import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { RouterConfigInput } from '../../router/core/config.js';
import { parseProxyConfig, snake } from '../../router/http/config.js';
import { loadScenario } from '../setup/load.js';
import { resolveProviders, type ResolvedProvider } from '../setup/resolve.js';
import { scenarioRouterConfig } from '../setup/router-config.js';
import type { Scenario } from '../spec/schema.js';
import type { TuneConfig } from './space.js';
import { LABELS, type TuneOutcome } from './tune.js';
import { configDiff } from './config-diff.js';
import { commentBlock } from '../gateway/files.js';
import { exportLiteLlm } from '../gateway/litellm-export.js';
import { parseForExport } from '../gateway/parsed.js';
import { exportPortkey } from '../gateway/portkey-export.js';
import type { Interval, StrategyResult } from '../../reports/contract.js';

/**
 * The files `npm run tune` writes besides the report:
 *  - tuned-config.yaml: a proxy config (`npm run router -- --config tuned-config.yaml`)
 *    built by the scenario runner's own scenarioRouterConfig, with base URLs on the
 *    consecutive loopback ports `npm run providers -- --scenario <name> --port-base 4101`
 *    listens on, and a server section. Validated with the proxy's parser before writing.
 *  - tune.json: every evaluated config (values, rung, seeds, metrics with CIs, verdict),
 *    the plan, default vs tuned and the held-out check.
 */

export const PORT_BASE = 4101;
export const PROXY_PORT = 8080;

/** The proxy config of a tuned config (real time: speed 1). */
export function proxyConfig(
  scenario: Scenario,
  providers: readonly ResolvedProvider[],
  config: TuneConfig,
  portBase = PORT_BASE,
): RouterConfigInput & { server: { host: string; port: number } } {
  const baseUrls: Record<string, string> = {};
  providers.forEach((p, i) => (baseUrls[p.id] = `http://127.0.0.1:${portBase + i}/v1`));
  const s: Scenario = { ...scenario, router: config.router as Scenario['router'] };
  const router = scenarioRouterConfig(s, providers, { name: config.strategy.name, params: config.strategy.params }, { baseUrls });
  return { server: { host: '127.0.0.1', port: PROXY_PORT }, ...router };
}

export function tunedConfigYaml(outcome: TuneOutcome, portBase = PORT_BASE): string {
  const { scenario, file, where } = loadScenario(outcome.scenarioFile);
  const providers = resolveProviders(scenario, file, where);
  const cfg = proxyConfig(scenario, providers, outcome.best.config, portBase);
  parseProxyConfig(JSON.parse(JSON.stringify(cfg)), 'tuned-config.yaml'); // throws naming the field if we ever build a bad one
  const diff = configDiff(JSON.parse(JSON.stringify(cfg)) as Record<string, unknown>);
  parseProxyConfig(JSON.parse(JSON.stringify(diff)), 'tuned-config.yaml (diff)');
  const h = outcome.holdout;
  const header = [
    `Router config tuned by \`npm run tune ${outcome.scenario} -- --strategy ${outcome.strategy} --objective ${outcome.objective}\``,
    `Objective: ${outcome.objectiveText}.`,
    `Search: ${outcome.budget} candidates, successive halving (eta ${outcome.eta}) over seeds ${outcome.searchSeeds.join(', ')}; winner #${outcome.best.id}.`,
    outcome.holdoutSeeds.length
      ? `Held-out seeds ${outcome.holdoutSeeds.join(', ')}: tuned ${fmtJ(h.tuned)} vs default ${fmtJ(h.default)}.`
      : 'No held-out check was run (--holdout 0).',
    '',
    'Tuned parameters (default -> tuned):',
    ...changedParams(outcome),
    '',
    `Measured effect, mean [95% CI] over ${outcome.holdoutSeeds.length ? 'the held-out' : 'the search'} seeds (default -> tuned):`,
    ...effectLines(outcome),
    '',
    'Only fields that differ from the defaults are written (snake_case, as in router/http/example.yaml).',
    'Try it against the mock providers in real time (one terminal each):',
    `  npm run providers -- --scenario ${outcome.scenario} --port-base ${portBase} --speed 1`,
    '  npm run router -- --config <this file>',
    'For real providers, point base_url at them and set api_key_env per endpoint.',
  ];
  return `${commentBlock(header)}\n${YAML.stringify(diff, { lineWidth: 120 })}`;
}

/** `params.weights.slow` / `health.consecutiveFailures` as the config file spells them. */
const spelled = (name: string): string => (name.startsWith('params.') ? `strategy.${name}` : name.split('.').map(snake).join('.'));

function changedParams(o: TuneOutcome): string[] {
  const def = o.search.candidates[0]?.values ?? {};
  const lines = o.searched
    .filter((p) => JSON.stringify(def[p.name]) !== JSON.stringify(o.best.values[p.name]))
    .map((p) => `  ${spelled(p.name)}: ${fmtV(def[p.name])} -> ${fmtV(o.best.values[p.name])}`);
  return lines.length ? lines : ['  (none: the defaults won)'];
}

const fmtV = (v: unknown): string => (typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v));

/** Objective-relevant metrics, default vs tuned, with intervals, from the comparison runs. */
function effectLines(o: TuneOutcome): string[] {
  const held = o.holdoutSeeds.length > 0;
  const pick = (label: string) => o.comparison.strategies.find((s) => s.strategy === label);
  const d = pick(held ? LABELS.defaultHoldout : LABELS.defaultSearch);
  const t = pick(held ? LABELS.tunedHoldout : LABELS.tunedSearch);
  if (!d || !t) return ['  (no comparison runs)'];
  const metrics: Array<[string, string, number]> = [
    ['USD / 1k ok, all attempts', 'attemptCostPer1kOk', 4],
    ['USD / 1k ok, billed', 'costPer1kOk', 4],
    ['wasted USD', 'wastedUsd', 4],
    ['attempts / request', 'attemptsPerRequest', 3],
    ['ok %', 'errorRate', 2],
    ['p99 ms', 'latencyMs.p99', 0],
  ];
  return metrics.flatMap(([label, key, digits]) => {
    const [a, b] = [interval(d, key), interval(t, key)];
    if (!a || !b) return [];
    const f = key === 'errorRate' ? (x: number) => (100 * (1 - x)).toFixed(digits) : (x: number) => x.toFixed(digits);
    const show = (i: Interval) => (key === 'errorRate' ? `${f(i.mean)} [${f(i.hi)}, ${f(i.lo)}]` : `${f(i.mean)} [${f(i.lo)}, ${f(i.hi)}]`);
    return [`  ${label}: ${show(a)} -> ${show(b)}`];
  });
}

function interval(r: StrategyResult, key: string): Interval | undefined {
  return r.ci?.[key] ?? r.ci?.[`summary.${key}`];
}

function fmtJ(v: { value: number; feasible: boolean }): string {
  return `${v.value.toPrecision(4)}${v.feasible ? '' : ' (violates the constraints)'}`;
}

/** tune.json: plain data, every evaluation included. */
export function tuneJson(o: TuneOutcome): unknown {
  const strip = (r: { strategy: string; summary: unknown; ci?: unknown; regret?: unknown }) => ({
    name: r.strategy,
    summary: r.summary,
    ci: r.ci,
    regret: r.regret,
  });
  return {
    scenario: o.scenario,
    strategy: o.strategy,
    objective: { name: o.objective, text: o.objectiveText, limits: o.limits },
    seed: o.seed,
    searchSeeds: o.searchSeeds,
    holdoutSeeds: o.holdoutSeeds,
    durationS: o.durationS,
    budget: o.budget,
    eta: o.eta,
    rungs: o.search.rungs,
    space: o.space.map((p) => ({ name: p.name, kind: p.kind, min: p.min, max: p.max, what: p.what, searched: o.searched.includes(p) })),
    pins: o.pins,
    evaluations: o.search.evaluations.map((e) => ({
      id: e.id,
      rung: e.rung,
      seeds: e.seeds,
      durationS: e.durationS,
      values: o.search.candidates[e.id]!.values,
      metrics: e.metrics,
      ci: e.ci,
      feasible: e.verdict.feasible,
      violation: e.verdict.violation,
      objective: e.verdict.value,
      promoted: e.promoted,
    })),
    best: { id: o.best.id, values: o.best.values, config: o.best.config, satisfied: o.satisfied },
    default: { values: o.search.candidates[0]?.values, config: o.defaultConfig },
    comparison: o.comparison.strategies.map(strip),
    holdout: o.holdout,
    run: { mode: o.mode, workers: o.workers, wallS: Math.round(o.wallS * 10) / 10 },
  };
}

/**
 * `--export litellm|portkey`: the tuned config in that gateway's format, beside
 * tuned-config.yaml (what it cannot carry is in its header, or a .notes.txt for JSON).
 */
export function exportTuned(o: TuneOutcome, to: 'litellm' | 'portkey', portBase = PORT_BASE): string[] {
  const { scenario, file, where } = loadScenario(o.scenarioFile);
  const cfg = proxyConfig(scenario, resolveProviders(scenario, file, where), o.best.config, portBase);
  const parsed = parseForExport(JSON.parse(JSON.stringify(cfg)), 'tuned config');
  const e = to === 'litellm' ? exportLiteLlm(parsed) : exportPortkey(parsed);
  const name = to === 'litellm' ? 'litellm-config.yaml' : 'portkey-config.json';
  writeFileSync(join(o.outDir, name), e.text);
  const files = [join(o.outDir, name)];
  if (to === 'portkey' && e.notCarried.length) {
    writeFileSync(join(o.outDir, 'portkey-config.notes.txt'), `Not carried (Portkey cannot express):\n${e.notCarried.map((n) => `  - ${n}`).join('\n')}\n`);
    files.push(join(o.outDir, 'portkey-config.notes.txt'));
  }
  return files;
}

/** Write tune.json and (when the objective was met) tuned-config.yaml; returns the paths. */
export function writeTuneFiles(o: TuneOutcome): string[] {
  mkdirSync(o.outDir, { recursive: true });
  const files: string[] = [];
  const json = join(o.outDir, 'tune.json');
  writeFileSync(json, JSON.stringify(tuneJson(o), null, 2) + '\n');
  files.push(json);
  if (o.satisfied) {
    const yaml = join(o.outDir, 'tuned-config.yaml');
    writeFileSync(yaml, tunedConfigYaml(o));
    files.push(yaml);
  }
  return files;
}
