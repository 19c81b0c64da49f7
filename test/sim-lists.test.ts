import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { listOfAny, listOfDoubles } from '../simulator/lists.js';

/**
 * simulator/lists.ts: empty arrays that start in the element kind they will hold (so a new
 * engine or metrics collector does not deoptimise the previous run's code). The kind is only
 * visible to V8's natives syntax: checked in a child process.
 */
describe('lists', () => {
  it('are empty, fresh per call, and behave as arrays', () => {
    const a = listOfAny<string>();
    const b = listOfAny<string>();
    expect(a).toEqual([]);
    expect(a).not.toBe(b);
    a.push('x', 'y');
    expect(a).toEqual(['x', 'y']);
    const d = listOfDoubles();
    expect(d).toHaveLength(0);
    d.push(1.5, 2);
    expect(d).toEqual([1.5, 2]);
  });

  it('start with object / double elements, where [] starts with small integers', () => {
    const url = new URL('../simulator/lists.ts', import.meta.url).href;
    const code = `import(${JSON.stringify(url)}).then((m) => {
      const a = m.listOfAny(), d = m.listOfDoubles(), e = [];
      console.log(JSON.stringify([%HasObjectElements(a), %HasDoubleElements(d), %HasSmiElements(e)]));
    });`;
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '-e', code], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([true, true, true]);
  });
});
