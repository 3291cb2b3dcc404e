import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { encryptSops } from '../src/secrets/index.js';

/**
 * The two apps bench:fleet deploys to every cluster, as files of the Git repository. Each
 * commit changes one ConfigMap (`commit: "N"`); everything else, the encrypted Secrets
 * included, stays byte for byte, so a commit is a one-object change on every cluster, as a
 * config bump is. `${cluster_name}` is substituted by each agent with its own Cluster's name.
 */

/** The age identity the agents decrypt with (a Secret in each agent's namespace), and its files. */
export interface AppKeys {
  /** The `*.agekey` text: `# public key: …` and the secret key. */
  ageKey: string;
  /** The SOPS-encrypted Secret files, by path, encrypted once for the whole run. */
  sealed: Record<string, string>;
}

const secret = (name: string, keys: Record<string, string>): string =>
  `apiVersion: v1
kind: Secret
metadata:
  name: ${name}
type: Opaque
stringData:
${Object.entries(keys)
  .map(([k, v]) => `  ${k}: ${v}`)
  .join('\n')}
`;

async function seal(path: string, text: string, recipient: string): Promise<string> {
  const r = await encryptSops(
    { path, text, format: 'yaml' },
    { age: [recipient], pgp: [] },
    { rules: { encryptedRegex: '^(data|stringData)$', macOnlyEncrypted: false } },
  );
  if (r.kind === 'error') throw r.error;
  return r.text;
}

export async function appKeys(): Promise<AppKeys> {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const ageKey = `# public key: ${recipient}\n${identity}\n`;
  const sealed: Record<string, string> = {
    'small/db.sops.yaml': await seal(
      'db.sops.yaml',
      secret('db', { password: 'bench-s3cret' }),
      recipient,
    ),
    'realistic/db.sops.yaml': await seal(
      'db.sops.yaml',
      secret('db', { password: 'bench-s3cret', user: 'app' }),
      recipient,
    ),
    'realistic/api-keys.sops.yaml': await seal(
      'api-keys.sops.yaml',
      secret('api-keys', { payments: 'pk-bench', search: 'sk-bench' }),
      recipient,
    ),
  };
  return { ageKey, sealed };
}

const configMap = (name: string, data: Record<string, string>): string =>
  `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
${Object.entries(data)
  .map(([k, v]) => `  ${k}: ${v}`)
  .join('\n')}
`;

const serviceAccount = (name: string): string =>
  `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n`;

const service = (name: string, port: number): string =>
  `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector: {app: ${name}}
  ports:
    - port: ${port}
      targetPort: ${port}
`;

const deployment = (name: string, account: string, config: string): string =>
  `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    cluster: \${cluster_name}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      serviceAccountName: ${account}
      containers:
        - name: ${name}
          image: nginx:1.27
          envFrom:
            - configMapRef: {name: ${config}}
`;

/** The small app: a ConfigMap, a SOPS Secret, a ServiceAccount, a Service, a Deployment. */
export function smallApp(keys: AppKeys, commit: number): Record<string, string> {
  return {
    'small/settings.yaml': configMap('settings', {
      commit: `"${commit}"`,
      cluster: '${cluster_name}',
      greeting: 'hello from ${cluster_name}',
    }),
    'small/db.sops.yaml': keys.sealed['small/db.sops.yaml'] ?? '',
    'small/account.yaml': serviceAccount('web'),
    'small/service.yaml': service('web', 80),
    'small/deployment.yaml': deployment('web', 'web', 'settings'),
  };
}

const role = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: worker
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: worker
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: worker}
subjects:
  - {kind: ServiceAccount, name: worker}
`;

const policies = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
spec:
  minAvailable: 0
  selector:
    matchLabels: {app: api}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
spec:
  podSelector:
    matchLabels: {app: api}
  ingress:
    - from:
        - podSelector: {matchLabels: {app: web}}
---
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
spec:
  limits:
    - type: Container
      defaultRequest: {cpu: 10m, memory: 32Mi}
`;

/**
 * The realistic app, 20 objects: 5 ConfigMaps, 2 SOPS Secrets, 2 ServiceAccounts, 3 Services,
 * 3 one-replica Deployments, a Role and RoleBinding, a PodDisruptionBudget, a NetworkPolicy and
 * a LimitRange. (Not a ResourceQuota: until kcm has computed its usage, admission refuses Pods,
 * and the ReplicaSets' backoff would be what a rollout waits for.)
 */
export function realisticApp(keys: AppKeys, commit: number): Record<string, string> {
  return {
    'realistic/settings.yaml': configMap('settings', {
      commit: `"${commit}"`,
      cluster: '${cluster_name}',
    }),
    'realistic/config.yaml': [
      configMap('web-config', {
        listen: '":80"',
        upstream: 'http://api',
        cluster: '${cluster_name}',
      }),
      configMap('api-config', { db: 'db:5432', cache: 'cache:6379' }),
      configMap('worker-config', { queue: 'jobs', concurrency: '"4"' }),
      configMap('features', { checkout: '"on"', search: '"off"' }),
    ].join('---\n'),
    'realistic/db.sops.yaml': keys.sealed['realistic/db.sops.yaml'] ?? '',
    'realistic/api-keys.sops.yaml': keys.sealed['realistic/api-keys.sops.yaml'] ?? '',
    'realistic/accounts.yaml': [serviceAccount('web'), serviceAccount('worker')].join('---\n'),
    'realistic/services.yaml': [
      service('web', 80),
      service('api', 8080),
      service('cache', 6379),
    ].join('---\n'),
    'realistic/deployments.yaml': [
      deployment('web', 'web', 'web-config'),
      deployment('api', 'web', 'api-config'),
      deployment('worker', 'worker', 'worker-config'),
    ].join('---\n'),
    'realistic/rbac.yaml': role,
    'realistic/policies.yaml': policies,
  };
}

/** Objects per cluster and Pods per cluster of each app, for the layout line and node count. */
export const appSizes = {
  small: { objects: 5, pods: 1 },
  realistic: { objects: 20, pods: 3 },
} as const;
