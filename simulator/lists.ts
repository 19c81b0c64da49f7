/**
 * Empty arrays that start in the element kind they will hold. A `[]` literal starts out
 * holding small integers only and changes kind (and map) at its first object, string or
 * fractional number; for an array made once per run (the engine's heap and timer table, the
 * metrics' windows), that change came after the previous run's optimised code had been made
 * for the final kind, so each new run threw that code away (a V8 deoptimisation) and
 * recompiled it. Same contents and behaviour as `[]`.
 */

/** An empty array that holds any values (objects, strings, null). */
export function listOfAny<T>(): T[] {
  const a = [null] as unknown as T[];
  a.pop();
  return a;
}

/** An empty array of numbers that holds fractional values without changing kind. */
export function listOfDoubles(): number[] {
  const a = [0.5];
  a.pop();
  return a;
}
