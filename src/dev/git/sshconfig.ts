/** The pure half of the SSH side: the files sshd and its clients read. */

/** What goes into the generated sshd_config. */
export interface SshdSettings {
  port: number;
  hostKeyFile: string;
  authorizedKeysFile: string;
  pidFile: string;
  /** The only account that may log in: the one this process runs as. */
  user: string;
  /** Script every session runs instead of the client's command (see `forceCommandScript`). */
  forceCommandScript: string;
  /** Set in every session, so the user's and system git config stay out of server-side git. */
  sessionEnv: Record<string, string>;
}

/**
 * A self-contained sshd_config: loopback only, public keys only, and none of the system's
 * configuration (sshd reads only the file given with -f). `UsePAM no` and `StrictModes no` let it
 * run as the current user with keys in a temp dir.
 */
export function sshdConfig(s: SshdSettings): string {
  const env = Object.entries(s.sessionEnv).map(([k, v]) => `${k}=${v}`);
  const lines = [
    `Port ${s.port}`,
    'ListenAddress 127.0.0.1',
    'AddressFamily inet',
    `HostKey ${s.hostKeyFile}`,
    `PidFile ${s.pidFile}`,
    `AuthorizedKeysFile ${s.authorizedKeysFile}`,
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    // Only consulted when running as root, which is how CI runs.
    'PermitRootLogin prohibit-password',
    `AllowUsers ${s.user}`,
    'AllowTcpForwarding no',
    'AllowAgentForwarding no',
    'X11Forwarding no',
    'PermitTTY no',
    'PermitTunnel no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    // git sends GIT_PROTOCOL=version=2 this way; without it SSH clones fall back to protocol v0.
    'AcceptEnv GIT_PROTOCOL',
    ...(env.length > 0 ? [`SetEnv ${env.join(' ')}`] : []),
    `ForceCommand /bin/sh ${s.forceCommandScript}`,
    'LogLevel INFO',
  ];
  return lines.join('\n') + '\n';
}

/**
 * The command every SSH session runs. It lets through only git's transport commands, and hands
 * them to git-shell, which checks them again and runs them without a general-purpose shell.
 */
export function forceCommandScript(allowPush: boolean): string {
  const allowed = allowPush
    ? 'git-upload-pack\\ *|git-upload-archive\\ *|git-receive-pack\\ *'
    : 'git-upload-pack\\ *|git-upload-archive\\ *';
  const what = allowPush ? 'git fetch and push' : 'git fetch (read-only)';
  return [
    '#!/bin/sh',
    'case "$SSH_ORIGINAL_COMMAND" in',
    `  ${allowed}) ;;`,
    `  *) echo "ballast-git: this server only allows ${what}" >&2; exit 1 ;;`,
    'esac',
    'exec git-shell -c "$SSH_ORIGINAL_COMMAND"',
    '',
  ].join('\n');
}

/** `authorized_keys` with `restrict`: no pty, no forwarding; the key can only run commands. */
export function authorizedKeysLine(publicKey: string): string {
  return `restrict ${publicKey.trim()}\n`;
}

/** The line a client needs to trust the server with StrictHostKeyChecking=yes. */
export function knownHostsLine(port: number, hostPublicKey: string): string {
  // The public key file reads "<type> <base64> <comment>"; known_hosts wants "<host> <type> <base64>".
  const [type, key] = hostPublicKey.trim().split(/\s+/);
  return `[127.0.0.1]:${port} ${type ?? ''} ${key ?? ''}\n`;
}

/** Quotes one word for /bin/sh (GIT_SSH_COMMAND is run by a shell). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.split("'").join(`'\\''`)}'`;
}

/** What a client needs to reach the SSH side. */
export interface SshClientSettings {
  user: string;
  port: number;
  /** Private key authorised on the server. */
  keyFile: string;
  /** Holds only the server's host key. */
  knownHostsFile: string;
}

/**
 * The GIT_SSH_COMMAND value: this key only, this known_hosts only, strict host key checking, and
 * no ~/.ssh/config (`-F /dev/null`), so the developer's SSH setup can neither help nor hurt.
 */
export function gitSshCommand(c: SshClientSettings): string {
  return [
    'ssh',
    '-F',
    '/dev/null',
    '-i',
    shellQuote(c.keyFile),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${shellQuote(c.knownHostsFile)}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-p',
    String(c.port),
  ].join(' ');
}
