import type { ObjectRef, Origin } from '../api/object.js';

/**
 * A rendered object whose placeholders cannot be resolved from its input alone: malformed, in a
 * place placeholders may not be, or naming a key Vault does not hold. The message starts with the
 * object and its file, and never holds a value.
 */
export class VaultPlaceholderError extends Error {
  override readonly name = 'VaultPlaceholderError';
  constructor(
    readonly object: ObjectRef,
    readonly origin: Origin,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Vault could not answer: unreachable, timed out, refused the login or the read, or answered
 * something that is not Vault's JSON. The message starts with the address and the path asked
 * for; it never holds a token or a value (Vault's own error strings are quoted, and hold neither).
 */
export class VaultRequestError extends Error {
  override readonly name = 'VaultRequestError';
  constructor(
    readonly address: string,
    readonly path: string,
    /** The HTTP status, when Vault answered at all. */
    readonly status: number | undefined,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`Vault ${address} /v1/${path}: ${problem}`, options);
  }
}
