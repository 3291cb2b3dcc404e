/** Commit signature verification (OpenPGP and SSH, in process) and anti-rollback. */
export { parseAllowedSigners, type AllowedSigner } from './allowed-signers.js';
export { commitChanges, parseChangeLog } from './commit-changes.js';
export {
  describeLargeCommit,
  judgeCommitSizes,
  largeCommitSummary,
  type CommitChanges,
  type CommitLimits,
  type CommitSizeRequest,
  type CommitSizeVerdict,
  type LargeCommit,
} from './commit-size.js';
export { checkDescends, type Descent } from './descends.js';
export { VerificationError, type GitReadOptions } from './gitobjects.js';
export {
  trustedKeysFromDir,
  trustedKeysFromEntries,
  trustedKeysFromSecretData,
  type TrustedKeysResult,
} from './keys.js';
export { parseCommit, parseTag, type SignedObject } from './object.js';
export { OpenPgpVerifier } from './openpgp.js';
export {
  defaultVerifyOptions,
  describeRefusal,
  refusalSummary,
  verifyRevision,
  type RefusedObject,
  type TrustedObject,
  type VerificationMode,
  type VerificationRequest,
  type VerificationResult,
  type VerifyOptions,
} from './policy.js';
export { SshVerifier } from './ssh.js';
export type {
  RefusalReason,
  SignatureCheck,
  SignatureFormat,
  SignatureVerifier,
  TrustedKeys,
} from './types.js';
