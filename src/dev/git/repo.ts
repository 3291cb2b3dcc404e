import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { describeFailure, type RunResult } from '../../exec/run.js';
import {
  createGitSandbox,
  defaultGitIdentity,
  git,
  identityArgs,
  runGit,
  type GitIdentity,
} from './gitenv.js';
import { repoRelativePath, RepoNameError } from './names.js';
import { signingInvocation, verificationInvocation, type CommitSigner } from './signing.js';

/** How a bare repository is created on the server. */
export interface BareRepoOptions {
  /** The branch HEAD points at, and so the one a clone checks out. */
  defaultBranch: string;
}

export function defaultBareRepoOptions(): BareRepoOptions {
  return { defaultBranch: 'main' };
}

/** Creates an empty bare repository under the server root; returns its absolute path. */
export async function createBareRepo(
  server: { root: string },
  repo: string,
  partial: Partial<BareRepoOptions> = {},
): Promise<string> {
  const opts = { ...defaultBareRepoOptions(), ...partial };
  const path = join(server.root, repoRelativePath(repo));
  await mkdir(dirname(path), { recursive: true });
  await git(['init', '--quiet', '--bare', `--initial-branch=${opts.defaultBranch}`, path], {
    // No config at all: only `init` runs here, and it must not pick up the user's templates.
    env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    redact: [],
    timeoutMs: 30_000,
  });
  return path;
}

/** How a clone authenticates to the server. */
export type GitAccess =
  | { kind: 'anonymous' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'ssh'; client: { env: Record<string, string> } };

/**
 * The environment that authenticates git for this access, and the strings to keep out of
 * errors. HTTP credentials travel as `http.extraHeader` through GIT_CONFIG_* variables: never in
 * argv, never in the clone's .git/config, and sent up front instead of after a 401.
 */
export function accessEnv(a: GitAccess): { env: Record<string, string>; redact: string[] } {
  const header = (value: string): Record<string, string> => ({
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: ${value}`,
  });
  switch (a.kind) {
    case 'anonymous':
      return { env: {}, redact: [] };
    case 'basic': {
      const b64 = Buffer.from(`${a.username}:${a.password}`).toString('base64');
      return { env: header(`Basic ${b64}`), redact: [a.password, b64] };
    }
    case 'bearer':
      return { env: header(`Bearer ${a.token}`), redact: [a.token] };
    case 'ssh':
      return { env: a.client.env, redact: [] };
  }
}

/** How a working clone is made. */
export interface CloneOptions {
  /** What to clone: `server.httpUrl(repo)` or `server.sshUrl(repo)`. */
  url: string;
  /** Credentials for the server; must match the URL's scheme. */
  access: GitAccess;
  /** Where the clone goes. Undefined: a fresh temp directory, deleted by `remove()`. */
  dir: string | undefined;
  /** Author and committer of every commit and tag. */
  identity: GitIdentity;
  /** The branch to work on; created when the remote is still empty. */
  branch: string;
  /** Kill any one git command after this many milliseconds. */
  timeoutMs: number;
}

export function defaultCloneOptions(url: string, access: GitAccess): CloneOptions {
  return {
    url,
    access,
    dir: undefined,
    identity: defaultGitIdentity(),
    branch: 'main',
    timeoutMs: 60_000,
  };
}

/** The outcome of checking one commit's signature. */
export type VerifyOutcome =
  { kind: 'verified'; output: string } | { kind: 'rejected'; output: string };

/** How `push()` pushes. */
export interface PushOptions {
  /** Refspecs; default the working branch to the same branch on the remote. */
  refspecs: readonly string[];
  /** Also push every tag. */
  tags: boolean;
  /** `--force`, for tests that rewrite history. */
  force: boolean;
}

/**
 * A working clone of a server repository, for tests and the quickstart to write files, commit
 * (optionally signed), tag and push. Each instance has its own isolated git environment.
 */
export class WorkingClone {
  private constructor(
    readonly dir: string,
    readonly options: CloneOptions,
    private readonly baseEnv: Record<string, string>,
    private readonly tempDir: string,
  ) {}

  /** Clones `options.url` (an empty repository is fine) and checks out `options.branch`. */
  static async clone(
    partial: Partial<CloneOptions> & Pick<CloneOptions, 'url' | 'access'>,
  ): Promise<WorkingClone> {
    const opts = { ...defaultCloneOptions(partial.url, partial.access), ...partial };
    const tempDir = await mkdtemp(join(tmpdir(), 'ballast-clone-'));
    try {
      const sandbox = await createGitSandbox(join(tempDir, 'gitenv'));
      const dir = opts.dir ?? join(tempDir, 'work');
      const c = new WorkingClone(dir, opts, sandbox.env, tempDir);
      await c.git(['clone', '--quiet', opts.url, dir], { cwd: tempDir });
      // An empty remote has no branch to check out; this names the first commit's branch.
      const has = await c.tryGit([
        'rev-parse',
        '--verify',
        '--quiet',
        `refs/remotes/origin/${opts.branch}`,
      ]);
      await c.git(
        has.kind === 'ok'
          ? ['checkout', '--quiet', opts.branch]
          : ['checkout', '--quiet', '--orphan', opts.branch],
      );
      return c;
    } catch (e) {
      await rm(tempDir, { recursive: true, force: true });
      throw e;
    }
  }

  private invocation(extra: Record<string, string>): {
    env: Record<string, string>;
    redact: string[];
  } {
    const access = accessEnv(this.options.access);
    return { env: { ...this.baseEnv, ...access.env, ...extra }, redact: access.redact };
  }

  /** Runs `git <args>` in the clone with its identity and credentials; returns stdout. */
  git(
    args: readonly string[],
    more: { cwd?: string; env?: Record<string, string> } = {},
  ): Promise<string> {
    const { env, redact } = this.invocation(more.env ?? {});
    return git([...identityArgs(this.options.identity), ...args], {
      cwd: more.cwd ?? this.dir,
      env,
      redact,
      timeoutMs: this.options.timeoutMs,
    });
  }

  /** Like `git`, but the outcome is a value (for commands expected to fail). */
  tryGit(args: readonly string[], more: { env?: Record<string, string> } = {}): Promise<RunResult> {
    const { env, redact } = this.invocation(more.env ?? {});
    return runGit([...identityArgs(this.options.identity), ...args], {
      cwd: this.dir,
      env,
      redact,
      timeoutMs: this.options.timeoutMs,
    });
  }

  private pathIn(relPath: string): string {
    const n = normalize(relPath);
    if (isAbsolute(n) || n === '..' || n.startsWith(`..${sep}`) || n.split(sep).includes('.git')) {
      throw new RepoNameError(
        relPath,
        'file paths must stay inside the working tree, outside .git',
      );
    }
    return join(this.dir, n);
  }

  /** Writes a file (creating directories) relative to the working tree. */
  async writeFile(relPath: string, content: string | Buffer): Promise<void> {
    const p = this.pathIn(relPath);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  }

  /** Deletes a file or directory relative to the working tree. */
  async removeFile(relPath: string): Promise<void> {
    await rm(this.pathIn(relPath), { recursive: true, force: true });
  }

  /** Stages everything and commits; signs when a signer is given. Returns the new commit's SHA. */
  async commit(
    message: string,
    opts: { signer?: CommitSigner; allowEmpty?: boolean } = {},
  ): Promise<string> {
    await this.git(['add', '--all']);
    const sign = opts.signer === undefined ? undefined : signingInvocation(opts.signer);
    const args = [...(sign?.args ?? []), 'commit', '--quiet', '--message', message];
    if (sign !== undefined) args.push('--gpg-sign');
    else args.push('--no-gpg-sign');
    if (opts.allowEmpty === true) args.push('--allow-empty');
    await this.git(args, { env: sign?.env ?? {} });
    return this.head();
  }

  /** Creates a tag at `target` (default HEAD): annotated when it has a message or a signer. */
  async tag(
    name: string,
    opts: { message?: string; signer?: CommitSigner; target?: string } = {},
  ): Promise<void> {
    const sign = opts.signer === undefined ? undefined : signingInvocation(opts.signer);
    const args = [...(sign?.args ?? []), 'tag'];
    if (sign !== undefined) args.push('--sign');
    if (sign !== undefined || opts.message !== undefined)
      args.push('--message', opts.message ?? name);
    args.push(name, opts.target ?? 'HEAD');
    await this.git(args, { env: sign?.env ?? {} });
  }

  /** Pushes to origin (default: the working branch). */
  async push(partial: Partial<PushOptions> = {}): Promise<void> {
    const refspecs = partial.refspecs ?? [`HEAD:refs/heads/${this.options.branch}`];
    const flags = [
      ...(partial.tags === true ? ['--tags'] : []),
      ...(partial.force === true ? ['--force'] : []),
    ];
    await this.git(['push', '--quiet', ...flags, 'origin', ...refspecs]);
  }

  /** The SHA HEAD points at. */
  async head(): Promise<string> {
    return (await this.git(['rev-parse', 'HEAD'])).trim();
  }

  /** The raw commit object (`git cat-file commit`), headers such as `gpgsig` included. */
  catCommit(rev: string): Promise<string> {
    return this.git(['cat-file', 'commit', rev]);
  }

  /** Checks a commit's signature against the signer's key (`git verify-commit`). */
  async verifyCommit(rev: string, signer: CommitSigner): Promise<VerifyOutcome> {
    const v = verificationInvocation(signer);
    const r = await this.tryGit([...v.args, 'verify-commit', '--verbose', rev], { env: v.env });
    if (r.kind === 'ok') return { kind: 'verified', output: r.stderr };
    return { kind: 'rejected', output: describeFailure(r) };
  }

  /** Deletes the clone and its private git environment. */
  async remove(): Promise<void> {
    if (this.options.dir !== undefined)
      await rm(this.options.dir, { recursive: true, force: true });
    await rm(this.tempDir, { recursive: true, force: true });
  }
}
