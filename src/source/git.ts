import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

export interface GitRemote {
  url: string;
  auth: GitAuth;
  /** PEM bundle of extra CAs for HTTPS remotes. */
  caBundle?: string;
}

/** A git invocation failed; the message names the repository URL and the git verb, never credentials. */
export class GitError extends Error {
  override readonly name = 'GitError';
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
 * A short-lived environment for git calls against one remote: a private temp dir holding the
 * SSH key (git needs a file), and env entries carrying the rest. `dispose` removes the dir.
 */
export interface GitSession {
  env: Record<string, string>;
  redact: string[];
  dispose(): Promise<void>;
}

export async function openSession(remote: GitRemote): Promise<GitSession> {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-git-'));
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
  const a = remote.auth;
  if (a.kind === 'basic' || a.kind === 'token') {
    const user = a.kind === 'basic' ? a.username : (a.username ?? 'x-access-token');
    const pass = a.kind === 'basic' ? a.password : a.token;
    addConfig(
      'http.extraHeader',
      `Authorization: Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
    );
  }
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  // A write that fails (a full disk) must not leave the private key behind with no one to remove it.
  const write = (name: string, text: string): Promise<void> =>
    writeFile(join(dir, name), text, { mode: 0o600 }).catch(async (e: unknown) => {
      await dispose();
      throw e;
    });
  if (remote.caBundle !== undefined) {
    await write('ca.pem', remote.caBundle);
    env.GIT_SSL_CAINFO = join(dir, 'ca.pem');
  }
  if (a.kind === 'ssh') {
    const key = a.privateKey.endsWith('\n') ? a.privateKey : a.privateKey + '\n';
    await write('id', key);
    await write('known_hosts', a.knownHosts);
    env.GIT_SSH_COMMAND = [
      'ssh',
      '-F',
      '/dev/null',
      '-i',
      join(dir, 'id'),
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
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
