import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOrThrow } from '../../exec/run.js';
import { freePort } from '../ports.js';
import { GitServerError } from './errors.js';
import { exitOf, killTree, untilGone } from './proc.js';
import {
  authorizedKeysLine,
  forceCommandScript,
  gitSshCommand,
  knownHostsLine,
  sshdConfig,
  type SshClientSettings,
} from './sshconfig.js';

/** How the SSH side is started. */
export interface SshServerOptions {
  /** Absolute path of sshd; it re-executes itself and refuses a relative path. */
  sshdPath: string;
  /** Private directory for keys, config and known_hosts. */
  dir: string;
  /** The account clients log in as: the one this process runs as. */
  user: string;
  /** Whether `git push` over SSH is accepted. */
  allowPush: boolean;
  /** Give up when sshd is not listening after this many milliseconds. */
  startTimeoutMs: number;
  /** Set in every SSH session (the isolated git config). */
  sessionEnv: Record<string, string>;
}

/** What a git client needs to reach the SSH side. */
export interface SshClient extends SshClientSettings {
  /** The GIT_SSH_COMMAND value for this server. */
  command: string;
  /** `{ GIT_SSH_COMMAND }`, to merge into a git command's environment. */
  env: Record<string, string>;
}

export interface SshServer {
  client: SshClient;
  /** sshd's pid while it runs; undefined once it has exited. */
  livePid: () => number | undefined;
  /** The last lines sshd logged (it logs to stderr with -e). */
  logTail: () => string;
  stop: () => Promise<void>;
}

const maxLogChars = 16 * 1024;

async function keygen(file: string, comment: string): Promise<string> {
  await runOrThrow(
    'ssh-keygen (generate key)',
    'ssh-keygen',
    ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file],
    { timeoutMs: 30_000 },
  );
  return readFile(`${file}.pub`, 'utf8');
}

// sshd, running as root, insists on its privilege-separation directory; packages create it at boot.
async function ensurePrivsepDir(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
}

interface Started {
  child: ChildProcess;
  log: () => string;
}

/** Spawns sshd and waits for its "Server listening" line, failing early if it exits. */
async function spawnSshd(opts: SshServerOptions, config: string, port: number): Promise<Started> {
  // sshd runs until stopped, so it can't go through the run-to-completion runner; it gets an
  // explicit environment and is stopped with its whole process tree (see killTree).
  const child = spawn(opts.sshdPath, ['-D', '-e', '-f', config], {
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`not listening after ${opts.startTimeoutMs} ms`));
    }, opts.startTimeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      log = (log + c).slice(-maxLogChars);
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code === null ? String(signal) : `code ${code}`})`));
    });
  });
  try {
    await ready;
  } catch (e) {
    killTree(child.pid);
    await exitOf(child);
    const why = e instanceof Error ? e.message : String(e);
    throw new GitServerError('sshd', `${why}; log:\n${log.trim()}`, { cause: e });
  }
  return { child, log: () => log };
}

/**
 * Writes known_hosts and sshd_config for a free port and starts sshd there. The port was free a
 * moment before sshd binds it; if another process takes it in between, sshd is tried again.
 */
async function listenOnFreePort(
  opts: SshServerOptions,
  hostPub: string,
): Promise<Started & { port: number }> {
  const f = (name: string): string => join(opts.dir, name);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await writeFile(f('known_hosts'), knownHostsLine(port, hostPub), { mode: 0o600 });
    const config = f('sshd_config');
    await writeFile(
      config,
      sshdConfig({
        port,
        hostKeyFile: f('host_ed25519_key'),
        authorizedKeysFile: f('authorized_keys'),
        pidFile: f('sshd.pid'),
        user: opts.user,
        forceCommandScript: f('git-only.sh'),
        sessionEnv: opts.sessionEnv,
      }),
      { mode: 0o600 },
    );
    try {
      return { ...(await spawnSshd(opts, config, port)), port };
    } catch (e) {
      const raced = e instanceof GitServerError && e.message.includes('Address already in use');
      if (!raced || attempt >= 3) throw e;
    }
  }
}

/** Generates keys and config, starts sshd on a free loopback port, and waits until it listens. */
export async function startSshServer(opts: SshServerOptions): Promise<SshServer> {
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  await ensurePrivsepDir();
  const f = (name: string): string => join(opts.dir, name);
  const hostPub = await keygen(f('host_ed25519_key'), 'ballast-git-host');
  const clientPub = await keygen(f('client_ed25519_key'), 'ballast-git-client');
  await writeFile(f('authorized_keys'), authorizedKeysLine(clientPub), { mode: 0o600 });
  await writeFile(f('git-only.sh'), forceCommandScript(opts.allowPush), { mode: 0o755 });
  const { child, log, port } = await listenOnFreePort(opts, hostPub);
  const settings = {
    user: opts.user,
    port,
    keyFile: f('client_ed25519_key'),
    knownHostsFile: f('known_hosts'),
  };
  const command = gitSshCommand(settings);
  const exited = exitOf(child);
  return {
    client: { ...settings, command, env: { GIT_SSH_COMMAND: command } },
    livePid: () => (child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    logTail: log,
    stop: async () => {
      const killed =
        child.exitCode === null && child.signalCode === null ? killTree(child.pid) : [];
      await exited;
      await untilGone(killed);
    },
  };
}
