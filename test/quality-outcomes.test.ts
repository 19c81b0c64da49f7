import { describe, expect, it } from 'vitest';
import { modelIndex, parseOutcomes } from '../simulator/outcomes.js';
import { splitBySubject, subjectFolds } from '../simulator/outcome-split.js';

const GOOD = [
  'subject,prompt,weak_correct,strong_correct',
  'algebra,"What is 2+2?',
  'A. 3',
  'B. 4",False,True',
  'history,"Who said ""veni, vidi, vici""?",true,1',
  'history,Plain prompt,0,FALSE',
].join('\n');

describe('outcome files', () => {
  it('reads quoted multi-line prompts, booleans in several spellings, and the line each record starts on', () => {
    const s = parseOutcomes(GOOD, 'good.csv');
    expect(s.models).toEqual(['weak', 'strong']);
    expect(s.records.map((r) => [r.subject, r.scores, r.line])).toEqual([
      ['algebra', [0, 1], 2],
      ['history', [1, 1], 5],
      ['history', [0, 0], 6],
    ]);
    expect(s.records[0]!.prompt).toBe('What is 2+2?\nA. 3\nB. 4');
    expect(s.records[1]!.prompt).toBe('Who said "veni, vidi, vici"?');
  });

  it('reads score columns in [0, 1]', () => {
    const s = parseOutcomes('prompt,a_score,b_correct\nhi,0.25,True\n', 's.csv');
    expect(s.records[0]!.scores).toEqual([0.25, 1]);
  });

  it.each([
    ['a missing prompt column', 'subject,weak_correct\nx,True\n', /^bad\.csv:1: missing column "prompt"/],
    ['no outcome columns', 'prompt,answer\nhi,yes\n', /^bad\.csv:1: no outcome columns/],
    ['a non-boolean outcome', 'prompt,weak_correct,strong_correct\nhi,True,maybe\n', /^bad\.csv:2: column 3 "strong_correct": expected True or False, got "maybe"/],
    ['a score out of range', 'prompt,weak_score\nhi,1.5\n', /^bad\.csv:2: column 2 "weak_score": expected a score in \[0, 1\]/],
    ['a short row', 'prompt,weak_correct,strong_correct\nhi,True\n', /^bad\.csv:2: expected 3 columns/],
    ['an empty prompt', 'prompt,weak_correct\n" ",True\n', /^bad\.csv:2: column 1 "prompt": empty prompt/],
    ['two columns for one model', 'prompt,a_correct,a_score\nhi,True,1\n', /^bad\.csv:1: column 3 "a_score": model "a" already has/],
    ['an unterminated quote', 'prompt,a_correct\n"hi,True\n', /^bad\.csv(:\d+)?: invalid CSV/],
    ['no records', 'prompt,a_correct\n', /^bad\.csv: no records/],
  ])('rejects %s, naming the file, line and column', (_, text, msg) => {
    expect(() => parseOutcomes(text, 'bad.csv')).toThrow(msg);
  });

  it('names the file and the models it has when a scenario asks for another model', () => {
    const s = parseOutcomes(GOOD, 'good.csv');
    expect(modelIndex(s, 'strong', 'x')).toBe(1);
    expect(() => modelIndex(s, 'gpt-5', 'load.outcomes.models.big')).toThrow(
      'load.outcomes.models.big: model "gpt-5" has no column "gpt-5_correct" or "gpt-5_score" in good.csv:1 (models there: weak, strong)',
    );
  });
});

describe('split by subject', () => {
  const records = Array.from({ length: 200 }, (_, i) => ({ subject: `s${i % 10}`, i }));

  it('holds out whole subjects, the same ones for the same seed', () => {
    const a = splitBySubject(records, 1, 0.2);
    expect(a.heldOutSubjects).toHaveLength(2);
    expect(a.heldOut).toHaveLength(40);
    const trainSubjects = new Set(a.train.map((r) => r.subject));
    for (const r of a.heldOut) expect(trainSubjects.has(r.subject)).toBe(false);
    expect(splitBySubject(records, 1, 0.2).heldOutSubjects).toEqual(a.heldOutSubjects);
    const others = [2, 3, 4, 5].map((seed) => splitBySubject(records, seed, 0.2).heldOutSubjects.join());
    expect(others.some((o) => o !== a.heldOutSubjects.join())).toBe(true);
  });

  it('folds partition the subjects', () => {
    const folds = subjectFolds(records, 5, 1);
    expect(folds.flat()).toHaveLength(200);
    const owner = new Map<string, number>();
    folds.forEach((f, k) =>
      f.forEach((r) => {
        expect(owner.get(r.subject) ?? k).toBe(k); // a subject never spans two folds
        owner.set(r.subject, k);
      }),
    );
    expect(owner.size).toBe(10);
  });

  it('rejects a held-out share outside (0, 1) and a single subject', () => {
    expect(() => splitBySubject(records, 1, 1)).toThrow(/heldOutShare/);
    expect(() => splitBySubject([{ subject: 'a' }], 1, 0.2)).toThrow(/at least 2 subjects/);
  });
});
