import { readFile, writeFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import type { Cluster } from '../../src/cluster/cluster.js';

/** A one-hour token of ServiceAccount `namespace/name`, from a TokenRequest made by `cluster`. */
export async function serviceAccountToken(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<string> {
  const r = await cluster.http.request(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    }),
    { 'content-type': 'application/json' },
  );
  if (r.status !== 201) throw new Error(`TokenRequest: ${r.status} ${r.body}`);
  return (JSON.parse(r.body) as { status: { token: string } }).status.token;
}

/** Writes to `file` (0600) a copy of `kubeconfig` whose every user signs in with `token`. */
export async function kubeconfigWithToken(
  kubeconfig: string,
  token: string,
  file: string,
): Promise<string> {
  const config = parse(await readFile(kubeconfig, 'utf8')) as {
    users: { user: Record<string, unknown> }[];
  };
  for (const u of config.users) u.user = { token };
  await writeFile(file, stringify(config), { mode: 0o600 });
  return file;
}
