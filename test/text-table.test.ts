import { describe, expect, it } from 'vitest';
import { textTable } from '../reports/text-table.js';

describe('textTable (the one terminal table layout)', () => {
  it('pads every column to its widest cell: names left, numbers right, a dashed rule under the header', () => {
    expect(textTable(['strategy', 'p99 ms'], [['round-robin', '1,234'], ['cost', '9']])).toEqual([
      'strategy     p99 ms',
      '-----------  ------',
      'round-robin   1,234',
      'cost              9',
    ]);
  });

  it('left-aligns the first `left` columns; no trailing spaces; a short row gets empty cells', () => {
    expect(textTable(['a', 'metric', 'n'], [['x', 'p99', '10'], ['yy', 'cost']], 2)).toEqual(['a   metric   n', '--  ------  --', 'x   p99     10', 'yy  cost']);
  });
});
