/**
 * Bad input in a scenario (a file, a field, a flag): the CLIs print the message and exit
 * with `exitCode`, never a stack trace.
 */
export class ScenarioError extends Error {
  constructor(
    message: string,
    /** Exit code the CLI uses: 2 = bad input. */
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
}
