/** A command that cannot do what it was asked (bad argument value): exit 2, like a usage error. */
export class CliUsageError extends Error {
  readonly code = 'CLI.USAGE';
}
