import type { Application } from '../api/application.js';
import type { Cluster } from '../cluster/cluster.js';
import { defaultRenderOptions, type RenderOptions } from '../render/index.js';
import { credentialsFromSecretData } from '../source/credentials.js';
import type { GitRemote } from '../source/git.js';
import { decryptionKeysFromSecretData, mergeKeys, type DecryptionKeys } from '../secrets/index.js';
import { StageError } from './errors.js';
import { appKeyOf } from '../api/app-key.js';

/** The repository and its credentials, from the Secret `spec.source.secretRef` names. */
export async function remoteFor(deps: { cluster: Cluster }, app: Application): Promise<GitRemote> {
  const src = app.spec.source;
  const ns = app.metadata.namespace ?? '';
  const base = {
    url: src.repoURL,
    insecureAllowHttpCredentials: src.insecureAllowHttpCredentials === true,
    requester: { kind: 'application', namespace: ns, name: app.metadata.name },
  } satisfies Omit<GitRemote, 'auth'>;
  if (src.secretRef === undefined) return { ...base, auth: { kind: 'none' } };
  const secret = await deps.cluster.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: src.secretRef.name, namespace: ns },
  });
  if (secret === undefined)
    throw new StageError(
      appKeyOf(app),
      'CredentialsNotFound',
      `Secret ${ns}/${src.secretRef.name} not found`,
    );
  const creds = credentialsFromSecretData(
    secret.data as Record<string, string> | undefined,
    `Secret ${ns}/${src.secretRef.name}`,
  );
  if (creds.kind === 'error')
    throw new StageError(appKeyOf(app), 'InvalidCredentials', creds.error.message, {
      cause: creds.error,
    });
  return { ...base, ...creds.value };
}

/** How to render, as `spec.source` asks. */
export function renderOptionsFor(app: Application): RenderOptions {
  const base = defaultRenderOptions();
  const helm = app.spec.source.helm;
  const renderer =
    app.spec.source.kustomize !== undefined ? 'kustomize' : helm !== undefined ? 'helm' : 'auto';
  const substitute = app.spec.postBuild?.substitute;
  return {
    ...base,
    renderer,
    ...(substitute === undefined ? {} : { substitute }),
    helm: {
      ...base.helm,
      namespace: app.spec.destination.namespace,
      releaseName: helm?.releaseName ?? app.metadata.name,
      valuesFiles: helm?.valuesFiles ?? [],
      values: helm?.values ?? {},
    },
  };
}

/**
 * The keys that may open this app's SOPS files: its own `spec.decryption.secretRef` Secret,
 * plus the controller-wide keys. Undefined when neither exists, so a SOPS file in the tree is
 * refused with a message naming the recipient it needs.
 */
export async function decryptionFor(
  deps: { cluster: Cluster; decryptionKeys?: DecryptionKeys },
  app: Application,
): Promise<DecryptionKeys | undefined> {
  const ref = app.spec.decryption?.secretRef;
  if (ref === undefined) return deps.decryptionKeys;
  const ns = app.metadata.namespace ?? '';
  const secret = await deps.cluster.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ref.name, namespace: ns },
  });
  if (secret === undefined)
    throw new StageError(
      appKeyOf(app),
      'DecryptionFailed',
      `Secret ${ns}/${ref.name} of decryption keys not found`,
    );
  const keys = await decryptionKeysFromSecretData(
    secret.data as Record<string, string> | undefined,
  );
  if (keys.kind === 'error')
    throw new StageError(
      appKeyOf(app),
      'DecryptionFailed',
      `Secret ${ns}/${ref.name}: ${keys.error.message}`,
      { cause: keys.error },
    );
  return deps.decryptionKeys === undefined ? keys.keys : mergeKeys(keys.keys, deps.decryptionKeys);
}

/** The Application as the sync names it (and, with `status`, as its inventory store reads it). */
export function appId<S>(
  app: Application,
  status?: S,
): { name: string; namespace: string; status?: S } {
  return {
    name: app.metadata.name,
    namespace: app.metadata.namespace ?? '',
    ...(status === undefined ? {} : { status }),
  };
}
