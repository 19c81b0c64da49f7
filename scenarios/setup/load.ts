import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { formatZodError } from '../../router/core/config.js';
import { compileReplay } from '../../simulator/outcome-replay.js';
import { ScenarioError } from '../spec/errors.js';
import { crossCheck, providerId, scenarioSchema, type Scenario } from '../spec/schema.js';
import { detectGateway, gatewayScenario, importGateway } from '../gateway/to-scenario.js';

/**
 * Finds and validates scenario files. A scenario is named by its file name in
 * scenarios/ (`outage-failover`) or given as a path to a YAML file. Every problem
 * becomes a ScenarioError whose message names the file and the field (or line).
 */

/** The scenarios/ directory of this repository. */
export const SCENARIO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root (trace files in scenarios are relative to it). */
export const REPO_ROOT = resolve(SCENARIO_DIR, '..');

// Defined in spec/ (below gateway/, which throws it too); re-exported for the loader's callers.
export { ScenarioError };

/** Names of the shipped scenarios (scenarios/*.yaml), sorted. */
export function scenarioNames(dir = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** Resolve a name or a path to a file, or throw listing the valid names. */
export function resolveScenarioPath(nameOrPath: string, dir = SCENARIO_DIR): string {
  const looksLikePath = /[\\/]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath);
  if (looksLikePath) {
    const p = isAbsolute(nameOrPath) ? nameOrPath : resolve(process.cwd(), nameOrPath);
    if (!existsSync(p)) throw new ScenarioError(`scenario file not found: ${p}`);
    return p;
  }
  const p = join(dir, `${nameOrPath}.yaml`);
  if (!existsSync(p))
    throw new ScenarioError(`unknown scenario "${nameOrPath}"; valid scenarios: ${scenarioNames(dir).join(', ')}`);
  return p;
}

/** Parse + validate scenario text; `file` is used in messages. */
export function parseScenario(text: string, file: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `:${err.linePos[0].line}:${err.linePos[0].col}` : '';
    throw new ScenarioError(`${file}${where}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ScenarioError(`${file}: expected a YAML mapping with name, providers, load, strategies...`);
  // A LiteLLM or Portkey config stands for the scenario that simulates it (npm run convert shows the warnings).
  const gateway = detectGateway(raw);
  if (gateway !== null) raw = gatewayScenario(importGateway(gateway, raw, file), file);
  const r = scenarioSchema.safeParse(raw);
  if (!r.success) throw new ScenarioError(`invalid scenario:\n${formatZodError(r.error, file)}`);
  const problems = crossCheck(r.data);
  if (problems.length) throw new ScenarioError(`invalid scenario:\n${problems.map((p) => `${file}: ${p}`).join('\n')}`);
  return r.data;
}

export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path of the file. */
  file: string;
  /** How messages name the file (`scenarios/x.yaml` for shipped ones). */
  where: string;
}

/** Outcome replay: the file exists, parses and has the models the providers stand for (before anything runs). */
function checkOutcomeFile(s: Scenario, where: string): void {
  const o = s.load.outcomes;
  if (!o) return;
  try {
    compileReplay(o, 'load.outcomes', s.providers.map(providerId), REPO_ROOT);
  } catch (e) {
    throw new ScenarioError(`invalid scenario:\n${where}: ${(e as Error).message}`);
  }
}

/** Load a scenario by name or path. */
export function loadScenario(nameOrPath: string, dir = SCENARIO_DIR): LoadedScenario {
  const file = resolveScenarioPath(nameOrPath, dir);
  const text = readFileSync(file, 'utf8');
  const where = resolve(dirname(file)) === resolve(dir) ? `scenarios/${basename(file)}` : file;
  const scenario = parseScenario(text, where);
  checkOutcomeFile(scenario, where);
  // A trace named ./x or ../x lives beside the scenario file (a recorded workload); others are relative to the repository.
  const trace = scenario.load.trace;
  if (trace && /^\.\.?[\\/]/.test(trace.file)) trace.file = resolve(dirname(file), trace.file);
  return { scenario, file, where };
}
