import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { kubeRequest, type KubeEndpoint, type KubeResponse } from '../../src/dev/kube.js';

/** A test's handle on one cluster: raw HTTPS with the admin client certificate. */
export interface TestKube {
  ep: KubeEndpoint;
  get(path: string): Promise<KubeResponse>;
  json<T>(path: string): Promise<T>;
  apply(path: string, body: object, fieldManager: string): Promise<KubeResponse>;
  post(path: string, body: object): Promise<KubeResponse>;
  del(path: string): Promise<KubeResponse>;
}

interface KubeconfigFile {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
}

export async function kubeFor(kubeconfig: string): Promise<TestKube> {
  const kc = parse(await readFile(kubeconfig, 'utf8')) as KubeconfigFile;
  const c = kc.clusters[0]?.cluster;
  const u = kc.users[0]?.user;
  if (c === undefined || u === undefined) throw new Error(`${kubeconfig}: no cluster or user`);
  const b = (s: string): Buffer => Buffer.from(s, 'base64');
  const ep: KubeEndpoint = {
    server: c.server,
    ca: b(c['certificate-authority-data']),
    cert: b(u['client-certificate-data']),
    key: b(u['client-key-data']),
  };
  return {
    ep,
    get: (path) => kubeRequest(ep, 'GET', path),
    json: async <T>(path: string): Promise<T> => {
      const r = await kubeRequest(ep, 'GET', path);
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body}`);
      return JSON.parse(r.body) as T;
    },
    apply: (path, body, fieldManager) =>
      kubeRequest(ep, 'PATCH', `${path}?fieldManager=${fieldManager}&force=true`, body, {
        contentType: 'application/apply-patch+yaml',
      }),
    post: (path, body) => kubeRequest(ep, 'POST', path, body),
    del: (path) => kubeRequest(ep, 'DELETE', path),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds; fails naming `what` so a stuck test says why. */
export async function eventually(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
}

/** Creates a namespace of the test's own, and waits for its default ServiceAccount. */
export async function testNamespace(kube: TestKube, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const r = await kube.post('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  if (r.status !== 201) throw new Error(`creating namespace ${name}: ${r.status} ${r.body}`);
  await eventually(`ServiceAccount default exists in ${name}`, 30_000, async () => {
    return (await kube.get(`/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200;
  });
  return name;
}
