import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultClient } from './client.js';
import { VaultRequestError } from './errors.js';

// A misbehaving server on loopback: what the client's bounds are for. Vault's real answers are
// tested against OpenBao in test/integration/secrets-vault.test.ts.
let server: Server | undefined;

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

const client = (address: string) =>
  new VaultClient({ address }, { timeoutMs: 300, maxResponseBytes: 1024 });

describe('the Vault client against a misbehaving server', () => {
  it('gives up on a server that never answers, naming the address and the path', async () => {
    const address = await serve(() => undefined);
    const err = await client(address)
      .read('t', 'secret/data/db', undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultRequestError);
    expect((err as Error).message).toBe(
      `Vault ${address} /v1/secret/data/db: no answer within 300 ms`,
    );
  });

  it('refuses an answer over the size limit', async () => {
    const address = await serve((_req, res) => {
      res.end(JSON.stringify({ data: { data: { big: 'x'.repeat(4096) }, metadata: {} } }));
    });
    const err = await client(address)
      .read('t', 'secret/data/db', 2)
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain('the answer is over 1024 bytes');
  });

  it("quotes Vault's errors and never the token it sent", async () => {
    const address = await serve((req, res) => {
      res.statusCode = 403;
      res.end(JSON.stringify({ errors: ['permission denied', req.headers['x-vault-token']] }));
    });
    const err = await client(address)
      .read('hvs.secret-token', 'secret/data/db', undefined)
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `Vault ${address} /v1/secret/data/db: answered 403: permission denied`,
    );
  });

  it('reads KV version 2 and version 1 answers, and 404 as missing', async () => {
    const address = await serve((req, res) => {
      if (req.url === '/v1/secret/data/db?version=3')
        res.end(JSON.stringify({ data: { data: { k: 'v2' }, metadata: { version: 3 } } }));
      else if (req.url === '/v1/kv/db') res.end(JSON.stringify({ data: { k: 'v1' } }));
      else {
        res.statusCode = 404;
        res.end('{"errors":[]}');
      }
    });
    const c = client(address);
    expect(await c.read('t', 'secret/data/db', 3)).toEqual({ kind: 'ok', data: { k: 'v2' } });
    expect(await c.read('t', 'kv/db', undefined)).toEqual({ kind: 'ok', data: { k: 'v1' } });
    expect(await c.read('t', 'secret/data/none', undefined)).toEqual({ kind: 'missing' });
  });
});
