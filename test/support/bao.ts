import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baoPath } from '../../src/dev/bao.js';
import { freePort } from '../../src/dev/ports.js';

/** A real OpenBao dev server on loopback (in memory, KV version 2 at secret/), for one test file. */
export interface Bao {
  address: string;
  rootToken: string;
  /** A request with the root token; rejects unless Vault answers 2xx. */
  api: (method: string, path: string, body?: unknown) => Promise<unknown>;
  /** Writes `data` as the next version of the KV version 2 secret at secret/<path>. */
  put: (path: string, data: Record<string, string>) => Promise<void>;
  stop: () => Promise<void>;
}

export async function startBao(): Promise<Bao> {
  const port = await freePort();
  const rootToken = `root-${randomBytes(8).toString('hex')}`;
  const address = `http://127.0.0.1:${String(port)}`;
  const home = await mkdtemp(join(tmpdir(), 'ballast-bao-'));
  const child: ChildProcess = spawn(
    baoPath(),
    [
      'server',
      '-dev',
      `-dev-root-token-id=${rootToken}`,
      `-dev-listen-address=127.0.0.1:${String(port)}`,
    ],
    // Dev mode writes the root token to $HOME/.vault-token: a home of its own, removed at stop.
    { stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home } },
  );
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const api: Bao['api'] = async (method, path, body) => {
    const r = await fetch(`${address}/v1/${path}`, {
      method,
      headers: { 'x-vault-token': rootToken, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`bao ${method} ${path}: ${String(r.status)} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
  // Up when the unsealed dev server answers its health endpoint.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${address}/v1/sys/health`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`bao exited ${String(child.exitCode)}`);
    if (Date.now() > deadline) throw new Error(`bao did not answer on ${address} within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    address,
    rootToken,
    api,
    put: async (path, data) => {
      await api('POST', `secret/data/${path}`, { data });
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(home, { recursive: true, force: true });
    },
  };
}
