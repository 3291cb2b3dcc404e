import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { RenderSource } from '../render/index.js';
import type { GitAuth, GitRemote } from '../source/git.js';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import { credentialsFromSecretData, type RepoCredentials } from '../source/credentials.js';
import type { Cluster } from '../cluster/cluster.js';

/** Source flags shared by `diff` and `sync`. Secrets are read from files, never passed as values. */
export interface SourceFlags {
  dir?: string;
  repo?: string;
  ref: string;
  path: string;
  gitUsername?: string;
  gitPasswordFile?: string;
  gitTokenFile?: string;
  sshKeyFile?: string;
  knownHostsFile?: string;
  caFile?: string;
  /** Send the credentials over a plain http:// --repo. */
  insecureAllowHttpCredentials?: boolean;
  /** A Secret in the destination namespace holding the repository credentials. */
  gitSecret?: string;
  namespace: string;
}

/** A usage mistake on the command line; exits 2 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Git credentials from files, as every command takes them; never from flag values. */
export async function authFrom(
  f: Pick<
    SourceFlags,
    'sshKeyFile' | 'knownHostsFile' | 'gitTokenFile' | 'gitUsername' | 'gitPasswordFile'
  >,
): Promise<GitAuth> {
  const read = async (p: string): Promise<string> => (await readFile(p, 'utf8')).trim();
  if (f.sshKeyFile !== undefined) {
    if (f.knownHostsFile === undefined) {
      throw new UsageError('--ssh-key-file needs --known-hosts-file: host keys are always checked');
    }
    return {
      kind: 'ssh',
      privateKey: await readFile(f.sshKeyFile, 'utf8'),
      knownHosts: await readFile(f.knownHostsFile, 'utf8'),
    };
  }
  if (f.gitTokenFile !== undefined) {
    return {
      kind: 'token',
      token: await read(f.gitTokenFile),
      ...(f.gitUsername === undefined ? {} : { username: f.gitUsername }),
    };
  }
  if (f.gitPasswordFile !== undefined) {
    if (f.gitUsername === undefined)
      throw new UsageError('--git-password-file needs --git-username');
    return { kind: 'basic', username: f.gitUsername, password: await read(f.gitPasswordFile) };
  }
  return { kind: 'none' };
}

async function authFromSecret(
  cluster: Cluster,
  name: string,
  namespace: string,
): Promise<RepoCredentials> {
  const secret = await cluster.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
  });
  if (secret === undefined)
    throw new UsageError(`--git-secret ${name}: no Secret ${namespace}/${name}`);
  const r = credentialsFromSecretData(secret.data as Record<string, string> | undefined);
  if (r.kind === 'invalid') throw new UsageError(`Secret ${namespace}/${name}: ${r.problem}`);
  return r.value;
}

/** The nearest ancestor holding `.git`, so overlays may reach `../base`; else the dir itself. */
function workTreeRoot(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return dir;
  }
}

export interface ResolvedSource {
  source: RenderSource;
  /** The commit, when the source is a Git repo. */
  revision?: string;
  describe: string;
}

export function sourceCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ballast', 'source');
}

/**
 * The source `sync`, `diff` and `verify-commit --repo` fetch with: the user's own cache, where
 * file:// repositories are allowed (they read only what the user can read anyway).
 */
export function cliGitSource(): GitSource {
  return new GitSource({ ...defaultSourceOptions(sourceCacheDir()), allowFileRepos: true });
}

/** Turns the flags into a directory to render: a local dir, or a fetched commit. */
export async function resolveSource(f: SourceFlags, cluster: Cluster): Promise<ResolvedSource> {
  if ((f.dir === undefined) === (f.repo === undefined)) {
    throw new UsageError('give exactly one of --dir PATH or --repo URL');
  }
  if (f.dir !== undefined) {
    const dir = resolve(f.dir);
    if (!existsSync(dir)) throw new UsageError(`--dir ${f.dir}: no such directory`);
    const root = workTreeRoot(dir);
    return { source: { repoRoot: root, path: relative(root, dir) }, describe: dir };
  }
  const creds: RepoCredentials =
    f.gitSecret === undefined
      ? {
          auth: await authFrom(f),
          ...(f.caFile === undefined ? {} : { caBundle: await readFile(f.caFile, 'utf8') }),
        }
      : await authFromSecret(cluster, f.gitSecret, f.namespace);
  const remote: GitRemote = {
    url: f.repo as string,
    ...creds,
    insecureAllowHttpCredentials: f.insecureAllowHttpCredentials === true,
  };
  const tree = await cliGitSource().checkout(remote, f.ref);
  return {
    source: { repoRoot: tree.dir, path: f.path },
    revision: tree.sha,
    describe: `${tree.url}@${f.ref} (${tree.sha.slice(0, 12)})`,
  };
}
