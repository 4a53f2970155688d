// Typed errors shared by every layer. Library code throws these; only cli/ turns them
// into a one-line message and an exit code (UsageError -> 2, anything else -> 1).

/** Base class of every error anvil throws on purpose. */
export class AnvilError extends Error {
  override name = 'AnvilError';
}

/** A flag, argument or option value the caller got wrong; the CLI exits 2. */
export class UsageError extends AnvilError {
  override name = 'UsageError';
}

/** Bad content in an input file; the message names the file and, where known, the line or field. */
export class InputError extends AnvilError {
  override name = 'InputError';
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(file ? `${file}${line !== undefined ? `:${line}` : ''}: ${message}` : message);
  }
}
