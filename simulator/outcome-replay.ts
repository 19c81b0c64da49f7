import { isAbsolute, resolve } from 'node:path';
import { loadOutcomes, modelIndex, OutcomeFileError, type OutcomeSet } from './outcomes.js';
import { splitBySubject, SUBJECT_SPLIT_DEFAULTS } from './outcome-split.js';
import { repoRoot } from './trace.js';

/**
 * Outcome replay: requests carry a real prompt and, per provider, the judged outcome of
 * the model that provider stands for (from an outcome file, see outcomes.ts). The
 * provider model then takes the request's quality from that record instead of drawing it
 * from a per-class constant, so a router is measured on what real models did with real
 * prompts. Which records: all, or one side of the seeded split by subject (the held-out
 * subjects by default: the ones the learned router never trained on).
 */

export const OUTCOME_SUBJECTS = ['all', 'train', 'held-out'] as const;
export type OutcomeSubjects = (typeof OUTCOME_SUBJECTS)[number];

export interface OutcomeReplaySpec {
  /** Outcome CSV, relative to the repository root or absolute. */
  file: string;
  /** Provider id → model name in the file (its `<model>_correct` / `<model>_score` column). */
  models: Readonly<Record<string, string>>;
  /** Which records to replay (default held-out). */
  subjects?: OutcomeSubjects;
  /** Models in the file no provider stands for, left out on purpose (others are an error). */
  ignoreModels?: readonly string[];
}

export interface Replay {
  readonly count: number;
  readonly prompts: readonly string[];
  /** Per record: provider id → score (1/0 for correct/incorrect). One shared object per record. */
  readonly outcomes: ReadonlyArray<Readonly<Record<string, number>>>;
  /** Per record: input tokens estimated from the prompt (~4 characters per token). */
  readonly inputTokens: Int32Array;
}

/** Rough token count of a prompt: 1 token per 4 characters (OpenAI's rule of thumb for English). */
export const estimateTokens = (text: string): number => Math.max(1, Math.round(text.length / 4));

/**
 * Check the spec against the file and build the replay table. `field` names the spec in
 * messages (`load.outcomes`); `providerIds` are the scenario's providers: each must stand
 * for a model of the file, and each model of the file must be mapped or ignored.
 */
export function compileReplay(spec: OutcomeReplaySpec, field: string, providerIds?: readonly string[], root = repoRoot()): Replay {
  const path = isAbsolute(spec.file) ? spec.file : resolve(root, spec.file);
  const set: OutcomeSet = loadOutcomes(path);
  const shown = { ...set, file: spec.file };
  const entries = Object.entries(spec.models);
  if (providerIds)
    for (const id of providerIds)
      if (!(id in spec.models)) throw new OutcomeFileError(`${field}.models: provider "${id}" stands for no model; map it to one of ${set.models.join(', ')}`);
  const columns = entries.map(([pid, model]) => [pid, modelIndex(shown, model, `${field}.models.${pid}`)] as const);
  const mapped = new Set(entries.map(([, m]) => m));
  const ignored = new Set(spec.ignoreModels ?? []);
  const stray = set.models.findIndex((m) => !mapped.has(m) && !ignored.has(m));
  if (stray >= 0) {
    const col = set.columns[stray]!;
    throw new OutcomeFileError(
      `${spec.file}:1: column ${col.number} "${col.name}": outcomes of model "${set.models[stray]}", which no provider of the scenario stands for; map a provider to it in ${field}.models or list it in ${field}.ignoreModels`,
    );
  }
  const subjects = spec.subjects ?? 'held-out';
  let records = set.records;
  if (subjects !== 'all') {
    const s = splitBySubject(records, SUBJECT_SPLIT_DEFAULTS.seed, SUBJECT_SPLIT_DEFAULTS.heldOutShare);
    records = subjects === 'train' ? s.train : s.heldOut;
  }
  const outcomes = records.map((r) => Object.freeze(Object.fromEntries(columns.map(([pid, i]) => [pid, r.scores[i]!]))));
  return {
    count: records.length,
    prompts: records.map((r) => r.prompt),
    outcomes,
    inputTokens: Int32Array.from(records, (r) => estimateTokens(r.prompt)),
  };
}
