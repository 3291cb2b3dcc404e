import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateSigningKeyPair,
  loadPublicKey,
  loadSigningKey,
  openCheckpoint,
  parseSignedCheckpoint,
  signerOf,
} from './checkpoint.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-checkpoint-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fields = {
  seq: 100,
  id: 'r100',
  hash: 'a'.repeat(64),
  time: '2026-03-01T10:00:00.000Z',
  every: 100,
};

describe('ledger checkpoint signatures', () => {
  it('a checkpoint signed with the key file opens with the public key file', async () => {
    const pair = generateSigningKeyPair();
    await writeFile(join(dir, 'k.key'), pair.privatePem);
    await writeFile(join(dir, 'k.pub'), pair.publicPem);
    const signer = await loadSigningKey(join(dir, 'k.key'));
    const cp = signer.sign(fields);
    const opened = openCheckpoint(cp, await loadPublicKey(join(dir, 'k.pub')));
    expect(opened).toEqual({
      kind: 'valid',
      payload: { type: 'ballast.dev/ledger-checkpoint', v: 1, ...fields },
    });
    expect(parseSignedCheckpoint(JSON.stringify(cp), 'file')).toEqual(cp);
  });

  it('a checkpoint whose signed body was changed does not open', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const cp = signerOf(privateKey).sign(fields);
    const moved = { ...cp, body: cp.body.replace('"seq":100', '"seq":90') };
    expect(openCheckpoint(moved, publicKey)).toEqual({
      kind: 'invalid',
      problem: 'its signature does not verify with this key',
    });
  });

  it('a checkpoint signed with another key names both key ids', () => {
    const mallory = signerOf(generateKeyPairSync('ed25519').privateKey);
    const ours = signerOf(generateKeyPairSync('ed25519').privateKey);
    expect(openCheckpoint(mallory.sign(fields), ours.publicKey)).toMatchObject({
      kind: 'invalid',
      problem: expect.stringContaining(
        `it names key ${mallory.keyId}, this is ${ours.keyId}`,
      ) as unknown,
    });
  });

  it('a key that is not ed25519 is refused naming the file and how to make one', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const file = join(dir, 'rsa.key');
    await writeFile(file, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(loadSigningKey(file)).rejects.toThrow(
      `${file}: is a rsa key; the ledger signs with ed25519 (make one with \`ballast audit keygen\`)`,
    );
    await expect(loadSigningKey(join(dir, 'missing.key'))).rejects.toThrow(
      'cannot read the ledger signing key',
    );
  });
});
