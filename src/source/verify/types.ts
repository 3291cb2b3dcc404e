import type { PublicKey } from 'openpgp';
import type { AllowedSigner } from './allowed-signers.js';

/** The signature formats git writes: `gpg.format=openpgp` and `gpg.format=ssh`. */
export type SignatureFormat = 'openpgp' | 'ssh';

/** Why one signature is not accepted. Each maps to a sentence in `describeRefusal`. */
export type RefusalReason =
  | 'unsigned'
  | 'untrusted-key'
  | 'bad-signature'
  | 'expired-key'
  | 'revoked-key'
  | 'wrong-namespace'
  | 'not-yet-valid-key'
  | 'malformed'
  | 'unsupported'
  | 'tag-mismatch';

/** The outcome of checking one signature over one payload. */
export type SignatureCheck =
  | {
      kind: 'trusted';
      format: SignatureFormat;
      /** OpenPGP: the key's primary user ID. SSH: the principals of the allowed-signers entry. */
      signer: string;
      /** OpenPGP: the primary key's fingerprint (hex). SSH: `SHA256:…` of the key. */
      fingerprint: string;
      /** OpenPGP only: the subkey that made the signature, when it is not the primary key. */
      signingSubkey?: string;
    }
  | {
      kind: 'refused';
      reason: RefusalReason;
      /** One clause naming the key or the problem; never key material. */
      detail: string;
    };

/**
 * One signature format. Each implementation is checked by the shared contract suite in
 * `contract.test.ts`, so the policy never needs to know which format it is holding.
 */
export interface SignatureVerifier {
  readonly format: SignatureFormat;
  /** Whether the armored signature is this verifier's format. */
  accepts(armored: string): boolean;
  /**
   * Checks `armored` over `payload` against the trusted keys.
   * @param at the time keys must be valid at (expiry, revocation, valid-before).
   */
  verify(payload: Buffer, armored: string, at: Date): Promise<SignatureCheck>;
}

/** The keys a repository's commits may be signed with. */
export interface TrustedKeys {
  /** OpenPGP public keys (primary keys with their subkeys, revocations and expiry). */
  openpgp: readonly PublicKey[];
  /** SSH keys with the principals and options of their allowed-signers lines. */
  ssh: readonly AllowedSigner[];
}

export function emptyTrustedKeys(): TrustedKeys {
  return { openpgp: [], ssh: [] };
}
