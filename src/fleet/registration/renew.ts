import type { Cluster } from '../../cluster/cluster.js';
import { generateAgentKey } from './csr.js';
import { RegistrationDeniedError } from './errors.js';
import { awaitCertificate, submitCsr } from './issue.js';
import { call, csrPath } from './kube.js';
import { renewalCsrName } from './names.js';
import { hubClusterOf } from './hub-client.js';
import type { AgentRegistrationOptions } from './options.js';
import { credentialOf, writeStored, type HubCredential } from './store.js';

/** What renewal needs of the agent's registration options. */
export type RenewalOptions = Pick<
  AgentRegistrationOptions,
  'namespace' | 'secretName' | 'expirationSeconds' | 'waitTimeoutMs' | 'pollIntervalMs' | 'clock'
>;

/** When a certificate is renewed: once less than a third of its lifetime is left. */
export function renewalDue(cred: Pick<HubCredential, 'notBefore' | 'notAfter'>): Date {
  const from = cred.notBefore.getTime();
  return new Date(from + ((cred.notAfter.getTime() - from) * 2) / 3);
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
    await submitCsr(hub, {
      name,
      key,
      identity: cred.identity,
      expirationSeconds: opts.expirationSeconds,
    });
    const pem = await awaitCertificate(hub, name, cred.clusterName, opts);
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
    if (opts.clock() < due) {
      schedule(due - opts.clock());
      return;
    }
    try {
      cred = await renewCredential(spoke, cred, opts);
      if (!stopped) hooks.onRenewed(cred);
      schedule(renewalDue(cred).getTime() - opts.clock());
    } catch (e) {
      hooks.onError(e);
      schedule(hooks.retryMs);
    }
  };
  schedule(renewalDue(cred).getTime() - opts.clock());
  return {
    current: () => cred,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
