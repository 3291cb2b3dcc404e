import type { KubeObject } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { parseSignedCheckpoint } from './checkpoint.js';
import type { CheckpointPublisher } from './checkpointing.js';
import { LedgerError } from './errors.js';
import type { SignedCheckpoint } from './types.js';

/** The ConfigMap key holding the checkpoint's JSON. */
export const checkpointKey = 'checkpoint.json';

/** The ConfigMap the controller publishes to unless told otherwise, in its own namespace. */
export const defaultCheckpointConfigMap = 'ballast-ledger-checkpoint';

export interface ConfigMapRef {
  namespace: string;
  name: string;
}

const stub = (ref: ConfigMapRef): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: ref.name, namespace: ref.namespace },
});

/**
 * Publishes the newest checkpoint to a ConfigMap by server-side apply, so truncating the
 * ledger's tail together with its checkpoints still leaves a signed head outside the database.
 * The controller needs get, create and patch on configmaps in that namespace.
 */
export class ConfigMapCheckpointPublisher implements CheckpointPublisher {
  readonly where: string;

  constructor(
    private readonly cluster: Cluster,
    private readonly ref: ConfigMapRef,
  ) {
    this.where = `ConfigMap ${ref.namespace}/${ref.name}`;
  }

  async publish(checkpoint: SignedCheckpoint): Promise<void> {
    await this.cluster.apply({
      ...stub(this.ref),
      metadata: {
        name: this.ref.name,
        namespace: this.ref.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'ballast' },
      },
      data: { [checkpointKey]: JSON.stringify(checkpoint) },
    });
  }
}

/** The checkpoint published in a ConfigMap, for `ballast audit verify --checkpoint-configmap`. */
export async function readPublishedCheckpoint(
  cluster: Cluster,
  ref: ConfigMapRef,
): Promise<SignedCheckpoint> {
  const where = `ConfigMap ${ref.namespace}/${ref.name}`;
  let cm: KubeObject | undefined;
  try {
    cm = await cluster.get(stub(ref));
  } catch (e) {
    throw new LedgerError(where, 'cannot read the published checkpoint', { cause: e });
  }
  if (cm === undefined)
    throw new LedgerError(where, 'not found: no checkpoint was published there');
  const data = (cm as { data?: Record<string, string> }).data;
  const text = data?.[checkpointKey];
  if (text === undefined) throw new LedgerError(where, `has no ${checkpointKey} key`);
  return parseSignedCheckpoint(text, `${where} key ${checkpointKey}`);
}
