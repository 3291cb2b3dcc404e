import { conditionSchema } from './condition.js';
import { HEALTH_ORDER } from './health-status.js';
import { arr, enm, int, obj, opt, str, time, type Pattern } from './schema.js';

/** The condition types an Application reports. */
export const conditionTypes = [
  'Ready',
  'Reconciling',
  'Stalled',
  'Drifted',
  'LargeCommit',
] as const;

export const syncStatuses = ['Synced', 'OutOfSync', 'Unknown'] as const;

/** `group|kind|namespace|name`, as refKey in src/api/object.ts formats it. */
const inventoryEntry: Pattern = {
  regex: '^[^|]*\\|[^|]+\\|[^|]*\\|[^|]+$',
  hint: 'group|kind|namespace|name',
};

/** The identity fields every per-object status entry carries; group and namespace may be "". */
const identity = {
  group: str({ description: 'API group; "" for the core group.' }),
  kind: str({ description: 'Kind.', minLength: 1 }),
  namespace: str({ description: 'Namespace; "" for cluster-scoped objects.' }),
  name: str({ description: 'Name.', minLength: 1 }),
};

/** How a set of objects is doing; an Assignment reports the same. */
export const healthSchema = obj(
  {
    status: enm(HEALTH_ORDER, {
      description:
        'From best to worst: Healthy, Suspended, Progressing, Unknown, Missing, Degraded.',
    }),
    message: str({ description: 'One sentence for a human.' }),
  },
  { description: 'How the objects are doing.' },
);

/** How the cluster compares with Git; an Assignment reports the same. */
export const syncSchema = obj(
  {
    status: enm(syncStatuses, { description: 'Whether the cluster matches Git.' }),
    revision: opt(str({ description: 'The commit compared against.' })),
  },
  { description: 'How the cluster compares with Git.' },
);

const condition = conditionSchema(
  conditionTypes,
  'Ready: the last reconcile succeeded and the objects are healthy. Reconciling: work is ' +
    'in progress. Stalled: it cannot progress without a change (see reason). Drifted: ' +
    'objects differ from Git (see status.drift). LargeCommit: an applied commit broke ' +
    'spec.verification.commitPolicy under action warn (see reason and message).',
);

const count = (what: string): ReturnType<typeof int> =>
  int({ description: `Objects ${what}.`, minimum: 0 });

const historyEntry = obj(
  {
    id: int({ description: 'Increases by one per sync.', minimum: 0, format: 'int64' }),
    revision: str({ description: 'The commit that was synced.' }),
    time: time({ description: 'When the sync finished.' }),
    result: enm(['Succeeded', 'Failed'], { description: 'Succeeded or Failed.' }),
    signer: opt(
      str({ description: 'Who signed the commit, when signatures were checked and trusted.' }),
    ),
    counts: obj(
      {
        created: count('created'),
        configured: count('changed'),
        unchanged: count('left as they were'),
        pruned: count('deleted because they left Git'),
      },
      { description: 'What the sync did.' },
    ),
  },
  { description: 'One sync.' },
);

const driftEntry = obj(
  {
    ...identity,
    paths: arr(str({ description: 'A field path.' }), {
      description: 'Fields that differ from Git, e.g. .spec.replicas.',
    }),
    manager: opt(str({ description: 'The field manager that made the change, when known.' })),
    detectedAt: time({ description: 'When the drift was first seen.' }),
  },
  { description: 'One object changed in the cluster.' },
);

const resourceEntry = obj(
  {
    ...identity,
    status: enm(syncStatuses, { description: 'Whether the object matches Git.' }),
    health: opt(healthSchema),
  },
  { description: 'One managed object.' },
);

/** Why a target commit was refused; a fleet agent reports the same word on its Assignment. */
export const refusalReasons = [
  'NotDescendant',
  'UnsignedCommit',
  'UntrustedKey',
  'BadSignature',
  'ExpiredKey',
  'RevokedKey',
  'NotYetValidKey',
  'WrongNamespace',
  'MalformedSignature',
  'UnsupportedSignature',
  'TagMismatch',
  'TrustedKeysMissing',
  'LargeCommit',
] as const;

const verificationStatus = obj(
  {
    revision: str({ description: 'The commit verified.' }),
    mode: enm(['none', 'head', 'all'], { description: 'The policy it was verified under.' }),
    result: enm(['Trusted', 'Refused', 'Unchecked'], {
      description: 'Trusted, Refused, or Unchecked when the mode is none.',
    }),
    signer: opt(str({ description: 'Who signed the target: OpenPGP user id or SSH principal.' })),
    fingerprint: opt(str({ description: 'Fingerprint of the signing key.' })),
    commitsChecked: int({ description: 'Commits whose signatures were checked.', minimum: 0 }),
    message: str({ description: 'Why it was refused, naming the commit and its author.' }),
    refusal: opt(
      enm(refusalReasons, {
        description:
          'Why the target was refused, as one word: NotDescendant (not a descendant of the ' +
          'last applied revision), UnsignedCommit, UntrustedKey, another signature problem, or ' +
          'TrustedKeysMissing (the Secret of trusted keys is missing or unreadable), or ' +
          'LargeCommit (a commit broke spec.verification.commitPolicy).',
      }),
    ),
  },
  { description: 'The last signature and ancestry check.' },
);

export const applicationStatusSchema = obj(
  {
    observedGeneration: opt(
      int({ description: 'The metadata.generation last reconciled.', minimum: 0, format: 'int64' }),
    ),
    conditions: opt(
      arr(condition, {
        description: 'Ready, Reconciling, Stalled, Drifted and LargeCommit, as kstatus reads them.',
        mapKeys: ['type'],
        maxItems: 16,
      }),
    ),
    sync: opt(syncSchema),
    health: opt(healthSchema),
    resources: opt(arr(resourceEntry, { description: 'Every managed object.' })),
    inventory: opt(
      arr(str({ description: 'An object identity.', pattern: inventoryEntry }), {
        description:
          'Objects the last sync applied, as group|kind|namespace|name: what pruning compares against.',
      }),
    ),
    lastSyncedRevision: opt(str({ description: 'The commit last synced successfully.' })),
    history: opt(
      arr(historyEntry, { description: 'The last 10 syncs, newest last.', maxItems: 10 }),
    ),
    drift: opt(arr(driftEntry, { description: 'Objects changed in the cluster, not by Git.' })),
    verification: opt(verificationStatus),
    lastHandledSync: opt(
      str({ description: 'The ballast.dev/sync annotation value last acted on.' }),
    ),
  },
  { description: 'What the controller observed. Written only by the controller.' },
);
