import { describe, expect, it } from 'vitest';
import {
  authorizedKeysLine,
  forceCommandScript,
  gitSshCommand,
  knownHostsLine,
  shellQuote,
  sshdConfig,
} from './sshconfig.js';

describe('sshdConfig', () => {
  it('listens on loopback only, with public keys only and no PAM', () => {
    const text = sshdConfig({
      port: 2222,
      hostKeyFile: '/t/host',
      authorizedKeysFile: '/t/ak',
      pidFile: '/t/pid',
      user: 'root',
      forceCommandScript: '/t/git-only.sh',
      sessionEnv: { GIT_CONFIG_NOSYSTEM: '1' },
    });
    for (const line of [
      'Port 2222',
      'ListenAddress 127.0.0.1',
      'HostKey /t/host',
      'AuthorizedKeysFile /t/ak',
      'PasswordAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowUsers root',
      'SetEnv GIT_CONFIG_NOSYSTEM=1',
      'ForceCommand /bin/sh /t/git-only.sh',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
  });
});

describe('forceCommandScript', () => {
  it('lets receive-pack through only when pushing is allowed', () => {
    expect(forceCommandScript(true)).toContain('git-receive-pack');
    expect(forceCommandScript(false)).not.toContain('git-receive-pack');
    expect(forceCommandScript(false)).toContain('exec git-shell -c "$SSH_ORIGINAL_COMMAND"');
  });
});

describe('key file lines', () => {
  it('restricts the authorised key and pins the host key to the port', () => {
    expect(authorizedKeysLine('ssh-ed25519 AAAA c\n')).toBe('restrict ssh-ed25519 AAAA c\n');
    expect(knownHostsLine(2222, 'ssh-ed25519 AAAA host-comment\n')).toBe(
      '[127.0.0.1]:2222 ssh-ed25519 AAAA\n',
    );
  });
});

describe('gitSshCommand', () => {
  it('uses only the given key and known_hosts, with strict checking', () => {
    const cmd = gitSshCommand({
      user: 'root',
      port: 2222,
      keyFile: '/t/key',
      knownHostsFile: "/t/it's here",
    });
    expect(cmd).toContain('-i /t/key');
    expect(cmd).toContain('-F /dev/null');
    expect(cmd).toContain('StrictHostKeyChecking=yes');
    expect(cmd).toContain(`UserKnownHostsFile='/t/it'\\''s here'`);
    expect(cmd).toContain('-p 2222');
  });

  it('quotes only what needs quoting', () => {
    expect(shellQuote('/tmp/a-b_c.d')).toBe('/tmp/a-b_c.d');
    expect(shellQuote('a b')).toBe("'a b'");
  });
});
