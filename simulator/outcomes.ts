import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

/**
 * Per-prompt outcome records: real answers of several models to the same prompts, judged
 * (correct or a score). The simulator replays them as requests (a provider's answer is
 * acceptable iff its record says so) and the learned quality router trains on them.
 *
 * File format: CSV with a header row (RFC 4180: quoted fields may hold commas, quotes
 * and newlines), columns
 *   prompt                      the prompt text (required)
 *   subject | source            where the prompt comes from (optional; used for splits)
 *   <model>_correct             True/False (also true/false, 1/0), one per model
 *   <model>_score               a number in [0, 1], one per model (instead of _correct)
 * e.g. data/routing_eval/routellm_mmlu_responses.csv. Every problem is an error naming
 * the file, the line and the column; nothing is skipped in silence.
 */

export interface OutcomeRecord {
  readonly prompt: string;
  /** Subject or source ('' when the file has neither column). */
  readonly subject: string;
  /** Score per model, in the order of OutcomeSet.models: 1/0 for correct/incorrect. */
  readonly scores: readonly number[];
  /** 1-based line where the record starts (for messages). */
  readonly line: number;
}

export interface OutcomeSet {
  readonly file: string;
  /** Model names, from the `<model>_correct` / `<model>_score` headers, in column order. */
  readonly models: readonly string[];
  /** Header of each model's column ("<model>_correct"), and its 1-based column number, in models order. */
  readonly columns: ReadonlyArray<{ readonly name: string; readonly number: number }>;
  readonly records: readonly OutcomeRecord[];
}

const MODEL_COLUMN = /^(.+)_(correct|score)$/;
const TRUE = new Set(['true', '1']);
const FALSE = new Set(['false', '0']);

export class OutcomeFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutcomeFileError';
  }
}

interface Column {
  readonly index: number;
  readonly name: string;
  readonly model: string;
  readonly kind: 'correct' | 'score';
}

function modelColumns(file: string, header: readonly string[]): Column[] {
  const cols: Column[] = [];
  const seen = new Map<string, string>();
  header.forEach((name, index) => {
    const m = MODEL_COLUMN.exec(name);
    if (!m) return;
    const model = m[1]!;
    const prev = seen.get(model);
    if (prev !== undefined)
      throw new OutcomeFileError(`${file}:1: column ${index + 1} "${name}": model "${model}" already has column "${prev}"`);
    seen.set(model, name);
    cols.push({ index, name, model, kind: m[2] as Column['kind'] });
  });
  return cols;
}

function score(file: string, line: number, col: Column, raw: string): number {
  const where = `${file}:${line}: column ${col.index + 1} "${col.name}"`;
  const v = raw.trim();
  if (col.kind === 'correct') {
    const low = v.toLowerCase();
    if (TRUE.has(low)) return 1;
    if (FALSE.has(low)) return 0;
    throw new OutcomeFileError(`${where}: expected True or False, got ${JSON.stringify(raw)}`);
  }
  const n = v === '' ? NaN : Number(v);
  if (!(n >= 0 && n <= 1)) throw new OutcomeFileError(`${where}: expected a score in [0, 1], got ${JSON.stringify(raw)}`);
  return n;
}

/** Parse outcome CSV text; `file` names it in messages. */
export function parseOutcomes(text: string, file: string): OutcomeSet {
  let rows: Array<{ record: string[]; info: { lines: number } }>;
  try {
    rows = parse(text, { info: true, relax_column_count: true, bom: true }) as unknown as typeof rows;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new OutcomeFileError(`${file}${err.lines ? `:${err.lines}` : ''}: invalid CSV: ${err.message}`);
  }
  if (rows.length === 0) throw new OutcomeFileError(`${file}: empty file; expected a header row (prompt, <model>_correct, ...)`);
  const header = rows[0]!.record.map((h) => h.trim());
  const promptAt = header.indexOf('prompt');
  if (promptAt < 0) throw new OutcomeFileError(`${file}:1: missing column "prompt" (columns: ${header.join(', ')})`);
  const subjectAt = header.indexOf('subject') >= 0 ? header.indexOf('subject') : header.indexOf('source');
  const cols = modelColumns(file, header);
  if (cols.length === 0)
    throw new OutcomeFileError(`${file}:1: no outcome columns; expected at least one "<model>_correct" or "<model>_score" column`);
  const records: OutcomeRecord[] = [];
  let prevEnd = rows[0]!.info.lines;
  for (let r = 1; r < rows.length; r++) {
    const { record, info } = rows[r]!;
    const line = prevEnd + 1;
    prevEnd = info.lines;
    if (record.length !== header.length)
      throw new OutcomeFileError(`${file}:${line}: expected ${header.length} columns (${header.join(', ')}), got ${record.length}`);
    const prompt = record[promptAt]!;
    if (prompt.trim() === '') throw new OutcomeFileError(`${file}:${line}: column ${promptAt + 1} "prompt": empty prompt`);
    records.push({
      prompt,
      subject: subjectAt >= 0 ? record[subjectAt]! : '',
      scores: cols.map((c) => score(file, line, c, record[c.index]!)),
      line,
    });
  }
  if (records.length === 0) throw new OutcomeFileError(`${file}: no records after the header`);
  return { file, models: cols.map((c) => c.model), columns: cols.map((c) => ({ name: c.name, number: c.index + 1 })), records };
}

const cache = new Map<string, OutcomeSet>();

/** Read and parse an outcome file (cached per path: the MMLU file is 7 MB). */
export function loadOutcomes(path: string): OutcomeSet {
  let set = cache.get(path);
  if (!set) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new OutcomeFileError(`cannot read outcome file ${path}: ${(e as Error).message}`);
    }
    set = parseOutcomes(text, path);
    cache.set(path, set);
  }
  return set;
}

/** Index of `model` in set.models, or an error naming the file and the models it has. */
export function modelIndex(set: OutcomeSet, model: string, field: string): number {
  const i = set.models.indexOf(model);
  if (i < 0)
    throw new OutcomeFileError(
      `${field}: model "${model}" has no column "${model}_correct" or "${model}_score" in ${set.file}:1 (models there: ${set.models.join(', ')})`,
    );
  return i;
}
