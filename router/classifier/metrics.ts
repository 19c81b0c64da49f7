/**
 * Classification metrics for the train script and tests.
 *   accuracy     = correct / total
 *   precision(c) = TP / (TP + FP)   (of prompts predicted c, how many are c)
 *   recall(c)    = TP / (TP + FN)   (of prompts that are c, how many were found)
 *   f1(c)        = 2·P·R / (P + R)
 * A ratio with a zero denominator is reported as 0.
 */
export interface Evaluation {
  classes: readonly string[];
  total: number;
  correct: number;
  accuracy: number;
  perClass: Array<{ label: string; support: number; precision: number; recall: number; f1: number }>;
  /** confusion[actual][predicted], indices into `classes`. */
  confusion: number[][];
}

export function evaluate(classes: readonly string[], actual: readonly string[], predicted: readonly string[]): Evaluation {
  if (actual.length !== predicted.length) throw new Error(`evaluate: ${actual.length} labels but ${predicted.length} predictions`);
  const idx = new Map(classes.map((c, i) => [c, i]));
  const at = (label: string): number => {
    const i = idx.get(label);
    if (i === undefined) throw new Error(`evaluate: label "${label}" is not one of ${classes.join(', ')}`);
    return i;
  };
  const confusion = classes.map(() => classes.map(() => 0));
  actual.forEach((a, i) => (confusion[at(a)]![at(predicted[i]!)]! += 1));
  const correct = classes.reduce((s, _, c) => s + confusion[c]![c]!, 0);
  const ratio = (n: number, d: number): number => (d === 0 ? 0 : n / d);
  const perClass = classes.map((label, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedC = confusion.reduce((s, row) => s + row[c]!, 0);
    const precision = ratio(tp, predictedC);
    const recall = ratio(tp, support);
    return { label, support, precision, recall, f1: ratio(2 * precision * recall, precision + recall) };
  });
  return { classes, total: actual.length, correct, accuracy: ratio(correct, actual.length), perClass, confusion };
}

/** A fixed-width text report: accuracy, per-class precision/recall/F1, confusion matrix. */
export function formatEvaluation(e: Evaluation, title: string): string {
  const w = Math.max(10, ...e.classes.map((c) => c.length + 1));
  const pct = (x: number): string => (x * 100).toFixed(1).padStart(6) + '%';
  const lines = [`${title}: accuracy ${pct(e.accuracy).trim()} (${e.correct}/${e.total})`, ''];
  lines.push(`${'class'.padEnd(w)} support  precision   recall       f1`);
  for (const p of e.perClass)
    lines.push(`${p.label.padEnd(w)} ${String(p.support).padStart(7)}    ${pct(p.precision)}  ${pct(p.recall)}  ${pct(p.f1)}`);
  lines.push('', 'confusion (rows = actual, columns = predicted)');
  lines.push(''.padEnd(w) + e.classes.map((c) => c.slice(0, 9).padStart(10)).join(''));
  e.confusion.forEach((row, i) => lines.push(e.classes[i]!.padEnd(w) + row.map((n) => String(n).padStart(10)).join('')));
  return lines.join('\n');
}
