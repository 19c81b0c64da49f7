import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import YAML from 'yaml';
import { RouterError } from '../../router/core/errors.js';
import '../../router/strategies/index.js';
import { ScenarioError } from '../setup/load.js';
import { parseStrict } from './strict-args.js';
import { commentBlock, readConfigFile } from '../gateway/files.js';
import { exportLiteLlm } from '../gateway/litellm-export.js';
import { importLiteLlm } from '../gateway/litellm-import.js';
import { parseForExport } from '../gateway/parsed.js';
import { exportPortkey } from '../gateway/portkey-export.js';
import { importPortkey } from '../gateway/portkey-import.js';
import { gatewayScenario } from '../gateway/to-scenario.js';

/**
 * `npm run convert -- --from litellm|portkey <file> [--out DIR] [--model NAME]`
 *   writes DIR/router-config.yaml (our proxy config, snake_case) and DIR/scenario.yaml
 *   (simulates the gateway with its own algorithm next to two of ours);
 * `npm run convert -- --to litellm|portkey <router-config.yaml> [--out DIR]`
 *   writes DIR/litellm-config.yaml or DIR/portkey-config.json (+ .notes.txt).
 * What cannot be carried is printed (and written as a header): a warning, not a failure.
 * Exit codes: 0 done; 2 bad input (flag, file, key path as written).
 */

export const USAGE = `usage: npm run convert -- --from litellm|portkey <gateway-config> [--out DIR] [--model NAME]
       npm run convert -- --to litellm|portkey <router-config.yaml> [--out DIR]
  --from   import a LiteLLM config.yaml or a Portkey gateway config (JSON): writes
           DIR/router-config.yaml and DIR/scenario.yaml (run it: npm run scenario DIR/scenario.yaml -- --mode sim)
  --to     export our router config (e.g. a tuned-config.yaml) to LiteLLM or Portkey
  --out    output directory (default out/convert-<file name>)
  --model  Portkey only: the model group clients ask for (default chat)`;

const GATEWAYS = ['litellm', 'portkey'] as const;
type Gateway = (typeof GATEWAYS)[number];

function gatewayFlag(flag: string, v: string): Gateway {
  if (!(GATEWAYS as readonly string[]).includes(v)) throw new ScenarioError(`--${flag}: expected litellm or portkey, got "${v}"\n${USAGE}`);
  return v as Gateway;
}

function parse(argv: readonly string[]): { dir: 'from' | 'to'; gateway: Gateway; file: string; out: string; model: string | undefined } {
  const options = { from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;
  const { values, positionals } = parseStrict(argv, options, (m) => new ScenarioError(`${m}\n${USAGE}`));
  if (values.help) throw new ScenarioError(USAGE, 0);
  if ((values.from === undefined) === (values.to === undefined)) throw new ScenarioError(`give exactly one of --from or --to\n${USAGE}`);
  if (positionals.length !== 1) throw new ScenarioError(`expected one input file, got ${positionals.length}\n${USAGE}`);
  if (values.model !== undefined && values.from !== 'portkey') throw new ScenarioError(`--model: only with --from portkey\n${USAGE}`);
  const file = positionals[0]!;
  const dir = values.from !== undefined ? 'from' : 'to';
  const gateway = gatewayFlag(dir, (values.from ?? values.to)!);
  return { dir, gateway, file, out: values.out ?? join('out', `convert-${basename(file, extname(file))}`), model: values.model };
}

function write(out: string, name: string, text: string): string {
  mkdirSync(out, { recursive: true });
  const path = join(out, name);
  writeFileSync(path, text);
  return path;
}

function importFile(a: ReturnType<typeof parse>): string[] {
  const raw = readConfigFile(a.file);
  const g = a.gateway === 'litellm' ? importLiteLlm(raw, a.file) : importPortkey(raw, a.file, a.model ?? 'chat');
  parseForExport(g.config, 'converted config'); // our own validation, before anything is written
  const header = [`Converted from ${a.gateway === 'litellm' ? 'LiteLLM' : 'Portkey'} config ${a.file} by npm run convert.`, ...(g.warnings.length ? ['Warnings:', ...g.warnings.map((w) => `  - ${w}`)] : [])];
  const cfg = write(a.out, 'router-config.yaml', `${commentBlock(header)}\n${YAML.stringify(g.config)}`);
  const scen = write(a.out, 'scenario.yaml', `${commentBlock(header)}\n${YAML.stringify(gatewayScenario(g, a.file))}`);
  return [...g.warnings.map((w) => `warning: ${w}`), `wrote ${cfg}`, `wrote ${scen}`, `simulate it: npm run scenario ${scen} -- --mode sim`];
}

function exportFile(a: ReturnType<typeof parse>): string[] {
  const parsed = parseForExport(readConfigFile(a.file), a.file);
  const e = a.gateway === 'litellm' ? exportLiteLlm(parsed) : exportPortkey(parsed);
  const lines = e.notCarried.map((n) => `not carried: ${n}`);
  if (a.gateway === 'litellm') return [...lines, `wrote ${write(a.out, 'litellm-config.yaml', e.text)}`];
  const written = [write(a.out, 'portkey-config.json', e.text)];
  if (e.notCarried.length) written.push(write(a.out, 'portkey-config.notes.txt', `Not carried (Portkey cannot express):\n${e.notCarried.map((n) => `  - ${n}`).join('\n')}\n`));
  return [...lines, ...written.map((w) => `wrote ${w}`)];
}

export function main(argv: readonly string[]): number {
  try {
    const a = parse(argv);
    const lines = a.dir === 'from' ? importFile(a) : exportFile(a);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ScenarioError) {
      (e.exitCode === 0 ? process.stdout : process.stderr).write(`${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof RouterError && e.code === 'invalid_config') {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
