import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultUpOptions, devDown, devUp, StaleStateError } from '../../src/dev/controlplane.js';
import { isRunning, stopDaemon, type DaemonRecord } from '../../src/dev/daemon.js';
import { PortInUseError } from '../../src/dev/ports.js';
import { repoRoot } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { tempDirs } from '../support/temp.js';

const temp = tempDirs();
afterEach(() => temp.removeAll());

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, port: typeof a === 'object' && a !== null ? a.port : 0 });
    });
  });
}

describe('ballast dev preconditions', () => {
  it('refuses a port that is in use, naming it, instead of hanging', async () => {
    const { server, port } = await listen();
    try {
      const stateDir = await temp.make('ballast-port-');
      const t0 = Date.now();
      const err = await devUp({ ...defaultUpOptions(stateDir), portBase: port }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PortInUseError);
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      expect((err as Error).message).toContain('--port-base');
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      server.close();
    }
  });

  it('tells a machine without Go what to install, in one sentence', async () => {
    const cache = await temp.make('ballast-nogo-');
    const r = await run('bash', [join(repoRoot(), 'tools', 'build.sh'), 'helm'], {
      env: { PATH: '/usr/bin:/bin', BALLAST_CACHE: cache },
      timeoutMs: 10_000,
    });
    expect(r.kind).toBe('exit');
    if (r.kind !== 'exit') return;
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Go is not installed; install Go 1\.26/);
  });

  it('refuses a misspelt tool name or a BALLAST_BUILD_JOBS that is not a count, before building anything', async () => {
    const cache = await temp.make('ballast-badargs-');
    const build = (args: string[], jobs: string): ReturnType<typeof run> =>
      run('bash', [join(repoRoot(), 'tools', 'build.sh'), ...args], {
        env: { PATH: process.env.PATH ?? '', BALLAST_CACHE: cache, BALLAST_BUILD_JOBS: jobs },
        timeoutMs: 10_000,
      });
    const typo = await build(['kubctl'], '2');
    expect(typo.kind).toBe('exit');
    if (typo.kind !== 'exit') return;
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("no tool named 'kubctl'");
    expect(typo.stderr).toContain('kubectl');
    const jobs = await build(['helm'], 'two');
    expect(jobs.kind).toBe('exit');
    if (jobs.kind !== 'exit') return;
    expect(jobs.code).toBe(2);
    expect(jobs.stderr).toContain(
      "BALLAST_BUILD_JOBS must be a positive number of modules to build at once, not 'two'",
    );
    expect(await readdir(cache)).toEqual([]);
  });

  it('refuses a state dir whose state file is unreadable and says how to recover', async () => {
    const stateDir = await temp.make('ballast-stale-');
    await writeFile(join(stateDir, 'state.json'), '{ not json');
    const err = await devUp(defaultUpOptions(stateDir)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleStateError);
    expect((err as Error).message).toContain(join(stateDir, 'state.json'));
    expect((err as Error).message).toContain('ballast dev down');
  });

  it('refuses a state dir whose control plane is partly down, then `down` stops the survivors', async () => {
    const stateDir = await temp.make('ballast-partial-');
    await mkdir(stateDir, { recursive: true });
    const child = spawn('/usr/bin/sleep', ['300'], { detached: true, stdio: 'ignore' });
    child.unref();
    const alive: DaemonRecord = {
      role: 'kube-apiserver',
      pid: child.pid ?? 0,
      binary: '/usr/bin/sleep',
      log: '/dev/null',
    };
    const dead: DaemonRecord = {
      role: 'etcd',
      pid: 2 ** 22 - 1,
      binary: '/nonexistent/etcd',
      log: '/dev/null',
    };
    const state = {
      version: 1,
      etcd: { daemon: dead, clientPort: 1, peerPort: 2 },
      clusters: [
        { name: 'cluster-1', port: 3, etcdPrefix: '/x', kubeconfig: 'k', daemons: [alive] },
      ],
      kubeconfig: 'k',
    };
    await writeFile(join(stateDir, 'state.json'), JSON.stringify(state));
    try {
      const err = await devUp(defaultUpOptions(stateDir)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StaleStateError);
      expect((err as Error).message).toMatch(/partly down \(etcd exited\)/);
      expect(isRunning(alive)).toBe(true);
      expect(await devDown(stateDir)).toEqual({ kind: 'stopped', processes: 2 });
      expect(isRunning(alive)).toBe(false);
      await expect(readFile(join(stateDir, 'state.json'))).rejects.toThrow();
    } finally {
      await stopDaemon(alive, 100);
    }
  });
});
