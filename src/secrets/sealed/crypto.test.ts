import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultCertOptions, generateSealingKey } from './cert.js';
import { hybridDecrypt, hybridEncrypt, scopeLabel, scopeOf } from './crypto.js';

const pair = await generateSealingKey(defaultCertOptions(), 2048);
const priv = createPrivateKey(pair.keyPem);
const pub = createPublicKey(pair.keyPem);

describe('sealing a value', () => {
  it('opens with the same key and label, and lays out length, RSA block, GCM body', () => {
    const sealed = hybridEncrypt(pub, 'ns/name', Buffer.from('hunter2'));
    expect(sealed.readUInt16BE(0)).toBe(256);
    expect(sealed.length).toBe(2 + 256 + 7 + 16);
    const r = hybridDecrypt(priv, 'ns/name', sealed);
    expect(r.kind === 'ok' && r.plaintext.toString()).toBe('hunter2');
  });

  it('does not open under another scope label', () => {
    const sealed = hybridEncrypt(pub, 'ns/name', Buffer.from('hunter2'));
    expect(hybridDecrypt(priv, 'ns/other', sealed)).toEqual({
      kind: 'error',
      why: 'wrong-key-or-scope',
    });
  });

  it('refuses a flipped bit in the AES body and a truncated value', () => {
    const sealed = hybridEncrypt(pub, '', Buffer.from('hunter2'));
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
    expect(hybridDecrypt(priv, '', sealed)).toEqual({ kind: 'error', why: 'tampered' });
    expect(hybridDecrypt(priv, '', sealed.subarray(0, 10))).toEqual({
      kind: 'error',
      why: 'truncated',
    });
  });
});

describe('the scope', () => {
  it('is chosen by annotations, cluster-wide first, and labels the OAEP block', () => {
    expect(scopeOf(undefined)).toBe('strict');
    expect(scopeOf({ 'sealedsecrets.bitnami.com/namespace-wide': 'true' })).toBe('namespace-wide');
    expect(
      scopeOf({
        'sealedsecrets.bitnami.com/namespace-wide': 'true',
        'sealedsecrets.bitnami.com/cluster-wide': 'true',
      }),
    ).toBe('cluster-wide');
    expect(scopeLabel('strict', 'a', 'b')).toBe('a/b');
    expect(scopeLabel('namespace-wide', 'a', 'b')).toBe('a');
    expect(scopeLabel('cluster-wide', 'a', 'b')).toBe('');
  });
});

describe('a generated sealing key', () => {
  it('has a self-signed certificate that node parses and verifies, for the same key', () => {
    const cert = new X509Certificate(pair.certPem);
    expect(cert.subject).toContain('CN=sealed-secret');
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(priv)).toBe(true);
    expect(new Date(cert.validTo).getUTCFullYear()).toBeGreaterThanOrEqual(
      new Date().getUTCFullYear() + 9,
    );
  });
});
