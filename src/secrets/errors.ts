/** Why a SOPS file could not be decrypted. The reconciler maps each to its own condition reason. */
export type SopsErrorReason =
  'malformed' | 'missing-key' | 'mac-mismatch' | 'unsupported' | 'value-tampered' | 'invalid-key';

/**
 * The base of every SOPS failure. The message starts with the file and never holds key
 * material or plaintext: only recipients, fingerprints, key paths and the kind of problem.
 */
export abstract class SopsError extends Error {
  abstract readonly reason: SopsErrorReason;

  protected constructor(
    /** The file the error is about, as the caller named it (relative to the repository root). */
    readonly file: string,
    /** The message without the file, for callers that name the file their own way. */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}

/** The file is not a well-formed SOPS document (metadata missing or broken, bad ENC value). */
export class SopsFormatError extends SopsError {
  override readonly name = 'SopsFormatError';
  override readonly reason = 'malformed' as const;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(file, `is not a valid SOPS file: ${problem}`, options);
  }
}

/** How one master key in the file is named, so the operator knows which key to provide. */
export interface NeededKey {
  type: 'age' | 'pgp' | 'other';
  /** The age recipient (`age1…`), the PGP fingerprint, or the key's identifier for other types. */
  id: string;
}

export function describeNeededKeys(needed: readonly NeededKey[]): string {
  if (needed.length === 0) return 'the file lists no master keys';
  return needed
    .map((k) => (k.type === 'pgp' ? `PGP key ${k.id}` : k.type === 'age' ? `age ${k.id}` : k.id))
    .join(' or ');
}

/** None of the configured keys can unwrap the file's data key. */
export class SopsMissingKeyError extends SopsError {
  override readonly name = 'SopsMissingKeyError';
  override readonly reason = 'missing-key' as const;
  constructor(
    file: string,
    readonly needed: readonly NeededKey[],
    options?: { cause?: unknown },
  ) {
    super(
      file,
      `no configured key can decrypt it; it needs one of: ${describeNeededKeys(needed)}; add that key to the decryption Secret (*.agekey or *.asc)`,
      options,
    );
  }
}

/** The MAC over the plaintext does not match the file's: the file was changed without its key. */
export class SopsMacMismatchError extends SopsError {
  override readonly name = 'SopsMacMismatchError';
  override readonly reason = 'mac-mismatch' as const;
  constructor(file: string, detail: string, options?: { cause?: unknown }) {
    super(
      file,
      `the SOPS MAC does not match (${detail}); the file was altered after encryption, so it is refused; re-encrypt it with sops`,
      options,
    );
  }
}

/** An encrypted value fails authentication: its ciphertext, IV, tag or key path was changed. */
export class SopsValueError extends SopsError {
  override readonly name = 'SopsValueError';
  override readonly reason = 'value-tampered' as const;
  constructor(
    file: string,
    readonly keyPath: string,
    options?: { cause?: unknown },
  ) {
    super(
      file,
      `the value at '${keyPath}' fails authentication (changed, or moved from another key); the file is refused; re-encrypt it with sops`,
      options,
    );
  }
}

/** The file uses something Ballast does not implement: another cipher, a key service, Shamir groups. */
export class SopsUnsupportedError extends SopsError {
  override readonly name = 'SopsUnsupportedError';
  override readonly reason = 'unsupported' as const;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(file, `${problem}; Ballast decrypts AES256_GCM values with age or PGP keys`, options);
  }
}

/** A key given to Ballast (a Secret entry or a key file) cannot be read. Names the entry only. */
export class SopsKeyError extends SopsError {
  override readonly name = 'SopsKeyError';
  override readonly reason = 'invalid-key' as const;
  constructor(entry: string, problem: string, options?: { cause?: unknown }) {
    super(entry, `${problem}; fix the key and try again`, options);
  }
}

export type AnySopsError =
  | SopsFormatError
  | SopsMissingKeyError
  | SopsMacMismatchError
  | SopsValueError
  | SopsUnsupportedError
  | SopsKeyError;
