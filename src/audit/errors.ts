/** A ledger could not be opened, read or written. The subject is the ledger's location. */
export class LedgerError extends Error {
  override readonly name: string = 'LedgerError';
  constructor(
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${message}`, options);
  }
}

/** An entry or a query the ledger refuses: the subject names the record or the flag. */
export class LedgerDataError extends LedgerError {
  override readonly name: string = 'LedgerDataError';
}
