export {
  hybridDecrypt,
  hybridEncrypt,
  scopeLabel,
  scopeOf,
  sealingScopes,
  type SealingScope,
} from './crypto.js';
export { defaultCertOptions, generateSealingKey, type CertOptions } from './cert.js';
export {
  isRenewalDue,
  isSealingKeySecret,
  newSealingKeyName,
  sealingKeyFromSecret,
  sealingKeyLabel,
  sealingKeyPrefix,
  sealingKeySecret,
  sealingKeysFrom,
  type SealingKey,
  type SealingKeys,
} from './keys.js';
export {
  newestPublicKey,
  publicKeyOfCert,
  resealSecret,
  sealSecret,
  type SealResult,
} from './seal.js';
export {
  isSealedSecret,
  sealedSecretApiVersion,
  sealedSecretKind,
  unsealSecret,
} from './unseal.js';
