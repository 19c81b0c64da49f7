import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROMPT_CLASSES, createNaiveBayesClassifier, defaultClassifier, defaultModelPath } from '../router/classifier/index.js';
import { loadPromptCorpus } from '../router/classifier/corpus.js';
import { arenaLabel } from '../router/classifier/labels.js';
import { parseModel, readModelFile } from '../router/classifier/model-file.js';
import { stratifiedFolds, stratifiedSplit } from '../router/classifier/split.js';
import { tokenize } from '../router/classifier/tokenize.js';
import { crossValidate, evaluateBySource, trainOnSplit, TRAINING_DEFAULTS } from '../router/classifier/training.js';
import { classifierExtras } from '../scripts/classifier-extras.js';

/**
 * The shipped prompt classifier. Measured with the fixed split (seed 1, 20% held out,
 * 73 prompts): held-out accuracy 0.849 (62/73); 5-fold CV 0.785. Thresholds below leave a few
 * points of slack so a small corpus or tokenizer tweak does not break the build, while a
 * real regression (e.g. labels shuffled, features lost) does.
 */
const HELD_OUT_ACCURACY_MIN = 0.8;
const CV_ACCURACY_MIN = 0.72;
const PER_CLASS_RECALL_MIN = 0.5;
/** Leave-one-source-out (each benchmark unseen in training): 0.553 with the extra MMLU prompts, 0.501 without. */
const BY_SOURCE_MIN = 0.52;

describe('prompt corpus', () => {
  const corpus = loadPromptCorpus();

  it('has every class, from all three sources, only the first turn, no duplicates', () => {
    for (const c of PROMPT_CLASSES) expect(corpus.filter((p) => p.label === c).length).toBeGreaterThanOrEqual(20);
    for (const s of ['mt-bench:', 'vicuna:', 'arena-hard:']) expect(corpus.some((p) => p.source.startsWith(s))).toBe(true);
    expect(new Set(corpus.map((p) => p.text.trim())).size).toBe(corpus.length);
    const mt81 = corpus.find((p) => p.source === 'mt-bench:81');
    expect(mt81?.text.startsWith('Compose an engaging travel blog post')).toBe(true);
    expect(mt81?.text).not.toContain('Rewrite your previous response');
  });

  it('is cached and read from the repo (never ../shared)', () => {
    expect(loadPromptCorpus()).toBe(corpus);
    const here = fileURLToPath(new URL('../data/prompts/', import.meta.url));
    expect(() => loadPromptCorpus(here)).not.toThrow();
  });

  it('labels Arena-Hard prompts only when cluster and prompt agree', () => {
    expect(arenaLabel('Python Web Scraping', 'write python code to web scrape a site')).toBe('coding');
    expect(arenaLabel('Triangle Geometry Analysis', 'write an animation script for a short video')).toBeUndefined();
    expect(arenaLabel('Real Analysis Continuity', 'Prove that f(x)=x^3+3x is continuous at x=-1')).toBe('math');
    expect(arenaLabel('Some Unknown Topic', 'anything')).toBeUndefined();
  });

  it('names the missing file, or the file and line of a bad row', () => {
    expect(() => loadPromptCorpus('/nonexistent-dir')).toThrow(/cannot read prompt file .*mt_bench_question\.jsonl/);
    const dir = mkdtempSync(join(tmpdir(), 'classifier-corpus-'));
    try {
      writeFileSync(join(dir, 'mt_bench_question.jsonl'), '{"question_id": 1, "category": "coding", "turns": ["hi"]}\n{oops\n');
      expect(() => loadPromptCorpus(dir)).toThrow(/mt_bench_question\.jsonl:2: invalid JSON/);
      writeFileSync(join(dir, 'mt_bench_question.jsonl'), '{"question_id": 1, "category": "poetry", "turns": ["hi"]}\n');
      expect(() => loadPromptCorpus(dir)).toThrow(/row 1: unknown category "poetry"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('seeded stratified split', () => {
  const corpus = loadPromptCorpus();

  it('is reproducible, disjoint, and keeps every class in the held-out part', () => {
    const a = stratifiedSplit(corpus, 0.2, 1);
    const b = stratifiedSplit(corpus, 0.2, 1);
    expect(a.test.map((p) => p.source)).toEqual(b.test.map((p) => p.source));
    expect(a.train.length + a.test.length).toBe(corpus.length);
    const trainSet = new Set(a.train);
    expect(a.test.every((p) => !trainSet.has(p))).toBe(true);
    for (const c of PROMPT_CLASSES) {
      const n = corpus.filter((p) => p.label === c).length;
      expect(Math.abs(a.test.filter((p) => p.label === c).length - n * 0.2)).toBeLessThanOrEqual(1);
    }
    expect(stratifiedSplit(corpus, 0.2, 2).test.map((p) => p.source)).not.toEqual(a.test.map((p) => p.source));
  });

  it('k folds partition the corpus', () => {
    const folds = stratifiedFolds(corpus, 5, 1);
    expect(folds.flat().length).toBe(corpus.length);
    expect(new Set(folds.flat()).size).toBe(corpus.length);
  });
});

describe('naive Bayes classifier', () => {
  const extra = classifierExtras();
  const result = trainOnSplit(undefined, undefined, undefined, undefined, extra);

  it(`reaches held-out accuracy >= ${HELD_OUT_ACCURACY_MIN} on the fixed split (seed ${TRAINING_DEFAULTS.seed})`, () => {
    expect(result.heldOut.length).toBeGreaterThan(50);
    expect(result.evaluation.accuracy).toBeGreaterThanOrEqual(HELD_OUT_ACCURACY_MIN);
    for (const c of result.evaluation.perClass) expect(c.recall, c.label).toBeGreaterThanOrEqual(PER_CLASS_RECALL_MIN);
  });

  it(`reaches ${TRAINING_DEFAULTS.folds}-fold cross-validated accuracy >= ${CV_ACCURACY_MIN}`, () => {
    expect(crossValidate(undefined, undefined, undefined, undefined, extra).mean).toBeGreaterThanOrEqual(CV_ACCURACY_MIN);
  });

  it(`predicts unseen benchmarks better with the extra MMLU prompts (leave-one-source-out pooled accuracy >= ${BY_SOURCE_MIN})`, () => {
    const corpus = loadPromptCorpus();
    const withExtra = evaluateBySource(corpus, TRAINING_DEFAULTS.options, extra);
    const without = evaluateBySource(corpus, TRAINING_DEFAULTS.options);
    expect(withExtra.bySource.map((s) => s.source)).toEqual(['mt-bench', 'vicuna', 'arena-hard']);
    expect(withExtra.pooled.total).toBe(corpus.length);
    expect(withExtra.pooled.accuracy).toBeGreaterThanOrEqual(BY_SOURCE_MIN);
    expect(withExtra.pooled.accuracy).toBeGreaterThan(without.pooled.accuracy);
    const mathRecall = (e: typeof without.pooled): number => e.perClass.find((c) => c.label === 'math')!.recall;
    expect(mathRecall(withExtra.pooled)).toBeGreaterThan(mathRecall(without.pooled));
  });

  it('the shipped model.json is exactly what the train script produces, with the same held-out predictions', () => {
    const shipped = readModelFile(defaultModelPath());
    expect(shipped).toEqual(JSON.parse(JSON.stringify(result.model)));
    const clf = defaultClassifier();
    expect(result.heldOut.map((p) => clf.classify(p.text).label)).toEqual(result.predictions);
    expect(shipped.meta?.heldOutAccuracy).toBeCloseTo(result.evaluation.accuracy, 12);
  });

  it('is deterministic and returns posteriors that sum to 1', () => {
    const a = createNaiveBayesClassifier(result.model);
    const b = createNaiveBayesClassifier(readModelFile(defaultModelPath()));
    const texts = [
      'Write a Python function that reverses a linked list.',
      'Solve for x: 3x^2 + 2x - 5 = 0',
      'Write a short poem about autumn leaves.',
      '',
      'x'.repeat(100_000),
    ];
    for (const t of texts) {
      const r1 = a.classify(t);
      expect(b.classify(t)).toEqual(r1);
      expect(a.classify(t)).toEqual(r1);
      expect(PROMPT_CLASSES).toContain(r1.label);
      const sum = Object.values(r1.scores).reduce((x, y) => x + y, 0);
      expect(sum).toBeCloseTo(1, 9);
      expect(r1.scores[r1.label]).toBe(Math.max(...Object.values(r1.scores)));
    }
    expect(tokenize('def foo_bar(x): return x == 1;')).toEqual(tokenize('def foo_bar(x): return x == 1;'));
  });

  it('classifies obvious prompts sensibly', () => {
    const clf = defaultClassifier();
    expect(clf.classify('Write a Python function to parse a CSV file and fix this bug:\n```\ndef f(x):\n  return x[0]\n```').label).toBe('coding');
    expect(clf.classify('Prove that the square root of 2 is irrational.').label).toBe('math');
    expect(clf.classify('Write a haiku about the sea.').label).toBe('writing');
    expect(clf.classify('If all cats are animals and some animals are black, are some cats black?').label).toBe('reasoning');
    expect(clf.classify('Explain how vaccines work.').label).toBe('general');
  });

  it('rejects a malformed model naming the field', () => {
    const bad = JSON.parse(readFileSync(defaultModelPath(), 'utf8')) as Record<string, unknown>;
    bad.docCounts = [1, 2];
    expect(() => parseModel(bad, 'model.json')).toThrow(/model\.json\.docCounts: expected 5 counts/);
    expect(() => parseModel({ format: 'other' }, 'm')).toThrow(/m\.format/);
  });
});
