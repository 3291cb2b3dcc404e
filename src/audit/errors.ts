/**
 * A ledger could not be opened, read or written. The subject is the ledger's location (its URL
 * without a password); the message ends with the cause's, so a CLI user sees why.
 */
export class LedgerError extends Error {
  override readonly name: string = 'LedgerError';
  constructor(
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`${subject}: ${message}${why}`, options);
  }
}

/** An entry or a query the ledger refuses: the subject names the record or the flag. */
export class LedgerDataError extends LedgerError {
  override readonly name: string = 'LedgerDataError';
}
