import { createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';

/**
 * Sealing keys, stored as upstream's controller stores them: `kubernetes.io/tls` Secrets named
 * `sealed-secrets-key…` and labelled `sealedsecrets.bitnami.com/sealed-secrets-key=active`, in
 * the controller's own namespace. A key Secret made by either side works for the other.
 */

export const sealingKeyLabel = 'sealedsecrets.bitnami.com/sealed-secrets-key';
export const sealingKeyPrefix = 'sealed-secrets-key';

/** One key pair as data (PEM strings), so it crosses to a render worker unchanged. */
export interface SealingKey {
  /** The Secret it came from, `namespace/name`, for messages. */
  source: string;
  keyPem: string;
  certPem: string;
  /** The certificate's notBefore in epoch ms: the newest key seals. */
  notBeforeMs: number;
}

/** Every key that may open a SealedSecret, newest first. */
export interface SealingKeys {
  keys: SealingKey[];
}

export type SealingKeysResult =
  { kind: 'ok'; keys: SealingKeys } | { kind: 'error'; problems: string[] };

const b64 = (v: unknown): string | undefined =>
  typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;

/** The key in one Secret, or a problem naming the Secret (never its contents). */
export function sealingKeyFromSecret(secret: KubeObject): SealingKey | string {
  const id = `Secret ${secret.metadata.namespace ?? ''}/${secret.metadata.name}`;
  const data = secret.data as Record<string, unknown> | undefined;
  const keyPem = b64(data?.['tls.key']);
  const certPem = b64(data?.['tls.crt']);
  if (keyPem === undefined || certPem === undefined)
    return `${id}: a sealing key Secret needs tls.key and tls.crt`;
  try {
    const cert = new X509Certificate(certPem);
    const key = createPrivateKey(keyPem);
    if (!cert.checkPrivateKey(key)) return `${id}: tls.crt is not the certificate of tls.key`;
    const notBeforeMs = Date.parse(cert.validFrom);
    return { source: id.slice('Secret '.length), keyPem, certPem, notBeforeMs };
  } catch (e) {
    return `${id}: tls.key or tls.crt cannot be read (${e instanceof Error ? e.message : String(e)})`;
  }
}

/** Whether `secret` is an active sealing key by upstream's rule (its label), not by its name. */
export function isSealingKeySecret(secret: KubeObject): boolean {
  return secret.metadata.labels?.[sealingKeyLabel] === 'active';
}

/** The keys among `secrets`, newest first; unreadable ones are reported, the rest still used. */
export function sealingKeysFrom(secrets: readonly KubeObject[]): {
  keys: SealingKeys;
  problems: string[];
} {
  const keys: SealingKey[] = [];
  const problems: string[] = [];
  for (const s of secrets.filter(isSealingKeySecret)) {
    const k = sealingKeyFromSecret(s);
    if (typeof k === 'string') problems.push(k);
    else keys.push(k);
  }
  keys.sort((a, b) => b.notBeforeMs - a.notBeforeMs || (a.source < b.source ? -1 : 1));
  return { keys: { keys }, problems };
}

/**
 * A fresh key Secret name: the prefix and five random characters, as upstream's generateName
 * gives, so that the Secret can be made by server-side apply.
 */
export function newSealingKeyName(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = randomBytes(5);
  return sealingKeyPrefix + [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The Secret that stores a new key, as upstream writes one (tls type, the active label). */
export function sealingKeySecret(
  namespace: string,
  name: string,
  pair: { keyPem: string; certPem: string },
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: { [sealingKeyLabel]: 'active' },
    },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(pair.certPem).toString('base64'),
      'tls.key': Buffer.from(pair.keyPem).toString('base64'),
    },
  };
}

/**
 * Whether the newest key is older than the renewal period. With no key at all, no: the first
 * key is made on purpose (`ballast secrets seal-keygen`, or an upstream install's), so that a
 * controller whose users never seal anything does not make and store keys unasked.
 */
export function isRenewalDue(keys: SealingKeys, periodMs: number, nowMs: number): boolean {
  const newest = keys.keys[0];
  if (newest === undefined) return false;
  return periodMs > 0 && nowMs - newest.notBeforeMs >= periodMs;
}

/** Parsed private keys by PEM, so a render worker reads each key once. */
const privateCache = new Map<string, KeyObject>();

export function privateKeyOf(key: SealingKey): KeyObject {
  let k = privateCache.get(key.keyPem);
  if (k === undefined) {
    k = createPrivateKey(key.keyPem);
    if (privateCache.size >= 64) privateCache.clear();
    privateCache.set(key.keyPem, k);
  }
  return k;
}
