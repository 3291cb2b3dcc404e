import { Cluster } from '../../cluster/cluster.js';
import type { KubeCredentials } from '../../cluster/kubeconfig.js';
import { clusterNamespace } from '../names.js';
import type { HubCredential } from './store.js';

/** A client of the hub with in-memory credentials; the key is exported only into TLS options. */
export function hubClient(
  server: string,
  context: string,
  credentials: () => KubeCredentials,
  namespace?: string,
): Cluster {
  return Cluster.connectWith(
    {
      server: server.replace(/\/+$/, ''),
      context,
      namespace,
      credentials: () => Promise.resolve(credentials()),
    },
    { requestTimeoutMs: 15_000 },
  );
}

/** The hub `Cluster` client that acts as the agent's own identity. */
export function hubClusterOf(cred: HubCredential): Cluster {
  const ca = cred.caPem;
  return hubClient(
    cred.server,
    `hub as ${cred.identity}`,
    () => ({
      options: {
        ...(ca === undefined ? {} : { ca }),
        cert: cred.certificatePem,
        key: cred.key.export({ type: 'pkcs8', format: 'pem' }),
      },
      headers: {},
    }),
    clusterNamespace(cred.clusterName),
  );
}
