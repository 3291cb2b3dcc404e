import type { Cluster } from '../../cluster/cluster.js';
import { WatchManager } from '../../cluster/watch.js';
import { defaultFleetNamespace } from '../names.js';
import {
  judgeClaim,
  screenCsr,
  type Candidate,
  type Claim,
  type CsrFacts,
  type Verdict,
} from './decide.js';
import { call, clusterPath, csrPath, csrState, type CsrObject } from './kube.js';
import { clusterRbac } from './manifests.js';
import {
  identityAnnotation,
  parseClusterIdentity,
  registeringCsrAnnotation,
  registrarUser,
} from './names.js';

/** How the hub's registrar runs. */
export interface RegistrarOptions {
  /** Where Clusters and the registrar ServiceAccount live. */
  fleetNamespace: string;
  /** The longest client certificate approved; each CSR must ask for a lifetime at most this. */
  maxExpirationSeconds: number;
  /** One line per decision and per failure; never carries a key or a token. */
  log: (line: string) => void;
}

export function defaultRegistrarOptions(): RegistrarOptions {
  return {
    fleetNamespace: defaultFleetNamespace,
    maxExpirationSeconds: 7 * 24 * 3600,
    log: (line) => {
      process.stderr.write(`${line}\n`);
    },
  };
}

/** A running registrar. */
export interface Registrar {
  /** Resolves once the CSR watch is open: every CSR created after is judged. */
  ready: Promise<void>;
  /** Ends the watch and waits for the decision in progress. */
  stop(): Promise<void>;
}

/** The facts a decision uses, from a CSR as the apiserver serves it. */
export function csrFacts(csr: CsrObject): CsrFacts {
  return {
    name: csr.metadata.name,
    uid: csr.metadata.uid ?? '',
    signerName: csr.spec.signerName,
    requester: csr.spec.username ?? '',
    usages: csr.spec.usages ?? [],
    expirationSeconds: csr.spec.expirationSeconds,
    request: Buffer.from(csr.spec.request, 'base64').toString('utf8'),
    state: csrState(csr),
  };
}

interface LiveCluster {
  metadata: { resourceVersion: string; annotations?: Record<string, string> };
}

async function readCluster(
  hub: Cluster,
  ns: string,
  name: string,
): Promise<LiveCluster | undefined> {
  const r = await call(hub, {
    method: 'GET',
    path: clusterPath(ns, name),
    subject: `Cluster ${ns}/${name}`,
    verb: 'get',
    accept: [200, 404],
  });
  return r.body as LiveCluster | undefined;
}

function claimOf(live: LiveCluster | undefined): Claim {
  const identity = live?.metadata.annotations?.[identityAnnotation];
  return identity === undefined || identity === ''
    ? { kind: 'free' }
    : {
        kind: 'claimed',
        identity,
        csrUid: live?.metadata.annotations?.[registeringCsrAnnotation] ?? '',
      };
}

/**
 * Records `identity` on the Cluster, creating it if absent. Guarded by resourceVersion (or by
 * create failing on an existing name), so of two registrations racing for one name only one
 * claims it; false when another write came first and the decision must be made again.
 */
async function claimName(
  hub: Cluster,
  ns: string,
  c: Candidate,
  live: LiveCluster | undefined,
): Promise<boolean> {
  const subject = `Cluster ${ns}/${c.cluster}`;
  if (live === undefined) {
    const r = await call(hub, {
      method: 'POST',
      path: clusterPath(ns),
      subject,
      verb: 'create',
      body: {
        apiVersion: 'ballast.dev/v1alpha1',
        kind: 'Cluster',
        metadata: {
          name: c.cluster,
          namespace: ns,
          annotations: { [identityAnnotation]: c.identity, [registeringCsrAnnotation]: c.csrUid },
        },
        spec: {},
      },
      accept: [201, 409],
    });
    return r.status === 201;
  }
  if (claimOf(live).kind === 'claimed') return true;
  const annotations = {
    ...(live.metadata.annotations ?? {}),
    [identityAnnotation]: c.identity,
    [registeringCsrAnnotation]: c.csrUid,
  };
  const r = await call(hub, {
    method: 'PATCH',
    path: clusterPath(ns, c.cluster),
    subject,
    verb: 'claim',
    contentType: 'application/json-patch+json',
    body: [
      { op: 'test', path: '/metadata/resourceVersion', value: live.metadata.resourceVersion },
      { op: 'add', path: '/metadata/annotations', value: annotations },
    ],
    accept: [200, 409, 422, 404],
  });
  return r.status === 200;
}

/** Adds the Approved or Denied condition through the /approval subresource. */
async function decide(hub: Cluster, name: string, verdict: Verdict): Promise<void> {
  const condition =
    verdict.kind === 'approve'
      ? {
          type: 'Approved',
          status: 'True',
          reason: verdict.purpose === 'registration' ? 'ClusterRegistered' : 'ClusterRenewed',
          message: `approved by the Ballast registrar for cluster "${verdict.cluster}"`,
        }
      : { type: 'Denied', status: 'True', reason: verdict.reason, message: verdict.message };
  for (let attempt = 0; ; attempt++) {
    const live = await call(hub, {
      method: 'GET',
      path: csrPath(name),
      subject: `CertificateSigningRequest ${name}`,
      verb: 'get',
    });
    const csr = live.body as CsrObject | undefined;
    if (csr === undefined || csrState(csr) !== 'pending') return;
    const body = {
      ...csr,
      status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), condition] },
    };
    const r = await call(hub, {
      method: 'PUT',
      path: `${csrPath(name)}/approval`,
      subject: `CertificateSigningRequest ${name}`,
      verb: verdict.kind === 'approve' ? 'approve' : 'deny',
      body,
      accept: [200, 409],
    });
    if (r.status === 200 || attempt >= 3) return;
  }
}

async function markRegistered(hub: Cluster, ns: string, cluster: string): Promise<void> {
  await call(hub, {
    method: 'PATCH',
    path: `${clusterPath(ns, cluster)}/status`,
    subject: `Cluster ${ns}/${cluster}`,
    verb: 'patch status',
    contentType: 'application/merge-patch+json',
    body: { status: { registered: true, registeredAt: new Date().toISOString() } },
  });
}

/** Tries per CSR before the registrar waits for its next change: about 15 s in all. */
const retryLimit = 5;

/**
 * The verdict on a candidate, with its name claimed when it is a registration. A lost race
 * for the name is judged again against the winner's claim.
 */
async function judge(hub: Cluster, ns: string, c: Candidate): Promise<Verdict> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const live = await readCluster(hub, ns, c.cluster);
    const verdict = judgeClaim(c, claimOf(live));
    if (verdict.kind === 'deny' || c.purpose === 'renewal') return verdict;
    if (await claimName(hub, ns, c, live)) return verdict;
  }
  throw new Error(`Cluster ${ns}/${c.cluster} changed under every attempt to claim its name`);
}

/** Judges one CSR and acts on the verdict. */
async function handle(hub: Cluster, opts: RegistrarOptions, csr: CsrObject): Promise<void> {
  const ns = opts.fleetNamespace;
  const facts = csrFacts(csr);
  const screened = screenCsr(facts, {
    registrarUser: registrarUser(ns),
    maxExpirationSeconds: opts.maxExpirationSeconds,
  });
  if (screened.kind === 'ignore') return;
  const verdict = screened.kind === 'deny' ? screened : await judge(hub, ns, screened);
  if (verdict.kind === 'approve' && verdict.purpose === 'registration') {
    const id = parseClusterIdentity(verdict.identity);
    const registrationId = id?.registrationId ?? '';
    for (const obj of clusterRbac({
      cluster: verdict.cluster,
      identity: verdict.identity,
      registrationId,
      fleetNamespace: ns,
    }))
      await hub.apply(obj);
  }
  // Registered before approved: once approved the CSR is never judged again, so nothing
  // after the approval would be retried.
  if (verdict.kind === 'approve' && verdict.purpose === 'registration')
    await markRegistered(hub, ns, verdict.cluster);
  await decide(hub, facts.name, verdict);
  opts.log(
    verdict.kind === 'approve'
      ? `registrar: approved ${verdict.purpose} of cluster "${verdict.cluster}" as ${verdict.identity} (CSR ${facts.name})`
      : `registrar: denied CSR ${facts.name} from ${facts.requester} (${verdict.reason}): ${verdict.message}`,
  );
}

/**
 * Watches CertificateSigningRequests on the hub and approves, through the /approval
 * subresource, only registrations and renewals of cluster identities (decide.ts), creating a
 * newly registered cluster's Cluster, namespace and RBAC before approving. CSRs are judged one
 * at a time, so two registrations of one name are never judged at once.
 */
export function startRegistrar(hub: Cluster, partial: Partial<RegistrarOptions> = {}): Registrar {
  const opts = { ...defaultRegistrarOptions(), ...partial };
  let chain = Promise.resolve();
  let stopped = false;
  const retries = new Set<NodeJS.Timeout>();
  const enqueue = (csr: CsrObject, attempt: number): void => {
    chain = chain
      .then(() => (stopped ? undefined : handle(hub, opts, csr)))
      .catch((e: unknown) => {
        const why = e instanceof Error ? e.message : String(e);
        const again = attempt < retryLimit && !stopped;
        opts.log(
          `registrar: CSR ${csr.metadata.name} not decided: ${why}${again ? '; trying again' : ''}`,
        );
        if (!again) return;
        // The watch reports a CSR once; a failed decision would otherwise wait for a relist.
        const timer = setTimeout(
          () => {
            retries.delete(timer);
            enqueue(csr, attempt + 1);
          },
          500 * 2 ** attempt,
        );
        retries.add(timer);
      });
  };
  const watches = new WatchManager(hub.http, {
    labelSelector: '',
    onEvent: (e) => {
      if (e.type !== 'DELETED') enqueue(e.object as unknown as CsrObject, 0);
    },
    onError: (e) => {
      opts.log(`registrar: ${e.message}`);
    },
  });
  const ready = (async () => {
    const info = await hub.discovery.resolve('certificates.k8s.io/v1', 'CertificateSigningRequest');
    if (info === undefined)
      throw new Error('the hub serves no certificates.k8s.io/v1 CertificateSigningRequest');
    await watches.ensure(info);
  })();
  return {
    ready,
    stop: async () => {
      stopped = true;
      for (const t of retries) clearTimeout(t);
      await watches.stop();
      await chain;
    },
  };
}
