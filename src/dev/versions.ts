/**
 * Versions of the upstream tools built from tools/. A unit test checks these against the
 * wrapper modules' go.mod files, so the two cannot drift apart.
 */
export const toolVersions = {
  etcd: 'v3.6.16',
  'kube-apiserver': 'v1.36.3',
  'kube-controller-manager': 'v1.36.3',
  'kube-scheduler': 'v1.36.3',
  kubectl: 'v1.36.3',
  kwok: 'v0.8.0',
  helm: 'v3.22.0',
  kustomize: 'v5.8.1',
  sops: 'v3.13.3',
  kubeseal: 'v0.27.1',
  'sealed-secrets-controller': 'v0.27.1',
} as const;

export type ToolName = keyof typeof toolVersions;

/** The wrapper module under tools/ and the Go module whose version names each tool. */
export const toolModules: Record<ToolName, { dir: string; module: string }> = {
  etcd: { dir: 'etcd', module: 'go.etcd.io/etcd/server/v3' },
  'kube-apiserver': { dir: 'kubernetes', module: 'k8s.io/kubernetes' },
  'kube-controller-manager': { dir: 'kubernetes', module: 'k8s.io/kubernetes' },
  'kube-scheduler': { dir: 'kubernetes', module: 'k8s.io/kubernetes' },
  kubectl: { dir: 'kubernetes', module: 'k8s.io/kubernetes' },
  kwok: { dir: 'kubernetes', module: 'sigs.k8s.io/kwok' },
  helm: { dir: 'helm', module: 'helm.sh/helm/v3' },
  kustomize: { dir: 'kustomize', module: 'sigs.k8s.io/kustomize/kustomize/v5' },
  sops: { dir: 'sops', module: 'github.com/getsops/sops/v3' },
  kubeseal: { dir: 'sealed-secrets', module: 'github.com/bitnami-labs/sealed-secrets' },
  'sealed-secrets-controller': {
    dir: 'sealed-secrets',
    module: 'github.com/bitnami-labs/sealed-secrets',
  },
};

export const controlPlaneTools: readonly ToolName[] = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
];
