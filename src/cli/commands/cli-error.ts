/**
 * Failures a command reports itself, printed as `Error: <message>` on stderr, with etcdctl's
 * exit codes (etcdctl/ctlv3/command/error.go in etcd 3.4, observed against etcdctl 3.4.23).
 * An empty message exits without a line (the command already said what failed).
 */
export const ExitCode = {
  Success: 0,
  /** A failed request, a server error, an unknown flag or command. */
  Error: 1,
  /** The client could not be set up to reach the cluster. */
  BadConnection: 2,
  /** Malformed interactive input (`txn`, `watch -i`). */
  InvalidInput: 3,
  /** A valid flag with a value the command does not support (`--sort-by=x`, `-w bogus`). */
  BadFeature: 4,
  /** The server ended a long-running command (a canceled watch). */
  Interrupted: 5,
  IO: 6,
  /** Wrong arguments: their number, an ID that is not hex, conflicting flags. */
  BadArgs: 128,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(message: string, readonly exitCode: ExitCode = ExitCode.Error) {
    super(message);
  }
}

/** Usage mistakes (missing or extra arguments): exit 128 with a hint, as etcdctl's ExitBadArgs. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, ExitCode.BadArgs);
  }
}
