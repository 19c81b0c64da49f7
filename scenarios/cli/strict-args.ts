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

/**
 * A script's argv with `--help` handled: the parsed flags, or the exit code when the script
 * should stop (0 after printing the usage for --help, 2 after printing the error and usage).
 */
export function scriptArgs<O extends Options>(
  argv: readonly string[],
  options: O,
  usage: string,
): ReturnType<typeof parseStrict<O & { help: { type: 'boolean' } }>> | number {
  let parsed;
  try {
    parsed = parseStrict(argv, { ...options, help: { type: 'boolean' as const } }, (m) => new Error(m));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${usage}\n`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return parsed;
}
