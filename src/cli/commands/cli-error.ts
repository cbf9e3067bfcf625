/**
 * Failures a command reports itself: printed as `Error: <message>` on stderr, exit code 1;
 * usage mistakes (bad flags, missing arguments) exit 2 with a hint, as flag errors do.
 * An empty message exits without a line (the command already said what failed).
 */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(message: string, readonly exitCode: number = 1) {
    super(message);
  }
}

export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, 2);
  }
}
