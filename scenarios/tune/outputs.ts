import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { RouterConfigInput } from '../../router/core/config.js';
import { parseProxyConfig } from '../../router/http/config.js';
import { loadScenario } from '../load.js';
import { resolveProviders, type ResolvedProvider } from '../resolve.js';
import { scenarioRouterConfig } from '../router-config.js';
import type { Scenario } from '../schema.js';
import type { TuneConfig } from './space.js';
import type { TuneOutcome } from './tune.js';

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
  const h = outcome.holdout;
  const header = [
    `# Router config tuned by \`npm run tune ${outcome.scenario} -- --strategy ${outcome.strategy} --objective ${outcome.objective}\``,
    `# Objective: ${outcome.objectiveText}.`,
    `# Search: ${outcome.budget} candidates, successive halving (eta ${outcome.eta}) over seeds ${outcome.searchSeeds.join(', ')}; winner #${outcome.best.id}.`,
    outcome.holdoutSeeds.length
      ? `# Held-out seeds ${outcome.holdoutSeeds.join(', ')}: tuned ${fmtJ(h.tuned)} vs default ${fmtJ(h.default)}.`
      : '# No held-out check was run (--holdout 0).',
    '#',
    '# Try it against the mock providers in real time (one terminal each):',
    `#   npm run providers -- --scenario ${outcome.scenario} --port-base ${portBase} --speed 1`,
    '#   npm run router -- --config <this file>',
    '# For real providers, point base_url at them and set api_key_env per endpoint.',
    '',
  ].join('\n');
  return header + YAML.stringify(cfg, { lineWidth: 120 });
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
