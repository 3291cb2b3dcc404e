import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultHttpAuthOptions, type HttpAuthOptions } from './auth.js';
import { createGitSandbox } from './gitenv.js';
import { startHttpBridge, type HttpBridge } from './http.js';
import { repoRelativePath } from './names.js';
import { GitServerError } from './errors.js';
import { killTree } from './proc.js';
import { startSshServer, type SshClient, type SshServer } from './ssh.js';

/** How the local git server is started. */
export interface GitServerOptions {
  /**
   * Directory holding the bare repositories. When undefined, a fresh temp directory is used and
   * `stop()` removes it; a directory given here is left in place.
   */
  root: string | undefined;
  /** Users and tokens the HTTP side accepts. Both lists empty means anonymous HTTP access. */
  auth: HttpAuthOptions;
  /** Whether clients may push, over HTTP (receive-pack) and SSH alike. Off: a read-only server. */
  allowPush: boolean;
  /** Whether to start sshd as well. Off: `sshUrl` throws and `sshClient` is undefined. */
  ssh: boolean;
  /** Absolute path of sshd (Debian package openssh-server). */
  sshdPath: string;
  /** Kill one HTTP request's git http-backend after this many milliseconds. */
  requestTimeoutMs: number;
  /** Give up when sshd is not listening after this many milliseconds. */
  sshStartTimeoutMs: number;
  /** Diagnostics for a person: failed backend requests, with git's stderr. */
  log: (line: string) => void;
  /** Called for each HTTP request passed to git http-backend (method, path in the repo root). */
  onRequest: (method: string, pathInfo: string) => void;
}

export function defaultGitServerOptions(): GitServerOptions {
  return {
    root: undefined,
    auth: defaultHttpAuthOptions(),
    allowPush: false,
    ssh: true,
    sshdPath: '/usr/sbin/sshd',
    requestTimeoutMs: 120_000,
    sshStartTimeoutMs: 15_000,
    log: () => undefined,
    onRequest: () => undefined,
  };
}

/** A running git server. Every process it started ends with `stop()`. */
export interface GitServer {
  /** Absolute directory of the bare repositories. */
  root: string;
  /** The HTTP side's base URL, e.g. `http://127.0.0.1:41234`. */
  httpBase: string;
  /** `http://127.0.0.1:<port>/<repo>.git` */
  httpUrl: (repo: string) => string;
  /** `ssh://<user>@127.0.0.1:<port>/<root>/<repo>.git` */
  sshUrl: (repo: string) => string;
  /** Key, known_hosts and GIT_SSH_COMMAND for the SSH side; undefined when SSH is off. */
  sshClient: SshClient | undefined;
  /** The users and tokens the HTTP side accepts. */
  auth: HttpAuthOptions;
  /** Pids of the processes this server started that still run (sshd, http-backends). */
  pids: () => number[];
  /** Last lines sshd logged, for diagnosing a failed SSH clone. */
  sshLog: () => string;
  stop: () => Promise<void>;
}

interface Parts {
  /** Temp dir for keys, config and (unless given) the repositories; removed by stop(). */
  base: string;
  root: string;
  http: HttpBridge | undefined;
  ssh: SshServer | undefined;
}

async function startParts(opts: GitServerOptions, parts: Parts): Promise<HttpBridge> {
  const sandbox = await createGitSandbox(join(parts.base, 'gitenv'));
  const { GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL } = sandbox.env;
  const isolated = { GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL };
  const http = await startHttpBridge({
    projectRoot: parts.root,
    auth: opts.auth,
    allowPush: opts.allowPush,
    requestTimeoutMs: opts.requestTimeoutMs,
    baseEnv: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: sandbox.env.HOME,
      ...isolated,
    },
    log: opts.log,
    onRequest: opts.onRequest,
  });
  parts.http = http;
  if (opts.ssh) {
    parts.ssh = await startSshServer({
      sshdPath: opts.sshdPath,
      dir: join(parts.base, 'ssh'),
      user: userInfo().username,
      allowPush: opts.allowPush,
      startTimeoutMs: opts.sshStartTimeoutMs,
      sessionEnv: isolated,
    });
  }
  return http;
}

async function stopParts(parts: Parts): Promise<void> {
  await Promise.all([parts.http?.stop(), parts.ssh?.stop()]);
  await rm(parts.base, { recursive: true, force: true });
}

function livePids(parts: Parts): number[] {
  const sshd = parts.ssh?.livePid();
  const ssh = sshd === undefined ? [] : [sshd];
  return [...ssh, ...(parts.http?.activePids() ?? [])];
}

/**
 * Starts a git server on loopback: git http-backend behind node:http (optionally with Basic and
 * token auth) and, unless `ssh` is off, sshd with a generated host key and client key.
 */
export async function startGitServer(partial: Partial<GitServerOptions> = {}): Promise<GitServer> {
  const opts = { ...defaultGitServerOptions(), ...partial };
  const base = await mkdtemp(join(tmpdir(), 'ballast-git-'));
  const root = opts.root === undefined ? join(base, 'repos') : resolve(opts.root);
  const parts: Parts = { base, root, http: undefined, ssh: undefined };
  await mkdir(root, { recursive: true }).catch(async (e: unknown) => {
    // A given root that cannot be made must not leave the temp dir behind.
    await rm(base, { recursive: true, force: true });
    throw e;
  });
  // A test runner that exits without calling stop() must not leave sshd listening.
  const onExit = (): void => {
    for (const pid of livePids(parts)) killTree(pid);
  };
  process.on('exit', onExit);
  let http: HttpBridge;
  try {
    http = await startParts(opts, parts);
  } catch (e) {
    process.off('exit', onExit);
    await stopParts(parts);
    if (e instanceof GitServerError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new GitServerError('git server', `start failed: ${why}`, { cause: e });
  }
  const httpBase = `http://127.0.0.1:${http.port}`;
  let stopped: Promise<void> | undefined;
  return {
    root,
    httpBase,
    httpUrl: (repo) => `${httpBase}/${repoRelativePath(repo)}`,
    sshUrl: (repo) => {
      const c = parts.ssh?.client;
      if (c === undefined) throw new GitServerError('git server', 'SSH is off (options.ssh)');
      return `ssh://${c.user}@127.0.0.1:${c.port}${join(root, repoRelativePath(repo))}`;
    },
    sshClient: parts.ssh?.client,
    auth: opts.auth,
    pids: () => livePids(parts),
    sshLog: () => parts.ssh?.logTail() ?? '',
    stop: () => {
      stopped ??= stopParts(parts).finally(() => {
        process.off('exit', onExit);
      });
      return stopped;
    },
  };
}
