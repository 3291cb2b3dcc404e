/**
 * The YAML the tests commit most: a Deployment `web`-style (one container, its labels as
 * selector) and a one-key ConfigMap, written as a user would write them in Git.
 */
export function deploymentYaml(
  o: { name?: string; replicas?: number; image?: string; extraSpec?: string } = {},
): string {
  const { name = 'web', replicas = 1, image = 'nginx:1.27', extraSpec = '' } = o;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
${extraSpec}  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: web
          image: ${image}
`;
}

/** The Application the controller fixtures create: automated, self-healing, hourly. */
export function testApplication(
  at: { ns: string; repoURL: string; apiVersion?: string },
  name: string,
  path: string,
  spec: Record<string, unknown> = {},
) {
  return {
    apiVersion: at.apiVersion ?? 'ballast.dev/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: at.ns },
    spec: {
      source: {
        repoURL: at.repoURL,
        targetRevision: 'main',
        path,
        secretRef: { name: 'repo-creds' },
        // The test Git server speaks plain HTTP on loopback.
        insecureAllowHttpCredentials: true,
      },
      destination: { namespace: at.ns },
      syncPolicy: { automated: { prune: true, selfHeal: true }, interval: '1h' },
      ...spec,
    },
  };
}
