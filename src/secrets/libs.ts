import type * as AgeEncryption from 'age-encryption';
import type * as OpenPgp from 'openpgp';

// age-encryption and openpgp each add about 20 MiB of resident memory once imported, and most
// processes never use them: the controller reconciling sources without SOPS files or signature
// checks (source/verify imports openpgp the same way), and most other commands. So they are
// imported on first use rather than at startup. The promise is kept so that concurrent first
// uses share one import.

let age: Promise<typeof AgeEncryption> | undefined;
let openpgp: Promise<typeof OpenPgp> | undefined;

/** The age-encryption module, imported on first call. */
export function loadAge(): Promise<typeof AgeEncryption> {
  age ??= import('age-encryption');
  return age;
}

/** The openpgp module, imported on first call. */
export function loadOpenPgp(): Promise<typeof OpenPgp> {
  openpgp ??= import('openpgp');
  return openpgp;
}
