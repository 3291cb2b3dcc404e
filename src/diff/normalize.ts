import { isSecret, refOf, type KubeObject } from '../api/object.js';
import { isRecord, type JsonRecord } from './json.js';
import { foldStringData } from './secret.js';

/**
 * Metadata the apiserver writes on every write or read. None of it is state a user declares,
 * and a dry-run result and a GET of the same object disagree on some of it (managedFields
 * timestamps, resourceVersion after a no-op apply), so it would only ever produce false diffs.
 *
 * `deletionTimestamp` and `deletionGracePeriodSeconds` are stripped too: a terminating object
 * carries the same values on both sides, so they can never show up as a field diff anyway.
 * Termination is reported on its own instead (see `isTerminating` in compare.ts).
 */
const NOISE_METADATA: readonly string[] = [
  'managedFields',
  'resourceVersion',
  'generation',
  'uid',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
];

/**
 * Annotations written by tools and controllers rather than declared. The last-applied annotation
 * also holds a full copy of the object, Secret data included, so keeping it out of the diff
 * text keeps plaintext out too.
 */
const NOISE_ANNOTATIONS: readonly string[] = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
];

/**
 * A deep copy of the object without server-written noise and without `status` (for every kind:
 * status is observed state, owned by controllers, and never part of what Ballast applies).
 * Label and annotation maps left empty are dropped, so `{}` and absent compare equal.
 */
export function stripNoise(obj: KubeObject): JsonRecord {
  const copy = structuredClone(obj) as JsonRecord;
  delete copy['status'];
  const metadata = copy['metadata'];
  if (!isRecord(metadata)) return copy;
  for (const field of NOISE_METADATA) delete metadata[field];
  const annotations = metadata['annotations'];
  if (isRecord(annotations)) {
    for (const key of NOISE_ANNOTATIONS) delete annotations[key];
  }
  for (const map of ['annotations', 'labels']) {
    const value = metadata[map];
    if (isRecord(value) && Object.keys(value).length === 0) delete metadata[map];
  }
  return copy;
}

/** The copy of an object that is compared and rendered: noise stripped, Secret stringData folded. */
export function normalizeForDiff(obj: KubeObject): JsonRecord {
  const copy = stripNoise(obj);
  if (isSecret(refOf(obj))) foldStringData(copy);
  return copy;
}
