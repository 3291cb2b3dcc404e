/** A real local git server (HTTP and SSH), repository helpers and signing keys, for tests and the quickstart. */
export { defaultHttpAuthOptions, type HttpAuthOptions, type HttpUser } from './auth.js';
export { GitServerError } from './errors.js';
export { defaultGitIdentity, type GitIdentity } from './gitenv.js';
export { RepoNameError } from './names.js';
export {
  accessEnv,
  createBareRepo,
  defaultBareRepoOptions,
  defaultCloneOptions,
  WorkingClone,
  type BareRepoOptions,
  type CloneOptions,
  type GitAccess,
  type PushOptions,
  type VerifyOutcome,
} from './repo.js';
export {
  defaultGitServerOptions,
  startGitServer,
  type GitServer,
  type GitServerOptions,
} from './server.js';
export {
  createGpgSigner,
  createSshSigner,
  defaultSignerOptions,
  SigningError,
  signingInvocation,
  verificationInvocation,
  type CommitSigner,
  type GpgSigner,
  type SignerOptions,
  type SshSigner,
} from './signing.js';
export type { SshClient } from './ssh.js';
