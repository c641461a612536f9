/**
 * An error the user can act on (missing file, bad data, unreachable download). The CLI prints
 * its message and hints without a stack trace and exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hints: string[] = [],
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = "UserError";
  }
}
