import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';
import { hybridEncrypt, scopeAnnotations, scopeLabel, type SealingScope } from './crypto.js';
import { privateKeyOf, type SealingKeys } from './keys.js';
import {
  isSealedSecret,
  labelOf,
  sealedSecretApiVersion,
  sealedSecretKind,
  unsealSecret,
} from './unseal.js';

/** The public key a certificate (PEM) carries; throws on a malformed certificate. */
export function publicKeyOfCert(certPem: string): KeyObject {
  return new X509Certificate(certPem).publicKey;
}

export type SealResult = { kind: 'ok'; sealed: KubeObject } | { kind: 'error'; problem: string };

/** Which metadata of the Secret the template keeps: no server-set fields, no last-applied copy. */
function templateMetadata(secret: KubeObject, scope: SealingScope): Record<string, unknown> {
  const annotations = { ...(secret.metadata.annotations ?? {}), ...scopeAnnotations(scope) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  const meta: Record<string, unknown> = {
    name: secret.metadata.name,
    ...(secret.metadata.namespace === undefined ? {} : { namespace: secret.metadata.namespace }),
  };
  if (secret.metadata.labels !== undefined) meta.labels = secret.metadata.labels;
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  return meta;
}

/**
 * A SealedSecret for `secret` (a v1 Secret with `data` and/or `stringData`), as kubeseal writes
 * one: every value sealed under `scope`'s label, the Secret's metadata and type in the template.
 */
export function sealSecret(
  secret: KubeObject,
  publicKey: KeyObject,
  scope: SealingScope,
): SealResult {
  if (secret.apiVersion !== 'v1' || secret.kind !== 'Secret')
    return {
      kind: 'error',
      problem: `expects a v1 Secret, got ${secret.apiVersion} ${secret.kind}`,
    };
  const name = secret.metadata.name;
  const namespace = secret.metadata.namespace ?? '';
  if (typeof name !== 'string' || name === '')
    return { kind: 'error', problem: 'the Secret has no metadata.name' };
  if (scope !== 'cluster-wide' && namespace === '')
    return {
      kind: 'error',
      problem: `a ${scope} SealedSecret is bound to its namespace; give the Secret metadata.namespace`,
    };
  const values: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((secret.data ?? {}) as Record<string, unknown>))
    if (typeof v === 'string') values[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries((secret.stringData ?? {}) as Record<string, unknown>))
    if (typeof v === 'string') values[k] = Buffer.from(v, 'utf8');
  const label = scopeLabel(scope, namespace, name);
  const encryptedData: Record<string, string> = {};
  for (const k of Object.keys(values).sort())
    encryptedData[k] = hybridEncrypt(publicKey, label, values[k] ?? Buffer.alloc(0)).toString(
      'base64',
    );
  const annotations = scopeAnnotations(scope);
  const template: Record<string, unknown> = { metadata: templateMetadata(secret, scope) };
  if (typeof secret.type === 'string') template.type = secret.type;
  if (typeof secret.immutable === 'boolean') template.immutable = secret.immutable;
  return {
    kind: 'ok',
    sealed: {
      apiVersion: sealedSecretApiVersion,
      kind: sealedSecretKind,
      metadata: {
        name,
        ...(namespace === '' ? {} : { namespace }),
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      spec: { encryptedData, template },
    },
  };
}

/**
 * `sealed` with every value re-encrypted to `publicKey` under the same scope and label, as
 * `kubeseal --re-encrypt` does; everything else is kept. The plaintext lives only in memory.
 */
export function resealSecret(
  sealed: KubeObject,
  keys: SealingKeys,
  publicKey: KeyObject,
): SealResult {
  if (!isSealedSecret(sealed))
    return { kind: 'error', problem: `expects a ${sealedSecretApiVersion} ${sealedSecretKind}` };
  const namespace = sealed.metadata.namespace ?? '';
  const opened = unsealSecret(sealed, namespace, keys);
  if (opened.kind === 'error') return { kind: 'error', problem: opened.problem };
  const { label } = labelOf(sealed, namespace);
  const spec = (sealed.spec ?? {}) as { encryptedData?: Record<string, string> };
  const encryptedData: Record<string, string> = {};
  for (const k of Object.keys(spec.encryptedData ?? {})) {
    const plain = Buffer.from(opened.opened[k] ?? '', 'base64');
    encryptedData[k] = hybridEncrypt(publicKey, label, plain).toString('base64');
  }
  return { kind: 'ok', sealed: { ...sealed, spec: { ...spec, encryptedData } } };
}

/** The public half of the newest key, for sealing with keys already at hand. */
export function newestPublicKey(keys: SealingKeys): KeyObject | undefined {
  const k = keys.keys[0];
  return k === undefined ? undefined : createPublicKey(privateKeyOf(k));
}
