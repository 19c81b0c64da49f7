import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs, strict, positionals allowed, with a parse failure (unknown flag,
 * missing value) turned into the caller's bad-input error carrying the usage text.
 */
export function parseStrict<O extends Options>(
  argv: readonly string[],
  options: O,
  fail: (message: string) => Error,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>> {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (e) {
    throw fail((e as Error).message);
  }
}
