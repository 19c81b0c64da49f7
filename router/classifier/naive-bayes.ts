/**
 * Multinomial naive Bayes with Laplace (add-alpha) smoothing, in log space.
 *
 * Why naive Bayes rather than logistic regression: training is a closed-form count (no
 * learning rate, iterations or random init, so a retrain is exactly reproducible), the
 * model is a small table of integer counts that diffs cleanly in git, and it is known to
 * do well on small text corpora (a few hundred prompts here) where discriminative models
 * overfit. Classification is one Map lookup and a few additions per token.
 *
 *   log P(c | d) ∝ log P(c) + Σ_{t ∈ d} n_t · log P(t | c)
 *   P(t | c)     = (count(t, c) + α) / (Σ_t' count(t', c) + α·|V|)
 *   P(c)         = (docs(c) + α) / (docs + α·|C|)   ('empirical') or 1 / |C| ('uniform')
 * Tokens not in the vocabulary are skipped. With `binary`, each token counts at most
 * once per document (binarized multinomial NB: repeated tokens in one long pasted prompt
 * do not swamp the evidence).
 */

export interface NaiveBayesOptions {
  /** Laplace smoothing α > 0. */
  alpha: number;
  /** Count each token at most once per document. */
  binary: boolean;
  priors: 'empirical' | 'uniform';
}

/** The trained model as plain data (what model.json holds): integer counts, no floats. */
export interface NaiveBayesModel {
  format: 'llm-router/naive-bayes@1';
  classes: string[];
  options: NaiveBayesOptions;
  /** Training documents per class. */
  docCounts: number[];
  /** token -> count per class (same order as `classes`); keys sorted. */
  vocabulary: Record<string, number[]>;
}

export interface TrainingDoc {
  tokens: readonly string[];
  label: string;
}

/** Count tokens per class. Deterministic: the vocabulary is emitted in sorted order. */
export function trainNaiveBayes(docs: readonly TrainingDoc[], classes: readonly string[], options: NaiveBayesOptions): NaiveBayesModel {
  if (!(options.alpha > 0)) throw new Error(`naive Bayes: alpha must be > 0 (got ${options.alpha})`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const docCounts = classes.map(() => 0);
  const counts = new Map<string, number[]>();
  for (const doc of docs) {
    const c = index.get(doc.label);
    if (c === undefined) throw new Error(`naive Bayes: label "${doc.label}" is not one of ${classes.join(', ')}`);
    docCounts[c]! += 1;
    const tokens = options.binary ? new Set(doc.tokens) : doc.tokens;
    for (const t of tokens) {
      let row = counts.get(t);
      if (!row) counts.set(t, (row = classes.map(() => 0)));
      row[c]! += 1;
    }
  }
  const vocabulary: Record<string, number[]> = {};
  for (const t of [...counts.keys()].sort()) vocabulary[t] = counts.get(t)!;
  return { format: 'llm-router/naive-bayes@1', classes: [...classes], options: { ...options }, docCounts, vocabulary };
}

export interface NaiveBayesPrediction {
  /** Index into `classes` of the most probable class (ties: the earlier class). */
  index: number;
  /** Posterior probability per class (softmax of the log scores); sums to 1. */
  posteriors: number[];
}

/** A model with log-probabilities precomputed: predict() is O(tokens × classes). */
export interface CompiledNaiveBayes {
  readonly classes: readonly string[];
  predict(tokens: readonly string[]): NaiveBayesPrediction;
}

export function compileNaiveBayes(model: NaiveBayesModel): CompiledNaiveBayes {
  const k = model.classes.length;
  const { alpha, binary, priors } = model.options;
  const entries = Object.entries(model.vocabulary);
  const v = entries.length;
  const totals = new Array<number>(k).fill(0);
  for (const [, row] of entries) for (let c = 0; c < k; c++) totals[c]! += row[c]!;
  const docs = model.docCounts.reduce((a, b) => a + b, 0);
  const logPrior = model.docCounts.map((n) => (priors === 'uniform' ? -Math.log(k) : Math.log((n + alpha) / (docs + alpha * k))));
  const denom = totals.map((t) => Math.log(t + alpha * v));
  const logLik = new Map<string, Float64Array>();
  for (const [t, row] of entries) {
    const l = new Float64Array(k);
    for (let c = 0; c < k; c++) l[c] = Math.log(row[c]! + alpha) - denom[c]!;
    logLik.set(t, l);
  }

  return {
    classes: model.classes,
    predict(tokens) {
      const s = Float64Array.from(logPrior);
      const seen = binary ? new Set<string>() : undefined;
      for (const t of tokens) {
        if (seen) {
          if (seen.has(t)) continue;
          seen.add(t);
        }
        const l = logLik.get(t);
        if (l) for (let c = 0; c < k; c++) s[c]! += l[c]!;
      }
      let index = 0;
      for (let c = 1; c < k; c++) if (s[c]! > s[index]!) index = c;
      // Softmax with the max subtracted: p_c = exp(s_c − max) / Σ exp(s_j − max).
      const max = s[index]!;
      let sum = 0;
      const posteriors = new Array<number>(k);
      for (let c = 0; c < k; c++) sum += posteriors[c] = Math.exp(s[c]! - max);
      for (let c = 0; c < k; c++) posteriors[c] = posteriors[c]! / sum;
      return { index, posteriors };
    },
  };
}
