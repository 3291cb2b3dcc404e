import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Placed } from './placeholder.js';
import { VaultValues, type VaultAccess } from './values.js';

// A loopback stand-in that counts reads, for the cache's timing rules; the real Vault API is
// tested against OpenBao in test/integration/secrets-vault.test.ts.
let server: Server;
let address = '';
let reads = 0;
let password = 'one';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/v1/secret/data/db') reads++;
    res.end(JSON.stringify({ data: { data: { password }, metadata: { version: 1 } } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  address = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const objects: Placed[] = [
  {
    object: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      stringData: { password: '<vault:db#password>' },
    },
    origin: { file: 'db.yaml', line: 1 },
  },
];
const access = (): VaultAccess => ({
  server: { address },
  login: () => Promise.resolve({ kind: 'token', token: 't' }),
  defaults: { mount: 'secret', kvVersion: '2' },
  refreshMs: 10_000,
});

async function pass(values: VaultValues, now: number) {
  const needs = values.needs(objects, access().defaults);
  if (needs.kind !== 'vault') throw new Error('expected placeholders');
  const r = await values.resolve('ns/app', objects, needs.found, access(), now);
  if (r.kind !== 'ok') throw r.error;
  const o = r.value.objects[0]?.object as unknown as { stringData: { password: string } };
  return { value: o.stringData.password, rotated: r.value.rotated };
}

describe('the Vault values an Application uses', () => {
  it('reads once per refresh interval, counts a pass a little early as due, and reports a changed value as rotated', async () => {
    const values = new VaultValues();
    expect(await pass(values, 0)).toEqual({ value: 'one', rotated: [] });
    // A webhook pass soon after uses what was read.
    password = 'two';
    expect(await pass(values, 1_000)).toEqual({ value: 'one', rotated: [] });
    expect(reads).toBe(1);
    // The next interval's pass, jittered 10% early, reads again and sees the rotation.
    expect(await pass(values, 9_000)).toEqual({
      value: 'two',
      rotated: [{ path: 'secret/data/db', key: 'password' }],
    });
    expect(reads).toBe(2);
    // Until a sync applies it, the rotation stays reported (a pass that only compared).
    expect((await pass(values, 9_100)).rotated).toHaveLength(1);
    values.applied('ns/app');
    expect((await pass(values, 9_200)).rotated).toEqual([]);
    // Forgotten (the Application is gone): the next read is a first read, not a rotation.
    values.forget('ns/app');
    password = 'three';
    expect(await pass(values, 9_500)).toEqual({ value: 'three', rotated: [] });
  });
});
