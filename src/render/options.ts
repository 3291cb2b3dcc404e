import type { DecryptionKeys } from '../secrets/index.js';
import type { SealingKeys } from '../secrets/sealed/index.js';
import type { RendererName } from './types.js';

/** Bounds on what the YAML reader accepts, so a hostile repository cannot exhaust the controller. */
export interface ParseLimits {
  /**
   * Largest single YAML document in bytes. Real manifests reach about 1 MB (kube-prometheus's
   * dashboards ConfigMapList) and CRDs about 500 KB, so the default leaves ample room.
   */
  maxDocumentBytes: number;
  /**
   * How far aliases may expand a document, as the `yaml` package counts it (uses × aliases).
   * Real manifests rarely use aliases at all; "billion laughs" files need millions.
   */
  maxAliasCount: number;
  /** Largest manifest file the plain renderer reads, in bytes. */
  maxFileBytes: number;
  /** Most objects one application may render, counting List items. */
  maxObjects: number;
  /** Most directory entries visited while checking and reading the tree. */
  maxEntries: number;
}

/** How `helm template` is called. */
export interface HelmOptions {
  /**
   * The helm binary: a path, or a name looked up on the controller's `$PATH` when it runs (the
   * tool itself gets an empty PATH). The default is `$BALLAST_HELM`, else `helm`.
   */
  binary: string;
  /** `.Release.Name`; undefined means the chart directory's base name. */
  releaseName?: string | undefined;
  /** `.Release.Namespace`, normally the Application's destination namespace. */
  namespace: string;
  /** Values files relative to the repository root, applied in order after the chart's own values. */
  valuesFiles: string[];
  /** Inline values, applied last. They go to helm on stdin, never to disk or argv. */
  values: Record<string, unknown>;
  /**
   * `.Capabilities.KubeVersion`, e.g. `v1.36.3`. The reconciler passes the cluster's version;
   * undefined leaves helm's compiled-in default, which for a helm built without its release
   * ldflags is v1.20.0 and fails charts that require newer (ingress-nginx wants >=1.21).
   */
  kubeVersion?: string | undefined;
  /** Extra `.Capabilities.APIVersions` entries, e.g. `monitoring.coreos.com/v1`. */
  apiVersions: string[];
}

/** How `kustomize build` is called. */
export interface KustomizeOptions {
  /**
   * The kustomize binary: a path, or a name looked up on the controller's `$PATH` when it runs.
   * The default is `$BALLAST_KUSTOMIZE`, else `kustomize`.
   */
  binary: string;
  /**
   * Run a second, annotated build to learn each object's source file. The objects themselves
   * always come from the plain build; turning this off halves the work and every object then
   * points at the kustomization directory.
   */
  originAnnotations: boolean;
}

export interface RenderOptions {
  /** Which renderer to use; `auto` picks by the files in the directory. */
  renderer: RendererName | 'auto';
  /** Kill helm or kustomize after this many milliseconds. */
  timeoutMs: number;
  /** Most bytes helm or kustomize may print before it is killed; counted as it streams. */
  maxOutputBytes: number;
  /**
   * helm's and kustomize's data limit in bytes (RLIMIT_DATA). A YAML alias bomb that slipped
   * past the checks, or a chart that loops, ends the tool instead of the node's memory.
   * Measured: the Go runtime alone needs about 96 MiB of it to start; kustomize building
   * kube-prometheus (5.7 MB of output) needs more than 192 MiB and fits in 256 MiB; helm
   * templating ingress-nginx fits in 128 MiB. Two builds may run at once (objects and origins).
   */
  maxToolMemoryBytes: number;
  limits: ParseLimits;
  helm: HelmOptions;
  kustomize: KustomizeOptions;
  /**
   * Keys for SOPS-encrypted files. Undefined means none are configured: a SOPS file in the
   * tree is then a render error naming it, never passed on as ciphertext.
   */
  decryption?: DecryptionKeys | undefined;
  /**
   * Keys that open SealedSecrets (bitnami.com/v1alpha1), which render as the Secrets they
   * describe. Undefined means none: a SealedSecret in the output is then a render error.
   */
  sealing?: SealingKeys | undefined;
  /**
   * A tmpfs directory where kustomize may read decrypted files (it reads only from disk). A
   * private directory is made under it per render and always removed; if it is not a tmpfs,
   * the render is refused rather than plaintext written to disk. The default is /dev/shm, or
   * BALLAST_PLAINTEXT_DIR when set (a test's own tmpfs directory).
   */
  plaintextDir: string;
  /**
   * Variables substituted as `${name}` (Flux's postBuild.substitute): into the inline Helm
   * values before helm runs, and into every string value of the rendered objects after. An
   * unset variable without a default fails the render, naming the file, object, field and
   * variable. Undefined: nothing is substituted and `${…}` stays as written.
   */
  substitute?: Readonly<Record<string, string>> | undefined;
}

export function defaultParseLimits(): ParseLimits {
  return {
    maxDocumentBytes: 8 * 1024 * 1024,
    maxAliasCount: 100,
    maxFileBytes: 32 * 1024 * 1024,
    maxObjects: 20_000,
    maxEntries: 100_000,
  };
}

/** The environment variable that names each tool's binary, over a lookup on `$PATH`. */
export const toolEnvironment = { helm: 'BALLAST_HELM', kustomize: 'BALLAST_KUSTOMIZE' } as const;

/** The binary a tool runs as by default: its environment variable when set, else its name. */
export function defaultToolBinary(
  tool: keyof typeof toolEnvironment,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const named = env[toolEnvironment[tool]];
  return named === undefined || named === '' ? tool : named;
}

/**
 * `.Capabilities.KubeVersion` when the caller names none: the Kubernetes version Ballast is
 * tested against (the dev control plane's, which a test of src/dev keeps equal to this).
 */
export const defaultKubeVersion = 'v1.36.3';

export function defaultRenderOptions(): RenderOptions {
  return {
    renderer: 'auto',
    timeoutMs: 60_000,
    maxOutputBytes: 64 * 1024 * 1024,
    maxToolMemoryBytes: 384 * 1024 * 1024,
    limits: defaultParseLimits(),
    helm: {
      binary: defaultToolBinary('helm'),
      namespace: 'default',
      kubeVersion: defaultKubeVersion,
      valuesFiles: [],
      values: {},
      apiVersions: [],
    },
    kustomize: { binary: defaultToolBinary('kustomize'), originAnnotations: true },
    plaintextDir: defaultPlaintextDir(),
  };
}

export function defaultPlaintextDir(): string {
  const dir = process.env.BALLAST_PLAINTEXT_DIR;
  return dir === undefined || dir === '' ? '/dev/shm' : dir;
}
