import type { KeyObject } from 'node:crypto';
import type { Cluster } from '../../cluster/cluster.js';
import { buildCsr } from './csr.js';
import { RegistrationDeniedError, RegistrationTimeoutError } from './errors.js';
import { call, csrPath, csrState, type CsrObject } from './kube.js';
import { clientSigner } from './names.js';

/** How long and how often a pending CSR is read. */
export interface WaitOptions {
  /** How long to wait for the hub to approve and sign. */
  waitTimeoutMs: number;
  /** Between reads of a pending CSR. */
  pollIntervalMs: number;
}

/**
 * Creates a client-auth CSR named `name` for `identity`, signed by `key`. An existing CSR of
 * that name is left alone: a restarted agent resumes the request it made before.
 */
export async function submitCsr(
  hub: Cluster,
  csr: { name: string; key: KeyObject; identity: string; expirationSeconds: number },
): Promise<void> {
  const request = buildCsr(csr.key, csr.identity);
  await call(hub, {
    method: 'POST',
    path: csrPath(),
    subject: `CertificateSigningRequest ${csr.name}`,
    verb: 'create',
    body: {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: csr.name },
      spec: {
        request: Buffer.from(request, 'utf8').toString('base64'),
        signerName: clientSigner,
        usages: ['client auth'],
        expirationSeconds: csr.expirationSeconds,
      },
    },
    accept: [201, 409],
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The PEM certificate the hub issues for CSR `name`; throws RegistrationDeniedError when it is
 * denied (with the registrar's reason) and RegistrationTimeoutError when none comes in time.
 */
export async function awaitCertificate(
  hub: Cluster,
  name: string,
  cluster: string,
  opts: WaitOptions,
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
    const state = csr === undefined ? 'pending' : csrState(csr);
    if (state === 'denied' || state === 'failed') {
      const c = csr?.status?.conditions?.find((x) => x.type === 'Denied' || x.type === 'Failed');
      throw new RegistrationDeniedError(cluster, name, c?.reason ?? state, c?.message ?? '');
    }
    const cert = csr?.status?.certificate;
    if (cert !== undefined && cert !== '') return Buffer.from(cert, 'base64').toString('utf8');
    if (Date.now() - started > opts.waitTimeoutMs)
      throw new RegistrationTimeoutError(cluster, name, Date.now() - started);
    await sleep(opts.pollIntervalMs);
  }
}
