import type { Result } from '../api/errors.js';
import type { GitAuth } from './git.js';

/** Repository credentials as they come from a Secret, decoded. */
export interface RepoCredentials {
  auth: GitAuth;
  caBundle?: string;
}

/** A repository Secret that does not hold usable credentials; names its keys, never values. */
export class InvalidCredentialsError extends Error {
  override readonly name = 'InvalidCredentialsError';
  constructor(
    /** The Secret, e.g. `Secret team-a/repo-creds`. */
    readonly secret: string,
    readonly problem: string,
  ) {
    super(`${secret}: ${problem}`);
  }
}

export type CredentialsResult = Result<RepoCredentials, InvalidCredentialsError>;

/**
 * Reads a repository Secret's `data` (base64 values) with the keys the Application documents:
 * username+password, token (with optional username), sshPrivateKey+knownHosts, caBundle.
 * `secret` names it in errors, e.g. `Secret team-a/repo-creds`. Problems name keys, never values.
 */
export function credentialsFromSecretData(
  data: Record<string, string> | undefined,
  secret: string,
): CredentialsResult {
  const invalid = (problem: string): CredentialsResult => ({
    kind: 'error',
    error: new InvalidCredentialsError(secret, problem),
  });
  const get = (k: string): string | undefined => {
    const v = data?.[k];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  };
  const [username, password, token, key, knownHosts, ca] = [
    'username',
    'password',
    'token',
    'sshPrivateKey',
    'knownHosts',
    'caBundle',
  ].map(get);
  const caPart = ca === undefined ? {} : { caBundle: ca };
  if (key !== undefined) {
    if (knownHosts === undefined)
      return invalid('key sshPrivateKey needs key knownHosts: SSH host keys are always checked');
    return { kind: 'ok', value: { auth: { kind: 'ssh', privateKey: key, knownHosts }, ...caPart } };
  }
  if (token !== undefined) {
    return {
      kind: 'ok',
      value: {
        auth: {
          kind: 'token',
          token: token.trim(),
          ...(username === undefined ? {} : { username }),
        },
        ...caPart,
      },
    };
  }
  if (password !== undefined) {
    if (username === undefined) return invalid('key password needs key username');
    return { kind: 'ok', value: { auth: { kind: 'basic', username, password }, ...caPart } };
  }
  return { kind: 'ok', value: { auth: { kind: 'none' }, ...caPart } };
}
