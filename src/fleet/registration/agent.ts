import { randomBytes } from 'node:crypto';
import type { Cluster } from '../../cluster/cluster.js';
import { KubeApiError } from '../../cluster/errors.js';
import { hubClient } from './hub-client.js';
import { renewalDue, renewCredential } from './renew.js';
import type { AgentRegistrationOptions } from './options.js';
import { defaultAgentRegistrationOptions } from './options.js';
import { generateAgentKey } from './csr.js';
import { awaitCertificate, submitCsr } from './issue.js';
import {
  CredentialStoreError,
  NoRegistrationTokenError,
  RegistrationDeniedError,
  RegistrationTokenError,
} from './errors.js';
import { clusterIdentity, registrationCsrName } from './names.js';
import {
  credentialOf,
  deleteStored,
  readStored,
  writeStored,
  type HubCredential,
  type StoredRegistration,
  type StoreLocation,
} from './store.js';

const tokenShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The token, trimmed, when it has a JWT's shape; a clear error before anything is written. */
function checkedToken(opts: AgentRegistrationOptions): string {
  const token = (opts.token ?? '').trim();
  if (!tokenShape.test(token))
    throw new RegistrationTokenError(
      'malformed',
      opts.tokenSource,
      opts.hubUrl,
      'expected three base64url parts joined by dots, as a JWT',
    );
  return token;
}

function tokenClient(opts: AgentRegistrationOptions): Cluster {
  const token = checkedToken(opts);
  const ca = opts.hubCaPem;
  return hubClient(opts.hubUrl, 'hub (registration token)', () => ({
    options: ca === undefined ? {} : { ca },
    headers: { authorization: `Bearer ${token}` },
  }));
}

/** Turns a 401 on the token's first request into a RegistrationTokenError. */
async function withToken<T>(
  opts: AgentRegistrationOptions,
  fn: (hub: Cluster) => Promise<T>,
): Promise<T> {
  const hub = tokenClient(opts);
  try {
    return await fn(hub);
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 401)
      throw new RegistrationTokenError(
        'refused',
        opts.tokenSource,
        opts.hubUrl,
        '401 Unauthorized',
        { cause: e },
      );
    throw e;
  } finally {
    hub.close();
  }
}

/** Registers with the token: a new key and id, stored before the CSR so a restart resumes it. */
async function register(
  spoke: Cluster,
  at: StoreLocation,
  opts: AgentRegistrationOptions,
  resume: StoredRegistration | undefined,
): Promise<HubCredential> {
  const stored: StoredRegistration = resume ?? {
    server: opts.hubUrl,
    caPem: opts.hubCaPem,
    clusterName: opts.clusterName,
    registrationId: randomBytes(8).toString('hex'),
    key: generateAgentKey(),
    certificatePem: undefined,
  };
  if (resume === undefined) await writeStored(spoke, at, stored);
  const name = registrationCsrName(stored.clusterName, stored.registrationId);
  let pem: string;
  try {
    pem = await withToken(opts, async (hub) => {
      const identity = clusterIdentity(stored.clusterName, stored.registrationId);
      const { key } = stored;
      await submitCsr(hub, { name, key, identity, expirationSeconds: opts.expirationSeconds });
      return awaitCertificate(hub, name, stored.clusterName, opts);
    });
  } catch (e) {
    // A denied registration is over: the next attempt starts afresh rather than resuming it.
    if (e instanceof RegistrationDeniedError) await deleteStored(spoke, at);
    throw e;
  }
  const cred = credentialOf(stored, pem);
  if (cred === undefined)
    throw new RegistrationDeniedError(
      stored.clusterName,
      name,
      'BadCertificate',
      'the issued certificate does not match the key and identity requested',
    );
  await writeStored(spoke, at, { ...stored, certificatePem: pem });
  return cred;
}

/** The stored credential's standing, as obtainHubCredential acts on it. */
type Stored =
  | { kind: 'none' }
  | { kind: 'valid'; cred: HubCredential }
  | { kind: 'pending'; stored: StoredRegistration }
  | { kind: 'expired'; notAfter: Date };

function standingOf(s: StoredRegistration | undefined, at: StoreLocation, now: number): Stored {
  if (s === undefined) return { kind: 'none' };
  if (s.certificatePem === undefined) return { kind: 'pending', stored: s };
  const cred = credentialOf(s, s.certificatePem);
  if (cred === undefined)
    throw new CredentialStoreError(
      at.namespace,
      at.secret,
      'tls.crt does not belong to tls.key or names another identity',
    );
  // A minute of margin: a certificate about to lapse would fail the first requests made with it.
  if (cred.notAfter.getTime() > now + 60_000) return { kind: 'valid', cred };
  return { kind: 'expired', notAfter: cred.notAfter };
}

/**
 * A stored credential with under a third of its life left is renewed before use. Should the
 * hub not renew it now, the stored one is still valid: it is returned, and startRenewal tries
 * again.
 */
async function renewIfDue(
  spoke: Cluster,
  cred: HubCredential,
  opts: AgentRegistrationOptions,
): Promise<HubCredential> {
  if (opts.clock() < renewalDue(cred).getTime()) return cred;
  try {
    return await renewCredential(spoke, cred, opts);
  } catch (e) {
    opts.log(
      `cluster "${cred.clusterName}": renewing the hub certificate (valid until ${cred.notAfter.toISOString()}) failed: ${e instanceof Error ? e.message : String(e)}; using it meanwhile`,
    );
    return cred;
  }
}

/**
 * The agent's hub credential: the stored one while its certificate is valid (no new CSR, no
 * new registration), else a registration with the token. A registration that was interrupted
 * (key stored, no certificate yet) is resumed with the same CSR. A Secret holding another
 * cluster's or hub's credential is refused rather than overwritten.
 */
export async function obtainHubCredential(
  spoke: Cluster,
  partial: Partial<AgentRegistrationOptions> &
    Pick<AgentRegistrationOptions, 'clusterName' | 'hubUrl'>,
): Promise<HubCredential> {
  const opts: AgentRegistrationOptions = {
    hubCaPem: undefined,
    token: undefined,
    ...defaultAgentRegistrationOptions(),
    ...partial,
  };
  opts.hubUrl = opts.hubUrl.replace(/\/+$/, '');
  const at = { namespace: opts.namespace, secret: opts.secretName };
  const stored = await readStored(spoke, at);
  if (
    stored !== undefined &&
    (stored.clusterName !== opts.clusterName || stored.server !== opts.hubUrl)
  )
    throw new CredentialStoreError(
      at.namespace,
      at.secret,
      `holds the hub credential of cluster "${stored.clusterName}" at ${stored.server}, not of "${opts.clusterName}" at ${opts.hubUrl}`,
    );
  const standing = standingOf(stored, at, opts.clock());
  if (standing.kind === 'valid') return renewIfDue(spoke, standing.cred, opts);
  if (opts.token === undefined)
    throw new NoRegistrationTokenError(
      opts.clusterName,
      opts.tokenSource,
      {
        none: 'no hub credential is stored on the spoke',
        pending: 'a registration was begun but not finished',
        expired: 'the stored hub certificate has expired',
      }[standing.kind],
    );
  checkedToken(opts);
  try {
    return await register(
      spoke,
      at,
      opts,
      standing.kind === 'pending' ? standing.stored : undefined,
    );
  } catch (e) {
    // The expired identity still holds the name on the hub; only deregistering frees it.
    if (
      standing.kind === 'expired' &&
      e instanceof RegistrationDeniedError &&
      e.reason === 'NameTaken'
    )
      throw new RegistrationDeniedError(
        e.cluster,
        e.csr,
        e.reason,
        `the stored certificate expired at ${standing.notAfter.toISOString()} and its registration still holds the name; run \`ballast fleet deregister ${e.cluster}\` on the hub, then start the agent again with a new token`,
      );
    throw e;
  }
}
