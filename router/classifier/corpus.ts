import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { PROMPT_CLASSES, type PromptClass } from './classes.js';
import { MT_BENCH_LABELS, VICUNA_LABELS, arenaLabel } from './labels.js';

export { PROMPT_CLASSES, isPromptClass, type PromptClass } from './classes.js';

/**
 * The labelled prompt corpus (data/prompts, copied from public benchmarks; see its
 * SOURCE.md). The classifier trains on it and the simulator's workload generator draws
 * realistic prompt text per class from it, so it is parsed once and cached.
 */
export interface LabelledPrompt {
  readonly text: string;
  readonly label: PromptClass;
  /** `<dataset>:<id>`, e.g. "mt-bench:81", "arena-hard:328c149e…". */
  readonly source: string;
}

export const CORPUS_FILES = {
  mtBench: 'mt_bench_question.jsonl',
  vicuna: 'vicuna_bench_question.jsonl',
  arenaHard: 'arena_hard_v0.1_question.jsonl',
} as const;

/** data/prompts seen from the source tree (router/classifier) or the build (dist/router/classifier). */
function defaultDir(): string {
  const tried = ['../../data/prompts', '../../../data/prompts'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = tried.find((d) => existsSync(join(d, CORPUS_FILES.mtBench)));
  if (!found) throw new Error(`prompt corpus not found; looked in: ${tried.join(', ')}`);
  return found;
}

type Row = Record<string, unknown>;

function readJsonl(file: string): Row[] {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read prompt file ${file}: ${(e as Error).message}`);
  }
  const rows: Row[] = [];
  raw.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${file}:${i + 1}: expected a JSON object`);
    rows.push(v as Row);
  });
  return rows;
}

function field(row: Row, name: string, file: string, index: number): string {
  const v = row[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new Error(`${file} row ${index + 1}: field "${name}" must be a string`);
}

/** First turn of an MT-Bench / Vicuna question (`turns[0]`). */
function firstTurn(row: Row, file: string, index: number): string {
  const turns = row.turns;
  if (!Array.isArray(turns) || typeof turns[0] !== 'string')
    throw new Error(`${file} row ${index + 1}: field "turns" must be a non-empty array of strings`);
  return turns[0];
}

function loadBench(dir: string, name: string, file: string, table: Readonly<Record<string, PromptClass>>): LabelledPrompt[] {
  const path = join(dir, file);
  return readJsonl(path).map((row, i) => {
    const category = field(row, 'category', path, i);
    const label = table[category];
    if (!label) throw new Error(`${path} row ${i + 1}: unknown category "${category}" (known: ${Object.keys(table).join(', ')})`);
    return { text: firstTurn(row, path, i), label, source: `${name}:${field(row, 'question_id', path, i)}` };
  });
}

function loadArena(dir: string): LabelledPrompt[] {
  const path = join(dir, CORPUS_FILES.arenaHard);
  const out: LabelledPrompt[] = [];
  readJsonl(path).forEach((row, i) => {
    const text = field(row, 'prompt', path, i);
    const label = arenaLabel(field(row, 'cluster', path, i), text);
    if (label) out.push({ text, label, source: `arena-hard:${field(row, 'uid', path, i)}` });
  });
  return out;
}

const cache = new Map<string, readonly LabelledPrompt[]>();

/**
 * Every confidently labelled prompt, in file order (MT-Bench, Vicuna, Arena-Hard),
 * duplicates (same trimmed text) dropped. Cached per directory; treat as read-only.
 */
export function loadPromptCorpus(dir?: string): Array<{ text: string; label: PromptClass; source: string }> {
  const d = dir ?? defaultDir();
  let corpus = cache.get(d);
  if (!corpus) {
    const all = [
      ...loadBench(d, 'mt-bench', CORPUS_FILES.mtBench, MT_BENCH_LABELS),
      ...loadBench(d, 'vicuna', CORPUS_FILES.vicuna, VICUNA_LABELS),
      ...loadArena(d),
    ];
    const seen = new Set<string>();
    corpus = Object.freeze(
      all.filter((p) => {
        const key = p.text.trim();
        if (key === '' || seen.has(key)) return false;
        seen.add(key);
        return true;
      }),
    );
    cache.set(d, corpus);
  }
  return corpus as Array<{ text: string; label: PromptClass; source: string }>;
}

/** Prompts per class, in PROMPT_CLASSES order (for reports and workload generators). */
export function corpusByClass(corpus = loadPromptCorpus()): Record<PromptClass, string[]> {
  const out = Object.fromEntries(PROMPT_CLASSES.map((c) => [c, [] as string[]])) as Record<PromptClass, string[]>;
  for (const p of corpus) out[p.label].push(p.text);
  return out;
}
