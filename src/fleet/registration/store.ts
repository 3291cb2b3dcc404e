import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Cluster } from '../../cluster/cluster.js';
import { CredentialStoreError } from './errors.js';
import { clusterIdentity } from './names.js';

/**
 * The agent's hub identity. The key is a KeyObject, whose inspection shows no key material,
 * so logging a credential by mistake does not leak it.
 */
export interface HubCredential {
  /** The hub apiserver's URL. */
  server: string;
  /** PEM CA bundle the hub's serving certificate is checked against; undefined: system CAs. */
  caPem: string | undefined;
  clusterName: string;
  registrationId: string;
  /** The user the hub knows the agent as: `ballast:cluster:<name>:<id>`. */
  identity: string;
  key: KeyObject;
  certificatePem: string;
  notBefore: Date;
  notAfter: Date;
}

/** What the spoke's Secret holds: the key always, the certificate once issued. */
export interface StoredRegistration {
  server: string;
  caPem: string | undefined;
  clusterName: string;
  registrationId: string;
  key: KeyObject;
  certificatePem: string | undefined;
}

/** Where the credential lives on the spoke. */
export interface StoreLocation {
  namespace: string;
  secret: string;
}

const keys = {
  key: 'tls.key',
  cert: 'tls.crt',
  ca: 'ca.crt',
  server: 'hub-server',
  cluster: 'cluster-name',
  id: 'registration-id',
} as const;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string | undefined =>
  s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');

/** Reads the stored registration; undefined when there is none. */
export async function readStored(
  spoke: Cluster,
  at: StoreLocation,
): Promise<StoredRegistration | undefined> {
  const live = await spoke.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: at.secret, namespace: at.namespace },
  });
  if (live === undefined) return undefined;
  const data = (live.data ?? {}) as Record<string, string>;
  const keyPem = unb64(data[keys.key]);
  const server = unb64(data[keys.server]);
  const clusterName = unb64(data[keys.cluster]);
  const registrationId = unb64(data[keys.id]);
  if (
    keyPem === undefined ||
    server === undefined ||
    clusterName === undefined ||
    registrationId === undefined
  )
    throw new CredentialStoreError(
      at.namespace,
      at.secret,
      `lacks one of ${Object.values(keys).join(', ')}`,
    );
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new CredentialStoreError(at.namespace, at.secret, `${keys.key} is not a private key`, {
      cause: e,
    });
  }
  return {
    server,
    caPem: unb64(data[keys.ca]),
    clusterName,
    registrationId,
    key,
    certificatePem: unb64(data[keys.cert]),
  };
}

/** Writes the registration (server-side apply), replacing what was stored. */
export async function writeStored(
  spoke: Cluster,
  at: StoreLocation,
  s: StoredRegistration,
): Promise<void> {
  const keyPem = s.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const data: Record<string, string> = {
    [keys.key]: b64(keyPem),
    [keys.server]: b64(s.server),
    [keys.cluster]: b64(s.clusterName),
    [keys.id]: b64(s.registrationId),
  };
  if (s.caPem !== undefined) data[keys.ca] = b64(s.caPem);
  if (s.certificatePem !== undefined) data[keys.cert] = b64(s.certificatePem);
  // Apply owns every key it sent before: a key left out (no certificate yet) is removed.
  await spoke.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: at.secret,
      namespace: at.namespace,
      labels: { 'app.kubernetes.io/name': 'ballast', 'app.kubernetes.io/component': 'agent' },
    },
    type: 'Opaque',
    data,
  });
}

export async function deleteStored(spoke: Cluster, at: StoreLocation): Promise<void> {
  await spoke.delete({
    apiVersion: 'v1',
    kind: 'Secret',
    group: '',
    namespace: at.namespace,
    name: at.secret,
  });
}

/**
 * The credential a stored registration with a certificate makes; undefined when the
 * certificate does not belong to the key or names another identity (a broken store).
 */
export function credentialOf(
  s: StoredRegistration,
  certificatePem: string,
): HubCredential | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificatePem);
  } catch {
    return undefined;
  }
  const identity = clusterIdentity(s.clusterName, s.registrationId);
  if (!cert.checkPrivateKey(s.key) || cert.subject.trim() !== `CN=${identity}`) return undefined;
  return {
    server: s.server,
    caPem: s.caPem,
    clusterName: s.clusterName,
    registrationId: s.registrationId,
    identity,
    key: s.key,
    certificatePem,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}
