import { mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunOptions, type RunResult } from '../exec/run.js';

/** Credentials for one repository. They reach git through its environment, never its arguments. */
export type GitAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  /** A token sent as the basic-auth password, as GitHub, GitLab and Gitea accept. */
  | { kind: 'token'; token: string; username?: string }
  | { kind: 'ssh'; privateKey: string; knownHosts: string };

/** Who asked for a remote, so a refusal names it and the way out that fits it. */
export type Requester =
  | { kind: 'application'; namespace: string; name: string }
  /** `ballast sync`, `diff` or `verify-commit --repo`. */
  | { kind: 'cli' };

export interface GitRemote {
  url: string;
  auth: GitAuth;
  /** PEM bundle of extra CAs for HTTPS remotes. */
  caBundle?: string;
  /**
   * Send `auth` over plain `http://`, where anyone on the path reads it. Unset: refused. An
   * Application opts in with `spec.source.insecureAllowHttpCredentials`, the CLI with
   * `--insecure-allow-http-credentials`.
   */
  insecureAllowHttpCredentials?: boolean;
  /** Who asks; unset means the CLI. Only for messages: it never changes what is fetched. */
  requester?: Requester;
}

/** A git invocation failed; the message names the repository URL and the git verb, never credentials. */
export class GitError extends Error {
  override readonly name: string = 'GitError';
  constructor(
    readonly url: string,
    readonly verb: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`git ${verb} ${url}: ${detail}`, options);
  }
}

/** The secrets in an auth, so the runner scrubs them from any error text. */
export function secretsOf(auth: GitAuth): string[] {
  switch (auth.kind) {
    case 'none':
      return [];
    case 'basic':
      return [auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64')];
    case 'token': {
      const basic = Buffer.from(`${auth.username ?? 'x-access-token'}:${auth.token}`).toString(
        'base64',
      );
      return [auth.token, basic];
    }
    case 'ssh':
      return [auth.privateKey];
  }
}

/**
 * A short-lived environment for git calls against one remote: a private dir holding the SSH key
 * and known hosts (ssh needs files) or the CA bundle, and env entries carrying the rest.
 * `dispose` removes the dir.
 */
export interface GitSession {
  env: Record<string, string>;
  redact: string[];
  dispose(): Promise<void>;
}

export interface SessionOptions {
  /**
   * Where an SSH private key lives while git runs. It must be an in-memory filesystem (tmpfs or
   * ramfs): a key on disk outlives a crash and can be read back from the disk later.
   */
  keyDir: string;
}

export function defaultSessionOptions(): SessionOptions {
  return { keyDir: '/dev/shm' };
}

/** statfs magic numbers of the in-memory filesystems. */
const memoryFilesystems = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

/** A private 0700 dir for the session's files; one holding a key must be in memory. */
async function sessionDir(remote: GitRemote, opts: SessionOptions): Promise<string> {
  if (remote.auth.kind !== 'ssh') return mkdtemp(join(tmpdir(), 'ballast-git-'));
  const type = await statfs(opts.keyDir).then(
    (fs) => fs.type,
    () => undefined,
  );
  if (type === undefined || !memoryFilesystems.has(type))
    throw new GitError(
      remote.url,
      'fetch',
      `the SSH private key must stay in memory, and ${opts.keyDir} is not a tmpfs; mount one there (an emptyDir with medium: Memory in a Pod)`,
    );
  return mkdtemp(join(opts.keyDir, 'ballast-git-'));
}

export async function openSession(
  remote: GitRemote,
  opts: SessionOptions = defaultSessionOptions(),
): Promise<GitSession> {
  const a = remote.auth;
  const dir =
    a.kind === 'ssh' || remote.caBundle !== undefined ? await sessionDir(remote, opts) : undefined;
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    // Never let a repo's hooks or fsmonitor run code in the controller.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'core.hooksPath',
    GIT_CONFIG_VALUE_0: '/dev/null',
  };
  const addConfig = (key: string, value: string): void => {
    const i = Number(env.GIT_CONFIG_COUNT);
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
    env.GIT_CONFIG_COUNT = String(i + 1);
  };
  if (a.kind === 'basic' || a.kind === 'token') {
    const user = a.kind === 'basic' ? a.username : (a.username ?? 'x-access-token');
    const pass = a.kind === 'basic' ? a.password : a.token;
    addConfig(
      'http.extraHeader',
      `Authorization: Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
    );
  }
  const dispose = (): Promise<void> =>
    dir === undefined ? Promise.resolve() : rm(dir, { recursive: true, force: true });
  // A write that fails (a full disk) must not leave the private key behind with no one to remove it.
  const write = async (name: string, text: string): Promise<string> => {
    if (dir === undefined) throw new Error(`openSession: no private dir for ${name}`);
    const path = join(dir, name);
    await writeFile(path, text, { mode: 0o600 }).catch(async (e: unknown) => {
      await dispose();
      throw e;
    });
    return path;
  };
  if (remote.caBundle !== undefined) env.GIT_SSL_CAINFO = await write('ca.pem', remote.caBundle);
  if (a.kind === 'ssh') {
    const key = a.privateKey.endsWith('\n') ? a.privateKey : a.privateKey + '\n';
    const keyFile = await write('id', key);
    const knownHosts = await write('known_hosts', a.knownHosts);
    env.GIT_SSH_COMMAND = [
      'ssh',
      '-F',
      '/dev/null',
      '-i',
      keyFile,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
    ].join(' ');
  } else {
    env.GIT_SSH_COMMAND = 'ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes';
  }
  return {
    env,
    redact: secretsOf(a),
    dispose,
  };
}

/** Runs git with the session's environment and the given limits. */
export function git(
  args: readonly string[],
  session: GitSession | undefined,
  partial: Partial<RunOptions>,
): Promise<RunResult> {
  const base: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  return run('git', args, {
    ...partial,
    env: { ...base, ...(session?.env ?? {}), ...(partial.env ?? {}) },
    redact: [...(session?.redact ?? []), ...(partial.redact ?? [])],
  });
}

/** Refuses URLs that embed credentials: they would leak into logs, status and process lists. */
export function checkUrl(url: string): string | undefined {
  if (url.startsWith('file://') || url.startsWith('ssh://') || /^[\w.-]+@[\w.-]+:/.test(url)) {
    return undefined;
  }
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      return `unsupported scheme ${u.protocol}`;
    if (u.password !== '' || u.username !== '') {
      return 'the URL embeds credentials; put them in a credentials file or Secret instead';
    }
    return undefined;
  } catch {
    return 'not a valid URL';
  }
}

/** What a source allows beyond what every remote may do. */
export interface RemotePolicy {
  /** Accept `file://` URLs; see SourceOptions.allowFileRepos. */
  allowFileRepos: boolean;
}

export type RefusalReason = 'bad-url' | 'file-repo' | 'http-credentials';

/** A remote refused before git runs; the message names who asked and the way out. */
export class RemoteRefusedError extends GitError {
  override readonly name: string = 'RemoteRefusedError';
  constructor(
    url: string,
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(url, 'fetch', detail);
  }
}

function describeRequester(r: Requester | undefined): string {
  return r?.kind === 'application' ? `Application ${r.namespace}/${r.name}` : '--repo';
}

/** Why `remote` may not be fetched under `policy`, or undefined when it may. */
export function refuseRemote(
  remote: GitRemote,
  policy: RemotePolicy,
): RemoteRefusedError | undefined {
  const url = remote.url;
  const bad = checkUrl(url);
  if (bad !== undefined) return new RemoteRefusedError('(refused URL)', 'bad-url', bad);
  const who = describeRequester(remote.requester);
  const app = remote.requester?.kind === 'application';
  if (url.startsWith('file://') && !policy.allowFileRepos)
    return new RemoteRefusedError(
      url,
      'file-repo',
      `${who}: file:// repositories are refused, since they read the controller's own disk ` +
        `(its cache of other Applications' repositories included); use a Git server, or start ` +
        `the controller with --allow-file-repos where every Application is trusted`,
    );
  const secret = remote.auth.kind === 'basic' || remote.auth.kind === 'token';
  if (secret && /^http:\/\//i.test(url) && remote.insecureAllowHttpCredentials !== true)
    return new RemoteRefusedError(
      url,
      'http-credentials',
      `${who}: refusing to send credentials over plain http://, where anyone on the path can ` +
        `read them; use https://, or accept that with ${app ? 'spec.source.insecureAllowHttpCredentials: true' : '--insecure-allow-http-credentials'}`,
    );
  return undefined;
}
