import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ScenarioError } from '../spec/errors.js';

/**
 * Read a gateway config file: YAML (LiteLLM) or JSON (Portkey; JSON is YAML). A syntax
 * error names the file, line and column; exit 2.
 */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `:${err.linePos[0].line}:${err.linePos[0].col}` : '';
    throw new ScenarioError(`${file}${where}: invalid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** `# line` for each line (a YAML header). */
export const commentBlock = (lines: readonly string[]): string => lines.map((l) => (l ? `# ${l}` : '#')).join('\n');
