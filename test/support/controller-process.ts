import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/dev/paths.js';
import { isRunning, startDaemon, stopDaemon, type DaemonRecord } from '../../src/dev/daemon.js';

/** A `ballast controller` or `ballast hub` started from the built CLI, as a Pod's container would run it. */
export interface ControllerProcess {
  daemon: DaemonRecord;
  /** The holderIdentity it writes into the Lease. */
  identity: string;
  /** Its JSON log lines so far. */
  lines(): Promise<Record<string, unknown>[]>;
  /** Whether a line with this `msg` was logged. */
  logged(msg: string): Promise<boolean>;
  alive(): boolean;
  /** A crash, as the kernel delivers it: no shutdown code runs, the lease is left as it was. */
  kill(): void;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts the built CLI's `controller` in its own process group, logging to `log`. The process
 * outlives nothing: callers stop it in afterAll/afterEach.
 */
export function startControllerProcess(log: string, args: readonly string[]): ControllerProcess {
  return startBallastProcess('controller', log, args);
}

/** Starts the built CLI's `command` (`controller`, `hub` or `ui`) as startControllerProcess does. */
export function startBallastProcess(
  command: 'controller' | 'hub' | 'ui',
  log: string,
  args: readonly string[],
): ControllerProcess {
  const main = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const daemon = startDaemon(`ballast-${command}`, process.execPath, [main, command, ...args], log);
  const lines = async (): Promise<Record<string, unknown>[]> => {
    const text = await readFile(log, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  return {
    daemon,
    identity: `${hostname()}-${daemon.pid}`,
    lines,
    logged: async (msg) => (await lines()).some((l) => l.msg === msg),
    alive: () => isRunning(daemon),
    kill: () => {
      try {
        process.kill(-daemon.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
    stop: (graceMs = 10_000) => stopDaemon(daemon, graceMs),
  };
}
