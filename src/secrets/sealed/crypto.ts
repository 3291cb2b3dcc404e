import {
  constants,
  createCipheriv,
  createDecipheriv,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

/**
 * The hybrid encryption of bitnami-labs/sealed-secrets, byte for byte: a fresh 32-byte session
 * key sealed with RSA-OAEP-SHA256 (the label binds the value to its scope), then the value under
 * AES-256-GCM with that key. The nonce is all zeros, which is safe only because every session
 * key encrypts exactly one value. Output: uint16 big-endian length of the RSA block, the RSA
 * block, then the GCM ciphertext with its 16-byte tag appended.
 */

const sessionKeyBytes = 32;
const gcmNonce = Buffer.alloc(12);
const gcmTagBytes = 16;

/** Seals `plaintext` to `publicKey` under `label` (the scope; see `scopeLabel`). */
export function hybridEncrypt(publicKey: KeyObject, label: string, plaintext: Buffer): Buffer {
  const sessionKey = randomBytes(sessionKeyBytes);
  const rsa = publicEncrypt(
    {
      key: publicKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: Buffer.from(label, 'utf8'),
    },
    sessionKey,
  );
  const cipher = createCipheriv('aes-256-gcm', sessionKey, gcmNonce);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(rsa.length);
  return Buffer.concat([length, rsa, body]);
}

/** Why a sealed value did not open; none of these says anything about the plaintext. */
export type OpenFailure = 'truncated' | 'wrong-key-or-scope' | 'tampered';

export type OpenResult = { kind: 'ok'; plaintext: Buffer } | { kind: 'error'; why: OpenFailure };

/** Opens what `hybridEncrypt` sealed; a wrong key and a wrong label look the same to OAEP. */
export function hybridDecrypt(privateKey: KeyObject, label: string, sealed: Buffer): OpenResult {
  if (sealed.length < 2) return { kind: 'error', why: 'truncated' };
  const rsaLength = sealed.readUInt16BE(0);
  if (sealed.length < 2 + rsaLength + gcmTagBytes) return { kind: 'error', why: 'truncated' };
  let sessionKey: Buffer;
  try {
    sessionKey = privateDecrypt(
      {
        key: privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: Buffer.from(label, 'utf8'),
      },
      sealed.subarray(2, 2 + rsaLength),
    );
  } catch {
    return { kind: 'error', why: 'wrong-key-or-scope' };
  }
  if (sessionKey.length !== sessionKeyBytes) return { kind: 'error', why: 'tampered' };
  const body = sealed.subarray(2 + rsaLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', sessionKey, gcmNonce);
    decipher.setAuthTag(body.subarray(body.length - gcmTagBytes));
    const plaintext = Buffer.concat([
      decipher.update(body.subarray(0, body.length - gcmTagBytes)),
      decipher.final(),
    ]);
    return { kind: 'ok', plaintext };
  } catch {
    return { kind: 'error', why: 'tampered' };
  }
}

/** The three scopes of upstream, chosen by annotations on the SealedSecret. */
export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';

export const sealingScopes: readonly SealingScope[] = ['strict', 'namespace-wide', 'cluster-wide'];

export const namespaceWideAnnotation = 'sealedsecrets.bitnami.com/namespace-wide';
export const clusterWideAnnotation = 'sealedsecrets.bitnami.com/cluster-wide';

/** The OAEP label of a scope: what makes a strict value useless under another name. */
export function scopeLabel(scope: SealingScope, namespace: string, name: string): string {
  switch (scope) {
    case 'strict':
      return `${namespace}/${name}`;
    case 'namespace-wide':
      return namespace;
    case 'cluster-wide':
      return '';
  }
}

/** The scope the annotations choose; cluster-wide wins when both are set, as upstream. */
export function scopeOf(annotations: Readonly<Record<string, string>> | undefined): SealingScope {
  if (annotations?.[clusterWideAnnotation] === 'true') return 'cluster-wide';
  if (annotations?.[namespaceWideAnnotation] === 'true') return 'namespace-wide';
  return 'strict';
}

/** The annotations that record `scope` on a SealedSecret (and on its template, as kubeseal does). */
export function scopeAnnotations(scope: SealingScope): Record<string, string> {
  if (scope === 'cluster-wide') return { [clusterWideAnnotation]: 'true' };
  if (scope === 'namespace-wide') return { [namespaceWideAnnotation]: 'true' };
  return {};
}
