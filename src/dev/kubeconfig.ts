import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { ClusterPki } from './certs.js';

export interface KubeconfigCluster {
  name: string;
  server: string;
  pki: ClusterPki;
}

const b64 = async (file: string): Promise<string> => (await readFile(file)).toString('base64');

async function entries(c: KubeconfigCluster): Promise<{
  cluster: object;
  user: object;
  context: object;
}> {
  return {
    cluster: {
      name: c.name,
      cluster: { server: c.server, 'certificate-authority-data': await b64(c.pki.caCert) },
    },
    user: {
      name: `${c.name}-admin`,
      user: {
        'client-certificate-data': await b64(c.pki.adminCert),
        'client-key-data': await b64(c.pki.adminKey),
      },
    },
    context: { name: c.name, context: { cluster: c.name, user: `${c.name}-admin` } },
  };
}

/** Writes a kubeconfig holding every given cluster; the first is the current context. */
export async function writeKubeconfig(
  path: string,
  clusters: readonly KubeconfigCluster[],
): Promise<void> {
  const all = await Promise.all(clusters.map(entries));
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: all.map((e) => e.cluster),
    users: all.map((e) => e.user),
    contexts: all.map((e) => e.context),
    'current-context': clusters[0]?.name ?? '',
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}
