import type { Cluster } from '../../cluster/cluster.js';
import { generateAgentKey, buildCsr } from './csr.js';
import { RegistrationDeniedError, RegistrationTimeoutError } from './errors.js';
import { call, csrPath, csrState, type CsrObject } from './kube.js';
import { clientSigner, renewalCsrName } from './names.js';
import { hubClusterOf, type AgentRegistrationOptions } from './agent.js';
import { credentialOf, writeStored, type HubCredential } from './store.js';

/** What renewal needs of the agent's registration options. */
export type RenewalOptions = Pick<
  AgentRegistrationOptions,
  'namespace' | 'secretName' | 'expirationSeconds' | 'waitTimeoutMs' | 'pollIntervalMs'
>;

/** When a certificate is renewed: once less than a third of its lifetime is left. */
export function renewalDue(cred: Pick<HubCredential, 'notBefore' | 'notAfter'>): Date {
  const from = cred.notBefore.getTime();
  return new Date(from + ((cred.notAfter.getTime() - from) * 2) / 3);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function awaitRenewed(
  hub: Cluster,
  name: string,
  cred: HubCredential,
  opts: RenewalOptions,
): Promise<string> {
  const started = Date.now();
  for (;;) {
    const r = await call(hub, {
      method: 'GET',
      path: csrPath(name),
      subject: `CertificateSigningRequest ${name}`,
      verb: 'get',
      accept: [200, 404],
    });
    const csr = r.body as CsrObject | undefined;
    if (csr !== undefined) {
      const state = csrState(csr);
      if (state === 'denied' || state === 'failed') {
        const c = csr.status?.conditions?.find((x) => x.type === 'Denied' || x.type === 'Failed');
        throw new RegistrationDeniedError(
          cred.clusterName,
          name,
          c?.reason ?? state,
          c?.message ?? '',
        );
      }
      const pem = csr.status?.certificate;
      if (pem !== undefined && pem !== '') return Buffer.from(pem, 'base64').toString('utf8');
    }
    if (Date.now() - started > opts.waitTimeoutMs)
      throw new RegistrationTimeoutError(cred.clusterName, name, Date.now() - started);
    await sleep(opts.pollIntervalMs);
  }
}

/**
 * A new certificate for the same identity, requested with the current certificate (the
 * registrar approves a renewal only from the identity itself) for a new key, which replaces
 * the stored one once the certificate is issued.
 */
export async function renewCredential(
  spoke: Cluster,
  cred: HubCredential,
  opts: RenewalOptions,
): Promise<HubCredential> {
  const hub = hubClusterOf(cred);
  const name = renewalCsrName(cred.clusterName, cred.registrationId);
  const key = generateAgentKey();
  try {
    // The identity may read and delete only this one name, so an old request goes first.
    await call(hub, {
      method: 'DELETE',
      path: csrPath(name),
      subject: `CertificateSigningRequest ${name}`,
      verb: 'delete',
      accept: [200, 202, 404],
    });
    await call(hub, {
      method: 'POST',
      path: csrPath(),
      subject: `CertificateSigningRequest ${name}`,
      verb: 'create',
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name },
        spec: {
          request: Buffer.from(buildCsr(key, cred.identity), 'utf8').toString('base64'),
          signerName: clientSigner,
          usages: ['client auth'],
          expirationSeconds: opts.expirationSeconds,
        },
      },
    });
    const pem = await awaitRenewed(hub, name, cred, opts);
    const stored = {
      server: cred.server,
      caPem: cred.caPem,
      clusterName: cred.clusterName,
      registrationId: cred.registrationId,
      key,
      certificatePem: pem,
    };
    const renewed = credentialOf(stored, pem);
    if (renewed === undefined)
      throw new RegistrationDeniedError(
        cred.clusterName,
        name,
        'BadCertificate',
        'the issued certificate does not match the new key and the identity',
      );
    await writeStored(spoke, { namespace: opts.namespace, secret: opts.secretName }, stored);
    return renewed;
  } finally {
    hub.close();
  }
}

/** A running renewal loop. */
export interface Renewal {
  /** The newest credential. */
  current(): HubCredential;
  stop(): void;
}

/** What the renewal loop reports. */
export interface RenewalHooks {
  /** Called with each new credential: the agent rebuilds its hub client from it. */
  onRenewed: (cred: HubCredential) => void;
  /** A failed attempt; it is retried after `retryMs`. */
  onError: (error: unknown) => void;
  /** Wait after a failed attempt. */
  retryMs: number;
}

/** Renews the credential whenever less than a third of its lifetime is left, until stopped. */
export function startRenewal(
  spoke: Cluster,
  first: HubCredential,
  opts: RenewalOptions,
  hooks: RenewalHooks,
): Renewal {
  let cred = first;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (ms: number): void => {
    if (stopped) return;
    // setTimeout holds at most ~24.8 days; a longer wait is taken in steps.
    timer = setTimeout(() => void tick(), Math.min(Math.max(0, ms), 2 ** 31 - 1));
  };
  const tick = async (): Promise<void> => {
    const due = renewalDue(cred).getTime();
    if (Date.now() < due) {
      schedule(due - Date.now());
      return;
    }
    try {
      cred = await renewCredential(spoke, cred, opts);
      if (!stopped) hooks.onRenewed(cred);
      schedule(renewalDue(cred).getTime() - Date.now());
    } catch (e) {
      hooks.onError(e);
      schedule(hooks.retryMs);
    }
  };
  schedule(renewalDue(cred).getTime() - Date.now());
  return {
    current: () => cred,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
