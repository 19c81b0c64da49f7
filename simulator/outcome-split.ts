import { shuffled } from '../router/classifier/split.js';
import { seededRandom } from '../router/core/random.js';
import type { OutcomeRecord } from './outcomes.js';

/**
 * Seeded split of outcome records by whole subjects: every record of a held-out subject
 * is held out, so an evaluation on that part measures how a router does on topics it
 * never saw (the way new traffic differs from a training set), not on new questions of
 * known topics. The subjects are sorted, shuffled with the seed, and the first
 * round(k × heldOutShare) (at least 1) are held out.
 */

export const SUBJECT_SPLIT_DEFAULTS = { seed: 1, heldOutShare: 0.2 } as const;

export interface SubjectSplit<T> {
  readonly train: T[];
  readonly heldOut: T[];
  readonly trainSubjects: string[];
  readonly heldOutSubjects: string[];
}

export function splitBySubject<T extends Pick<OutcomeRecord, 'subject'>>(
  records: readonly T[],
  seed: number = SUBJECT_SPLIT_DEFAULTS.seed,
  heldOutShare: number = SUBJECT_SPLIT_DEFAULTS.heldOutShare,
): SubjectSplit<T> {
  if (!(heldOutShare > 0 && heldOutShare < 1)) throw new Error(`splitBySubject: heldOutShare must be in (0, 1) (got ${heldOutShare})`);
  const subjects = [...new Set(records.map((r) => r.subject))].sort();
  if (subjects.length < 2) throw new Error(`splitBySubject: need at least 2 subjects (got ${subjects.length})`);
  const n = Math.min(subjects.length - 1, Math.max(1, Math.round(subjects.length * heldOutShare)));
  const held = new Set(shuffled(subjects, seededRandom(`subject-split:${seed}`)).slice(0, n));
  return {
    train: records.filter((r) => !held.has(r.subject)),
    heldOut: records.filter((r) => held.has(r.subject)),
    trainSubjects: subjects.filter((s) => !held.has(s)),
    heldOutSubjects: subjects.filter((s) => held.has(s)),
  };
}

/** k folds of whole subjects (for cross-validation inside the training part). */
export function subjectFolds<T extends Pick<OutcomeRecord, 'subject'>>(records: readonly T[], k: number, seed: number): T[][] {
  const subjects = [...new Set(records.map((r) => r.subject))].sort();
  if (!Number.isInteger(k) || k < 2 || k > subjects.length) throw new Error(`subjectFolds: k must be an integer in [2, ${subjects.length}] (got ${k})`);
  const foldOf = new Map<string, number>();
  shuffled(subjects, seededRandom(`subject-folds:${seed}`)).forEach((s, i) => foldOf.set(s, i % k));
  return Array.from({ length: k }, (_, f) => records.filter((r) => foldOf.get(r.subject) === f));
}
