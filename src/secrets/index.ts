export * from './errors.js';
export {
  decryptSops,
  formatOf,
  isSopsEncrypted,
  type DecryptedDocument,
  type DecryptResult,
  type SopsFile,
  type SopsFormat,
} from './decrypt.js';
export {
  decryptionKeysFromSecretData,
  keysFromNamedText,
  mergeKeys,
  noDecryptionKeys,
  parseAgeKeys,
  parsePgpKeys,
  type AgeIdentity,
  type DecryptionKeys,
  type KeysResult,
  type PgpIdentity,
} from './keys.js';
export { loadAge } from './libs.js';
export type { EncryptionRules } from './tree.js';
export {
  defaultEncryptOptions,
  encryptSops,
  sopsFormatVersion,
  type EncryptionRecipients,
  type EncryptOptions,
  type EncryptResult,
} from './encrypt.js';
