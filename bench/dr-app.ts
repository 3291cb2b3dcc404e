import { Cluster } from '../src/cluster/cluster.js';

/** Services in the app, ten objects each. */
export const units = 100;
/** The FleetApplication, its template path, and the namespace it deploys into. */
export const app = 'dr';
const replicas = Number(process.env.BALLAST_BENCH_REPLICAS ?? '1');
/** On every object of the app, so that counting them on a spoke counts nothing else. */
const mark = 'bench=dr';

/** The name of service `i`. */
const peer = (i: number): string => `svc-${String(i % units).padStart(3, '0')}`;

/** One service as a team would keep it: ten objects, the cluster's name substituted in. */
function unit(i: number): string {
  const n = peer(i);
  const meta = (kind: string, name = n): string =>
    `kind: ${kind}\nmetadata:\n  name: ${name}\n  labels: {bench: dr, app: ${n}}\n`;
  const sel = `{matchLabels: {app: ${n}}}`;
  return [
    `apiVersion: apps/v1
${meta('Deployment')}spec:
  replicas: ${replicas}
  selector: ${sel}
  template:
    metadata: {labels: {app: ${n}}}
    spec:
      serviceAccountName: ${n}
      containers:
        - name: app
          image: "nginx:1.27"
          ports: [{containerPort: 8080}]
          envFrom: [{configMapRef: {name: ${n}-env}}]
          volumeMounts: [{name: config, mountPath: /etc/app}]
      volumes: [{name: config, configMap: {name: ${n}-config}}]
`,
    `apiVersion: v1\n${meta('Service')}spec:\n  selector: {app: ${n}}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n`,
    `apiVersion: v1\n${meta('ServiceAccount')}`,
    `apiVersion: v1
${meta('ConfigMap', `${n}-config`)}data:
  app.yaml: |
    service: ${n}
    cluster: \${cluster_name}
    listen: ":8080"
    upstreams: [${peer(i + 1)}, ${peer(i + 7)}]
    timeouts: {connect: 2s, read: 10s}
`,
    `apiVersion: v1\n${meta('ConfigMap', `${n}-env`)}data:\n  LOG_LEVEL: info\n  CLUSTER: \${cluster_name}\n  WORKERS: "4"\n`,
    `apiVersion: v1\n${meta('ConfigMap', `${n}-flags`)}data:\n  new-checkout: "false"\n  dark-mode: "true"\n`,
    `apiVersion: rbac.authorization.k8s.io/v1\n${meta('Role')}rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}]\n`,
    `apiVersion: rbac.authorization.k8s.io/v1\n${meta('RoleBinding')}roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${n}}\nsubjects: [{kind: ServiceAccount, name: ${n}}]\n`,
    `apiVersion: policy/v1\n${meta('PodDisruptionBudget')}spec:\n  maxUnavailable: 1\n  selector: ${sel}\n`,
    `apiVersion: networking.k8s.io/v1\n${meta('NetworkPolicy')}spec:\n  podSelector: ${sel}\n  ingress: [{ports: [{port: 8080}]}]\n`,
  ].join('---\n');
}

export const appFiles = (): Record<string, string> =>
  Object.fromEntries(Array.from({ length: units }, (_, i) => [`${app}/${peer(i)}.yaml`, unit(i)]));

/** Where the app's objects of each kind are listed. */
const kindPaths = [
  `/apis/apps/v1/namespaces/${app}/deployments`,
  `/api/v1/namespaces/${app}/services`,
  `/api/v1/namespaces/${app}/serviceaccounts`,
  `/api/v1/namespaces/${app}/configmaps`,
  `/apis/rbac.authorization.k8s.io/v1/namespaces/${app}/roles`,
  `/apis/rbac.authorization.k8s.io/v1/namespaces/${app}/rolebindings`,
  `/apis/policy/v1/namespaces/${app}/poddisruptionbudgets`,
  `/apis/networking.k8s.io/v1/namespaces/${app}/networkpolicies`,
];

/** Counts the app's objects on a cluster: a recovery that left any out must not be timed. */
export async function expectAllApplied(kubeconfig: string): Promise<void> {
  const c = Cluster.connect({ kubeconfig });
  try {
    let n = 0;
    for (const p of kindPaths) {
      const r = await c.http.request('GET', `${p}?labelSelector=${encodeURIComponent(mark)}`);
      if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${r.body.slice(0, 300)}`);
      n += (JSON.parse(r.body) as { items: unknown[] }).items.length;
    }
    if (n !== units * 10)
      throw new Error(`${n} of the app's ${units * 10} objects are on the spoke`);
  } finally {
    c.close();
  }
}

/** What the app is, for the output. */
export const appText = `${units * 10} objects in one signed commit, ${units} × (Deployment of ${replicas} replica(s), Service, ServiceAccount, 3 ConfigMaps, Role, RoleBinding, PodDisruptionBudget, NetworkPolicy), \${cluster_name} substituted`;
