/**
 * The one text-table layout for terminals (the run summary, the tune comparison, the
 * fidelity check): every column as wide as its widest cell, two spaces apart, the first
 * `left` columns left-aligned (names) and the others right-aligned (numbers), a dashed
 * rule under the header. Returns the lines: header, rule, then one per row.
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], left = 1): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const line = (row: readonly string[]): string =>
    widths.map((w, c) => (c < left ? (row[c] ?? '').padEnd(w) : (row[c] ?? '').padStart(w))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}
