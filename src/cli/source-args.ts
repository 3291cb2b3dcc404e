import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { isInside } from '../render/confine.js';
import { PathEscapeError, type RenderSource } from '../render/index.js';
import type { GitAuth, GitRemote } from '../source/git.js';
import { defaultSourceOptions, GitSource } from '../source/source.js';
import { credentialsFromSecretData, type RepoCredentials } from '../source/credentials.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Command } from 'commander';
import { durationOption, type GitCredentialFlags } from './options.js';
import { UsageError } from './parse.js';

/**
 * `--git-timeout` of the long-running commands that fetch (controller, agent, hub): a Git
 * server that accepts the connection and never answers holds a fetch this long, no longer.
 */
export function gitTimeoutOption(cmd: Command): Command {
  return durationOption(
    cmd,
    '--git-timeout <d>',
    'kill a git call (a fetch from a down or hanging server) after this long; what was applied stays, and the fetch is tried again',
    defaultSourceOptions('').gitTimeoutMs,
  );
}

/** Source flags shared by `diff` and `sync`. Secrets are read from files, never passed as values. */
export interface SourceFlags extends GitCredentialFlags {
  dir?: string;
  /** The repository root `--dir` renders within; by default the nearest `.git` above it. */
  root?: string;
  repo?: string;
  ref: string;
  path: string;
  /** A Secret in the destination namespace holding the repository credentials. */
  gitSecret?: string;
}

/** Git credentials from files, as every command takes them; never from flag values. */
export async function authFrom(f: GitCredentialFlags): Promise<GitAuth> {
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
  const data = secret.data as Record<string, string> | undefined;
  const r = credentialsFromSecretData(data, `Secret ${namespace}/${name}`);
  if (r.kind === 'error') throw new UsageError(r.error.message);
  return r.value;
}

/**
 * How the repository root was chosen: a render can read nothing outside it, so a message about
 * a path that leaves it names the root and where it came from.
 */
export type RootChoice =
  /** The checkout of `--repo`. */
  { kind: 'checkout' } | DirRoot;

/** The root of a `--dir` render. */
export type DirRoot =
  /** The nearest ancestor of `--dir` holding `.git`. */
  | { kind: 'git'; dir: string }
  /** Given with `--root`. */
  | { kind: 'flag'; dir: string }
  /** No `.git` above `--dir`, so `--dir` itself. */
  | { kind: 'assumed'; dir: string };

/** The nearest ancestor holding `.git`, so overlays may reach `../base`; else the dir itself. */
function workTreeRoot(dir: string): DirRoot {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return { kind: 'git', dir: d };
    if (dirname(d) === d) return { kind: 'assumed', dir };
  }
}

/** `--root`, checked: a directory that holds `dir` (both with symlinks followed). */
async function flagRoot(root: string, dir: string): Promise<{ root: DirRoot; dir: string }> {
  const real = await realpath(root).catch(() => undefined);
  if (real === undefined || !(await stat(real)).isDirectory())
    throw new UsageError(`--root ${root}: no such directory`);
  const realDir = await realpath(dir);
  if (!isInside(real, realDir))
    throw new UsageError(`--dir ${dir} is not inside --root ${root}: give a root that holds it`);
  return { root: { kind: 'flag', dir: real }, dir: realDir };
}

/**
 * A render error with the `--dir` root named when a path left it: the root was the CLI's
 * choice, so the message says which directory it was and how to choose another.
 */
export class RootEscapeError extends Error {
  override readonly name = 'RootEscapeError';
  constructor(
    readonly root: DirRoot,
    cause: PathEscapeError,
  ) {
    super(`${cause.message}. ${RootEscapeError.explain(root)}`, { cause });
  }

  private static explain(root: DirRoot): string {
    switch (root.kind) {
      case 'assumed':
        return `The repository root is ${root.dir} (assumed: no .git above --dir); pass --root DIR to widen it`;
      case 'git':
        return `The repository root is ${root.dir} (the nearest .git above --dir)`;
      case 'flag':
        return `The repository root is ${root.dir} (--root)`;
    }
  }
}

/** The error to report for a failed render of `src`: a path escape names the chosen root. */
export function renderFailure(src: ResolvedSource, error: Error): Error {
  if (!(error instanceof PathEscapeError) || src.root.kind === 'checkout') return error;
  return new RootEscapeError(src.root, error);
}

export interface ResolvedSource {
  source: RenderSource;
  /** The commit, when the source is a Git repo. */
  revision?: string;
  describe: string;
  root: RootChoice;
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
export async function resolveSource(
  f: SourceFlags,
  namespace: string,
  cluster: Cluster,
): Promise<ResolvedSource> {
  if ((f.dir === undefined) === (f.repo === undefined)) {
    throw new UsageError('give exactly one of --dir PATH or --repo URL');
  }
  if (f.dir !== undefined) {
    const given = resolve(f.dir);
    if (!existsSync(given)) throw new UsageError(`--dir ${f.dir}: no such directory`);
    const { root, dir } =
      f.root === undefined
        ? { root: workTreeRoot(given), dir: given }
        : await flagRoot(f.root, given);
    return { source: { repoRoot: root.dir, path: relative(root.dir, dir) }, describe: dir, root };
  }
  if (f.root !== undefined) {
    throw new UsageError('--root goes with --dir; with --repo the checkout is the root');
  }
  const creds: RepoCredentials =
    f.gitSecret === undefined
      ? {
          auth: await authFrom(f),
          ...(f.caFile === undefined ? {} : { caBundle: await readFile(f.caFile, 'utf8') }),
        }
      : await authFromSecret(cluster, f.gitSecret, namespace);
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
    root: { kind: 'checkout' },
  };
}
