/**
 * A throwaway PostgreSQL cluster for one test file: initdb into a temp dir, postgres on a free
 * loopback port with fsync off, stopped (with its whole process group) and removed at the end.
 * The binaries are Debian's `postgresql` package, which .ci/run installs; when they are missing
 * the caller's beforeAll fails with a message saying so, rather than skipping.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { logTail, startDaemon, stopDaemon, type DaemonRecord } from '../../src/dev/daemon.js';
import { freePort } from '../../src/dev/ports.js';
import { run } from '../../src/exec/run.js';

export interface TestPostgres {
  port: number;
  /** A URL for `database` as the superuser `ballast` (trust auth, loopback only). */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server as an outage would, keeping its data; `restart` brings it back. */
  halt(): Promise<void>;
  /** Starts the halted server again on the same port and data, once it accepts connections. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The unprivileged user the server runs as when the tests run as root, as CI does. */
const serviceUser = 'postgres';

/** The newest /usr/lib/postgresql/<major>/bin holding initdb and postgres, or $BALLAST_PG_BINDIR. */
export function postgresBinDir(): string {
  const fromEnv = process.env.BALLAST_PG_BINDIR;
  const candidates =
    fromEnv !== undefined
      ? [fromEnv]
      : (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [])
          .filter((v) => /^\d+$/.test(v))
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => join('/usr/lib/postgresql', v, 'bin'));
  const found = candidates.find(
    (d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')),
  );
  if (found === undefined) {
    throw new Error(
      `postgres: no initdb and postgres binaries in ${candidates.join(', ') || '/usr/lib/postgresql/<version>/bin'}; install Debian's postgresql package (apt-get install postgresql, as .ci/run does) or set BALLAST_PG_BINDIR`,
    );
  }
  return found;
}

/** uid and gid of a local user, from /etc/passwd. */
function lookupUser(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(
      `postgres: running as root needs the unprivileged user ${name}, which the postgresql package creates`,
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

const asRoot = (): boolean => process.getuid?.() === 0;

/** The command line that runs `binary` unprivileged: initdb and postgres refuse to run as root. */
function command(binary: string, args: string[]): [string, string[]] {
  return asRoot() ? ['runuser', ['-u', serviceUser, '--', binary, ...args]] : [binary, args];
}

async function waitReady(url: string, daemon: DaemonRecord, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (e) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) {
        throw new Error(
          `postgres: not accepting connections after ${timeoutMs} ms:\n${await logTail(daemon)}`,
          { cause: e },
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const base = await mkdtemp(join(tmpdir(), 'ballast-pg-'));
  if (asRoot()) {
    const { uid, gid } = lookupUser(serviceUser);
    await chown(base, uid, gid);
  }
  const data = join(base, 'data');
  const [initdb, initArgs] = command(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'ballast',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const init = await run(initdb, initArgs, { timeoutMs: 120_000 });
  if (init.kind !== 'ok') {
    await rm(base, { recursive: true, force: true });
    throw new Error(`postgres: initdb failed: ${init.kind === 'exit' ? init.stderr : init.kind}`);
  }
  const port = await freePort();
  const [postgres, args] = command(join(bin, 'postgres'), [
    '-D',
    data,
    '-k',
    base,
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ]);
  let daemon = startDaemon('postgres', postgres, args, join(base, 'postgres.log'));
  const url = (database = 'postgres'): string => `postgres://ballast@127.0.0.1:${port}/${database}`;
  const stop = async (): Promise<void> => {
    // SIGTERM to the group reaches the postmaster and every backend; none outlives the run.
    await stopDaemon(daemon, 10_000);
    await rm(base, { recursive: true, force: true });
  };
  try {
    await waitReady(url(), daemon, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    port,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replaceAll('"', '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async halt() {
      await stopDaemon(daemon, 10_000);
    },
    async restart() {
      daemon = startDaemon('postgres', postgres, args, join(base, 'postgres.log'));
      await waitReady(url(), daemon, 60_000);
    },
    stop,
  };
}
