import { fnv1a32 } from '../core/hash.js';

/**
 * Features of a prompt for the learned quality router, from the text alone:
 *   - word unigrams and bigrams, hashed into `buckets` slots (the hashing trick: no
 *     vocabulary to ship, unseen words cost nothing), binary, scaled by 1/√(distinct n-grams)
 *     so a long passage does not outweigh a short question;
 *   - a few hand features that carry over to unseen topics: length, digits, numbers and
 *     formulas, numeric answer choices, code markers, a passage to read, question shape.
 * Only the first MAX_CHARS characters are read, so the cost per prompt is bounded.
 */
export const MAX_CHARS = 4000;

const WORD = /[a-z0-9\u00df-\u00f6\u00f8-\u00ff\u0100-\u024f\u0370-\u03ff\u0400-\u04ff\u4e00-\u9fff]+/g;
const DIGITS = /^[0-9]+$/;

/** Hand features: [name, value in roughly [0, 1]]. Names are stored in the model file. */
const HAND: ReadonlyArray<readonly [string, (t: string) => number]> = [
  ['log-chars', (t) => Math.log1p(t.length) / 8],
  ['digit-share', (t) => Math.min(1, (10 * count(/[0-9]/g, t)) / Math.max(1, t.length))],
  ['numbers', (t) => Math.log1p(count(/\d+(?:\.\d+)?/g, t)) / 3],
  ['formula', (t) => Math.log1p(count(/[=^√∫∑π×÷]|\\[a-z]+|\d\s*[-+*/]\s*\d/g, t)) / 2],
  ['numeric-choices', (t) => count(/^[A-D]\.\s*[-+$]?[\d.,/%\s]+[a-zA-Z/%²³]{0,6}\s*$/gm, t) / 4],
  ['choice-length', (t) => Math.log1p(meanChoiceLength(t)) / 5],
  ['code', (t) => Math.min(1, count(/[{};]|=>|\bdef |\breturn\b|\bprint\(|\bint\b/g, t) / 5)],
  ['passage', (t) => (/following (information|passage|excerpt)|refers to the following/i.test(t) ? 1 : 0)],
  ['statements', (t) => (/statement 1|\bI\.\s|\bII\.\s/i.test(t) ? 1 : 0)],
  ['how-many', (t) => (/\b(how many|how much|calculate|compute|what is the value|find the)\b/i.test(t) ? 1 : 0)],
];

export const HAND_FEATURES: readonly string[] = HAND.map(([name]) => name);

function count(re: RegExp, text: string): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text) !== null) n += 1;
  return n;
}

function meanChoiceLength(t: string): number {
  const choices = t.match(/^[A-D]\.\s.*$/gm);
  if (!choices || choices.length === 0) return 0;
  return choices.reduce((s, c) => s + c.length - 3, 0) / choices.length;
}

/** A sparse feature vector: slot indices (ascending, distinct) and their values. */
export interface SparseVector {
  readonly index: Int32Array;
  readonly value: Float64Array;
}

/** Total width of the feature vector for `buckets` hashed slots. */
export function featureWidth(buckets: number): number {
  return buckets + HAND.length;
}

/** The feature vector of `text`: hashed slots [0, buckets), hand features after them. */
export function features(text: string, buckets: number): SparseVector {
  const t = text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text;
  const slots = new Set<number>();
  let prev = '';
  for (const raw of t.toLowerCase().match(WORD) ?? []) {
    const w = DIGITS.test(raw) ? '#' : raw;
    slots.add(fnv1a32(w) % buckets);
    if (prev !== '') slots.add(fnv1a32(`${prev} ${w}`) % buckets);
    prev = w;
  }
  const hashed = [...slots].sort((a, b) => a - b);
  const scale = hashed.length > 0 ? 1 / Math.sqrt(hashed.length) : 0;
  const n = hashed.length + HAND.length;
  const index = new Int32Array(n);
  const value = new Float64Array(n);
  hashed.forEach((s, i) => {
    index[i] = s;
    value[i] = scale;
  });
  HAND.forEach(([, f], j) => {
    index[hashed.length + j] = buckets + j;
    value[hashed.length + j] = f(t);
  });
  return { index, value };
}
