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

/**
 * Whether `e` is a UserError. By name as well as class: `netc fmt` and `netc lsp` run from
 * bundles of their own, each with its own copy of the class.
 */
export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError || (e instanceof Error && e.name === "UserError" && Array.isArray((e as UserError).hints));
}
