import { patterns } from '../api/application-spec.js';
import { labelSelectorProblems, labelSelectorSchema } from '../api/label-selector.js';
import {
  arr,
  bool,
  duration,
  enm,
  int,
  intOrPercent,
  obj,
  opt,
  str,
  time,
  type Infer,
} from '../api/schema.js';

export const rolloutStrategies = ['all', 'progressive'] as const;
export type RolloutStrategy = (typeof rolloutStrategies)[number];

/** Below this many placed clusters an unset strategy means `all`; from it on, `progressive`. */
export const progressiveFromClusters = 10;

/** How many groups a rollout may have; the clusters in none form one more, last. */
export const maxRolloutGroups = 20;

const groupSchema = obj(
  {
    name: str({
      description: 'A name for people, shown by `ballast fleet rollout status`.',
      minLength: 1,
      maxLength: 63,
      pattern: patterns.dnsLabel,
    }),
    clusterSelector: labelSelectorSchema({
      what: 'Cluster',
      description:
        'The placed Clusters in this group. A Cluster is in the first group that matches it.',
    }),
  },
  { description: 'One wave of a progressive rollout.' },
);

export const rolloutSpecSchema = obj(
  {
    strategy: opt(
      enm(rolloutStrategies, {
        description:
          'all: every placed cluster gets a new commit at once. progressive: group by group, ' +
          'each waiting for the one before to be Healthy. Unset: all below ' +
          `${progressiveFromClusters} placed clusters, progressive from there on.`,
      }),
    ),
    groups: opt(
      arr(groupSchema, {
        description:
          'The waves, in order, e.g. a canary group first. Placed clusters in no group form a ' +
          'last wave of their own.',
        maxItems: maxRolloutGroups,
        mapKeys: ['name'],
      }),
    ),
    maxConcurrency: intOrPercent({
      description:
        'How many clusters of the current group may be updating at once: a count, or a ' +
        'percentage of the placed clusters (rounded up, at least 1).',
      default: '25%',
    }),
    maxFailures: intOrPercent({
      description:
        'How many clusters may fail before the rollout halts: a count, or a percentage of the ' +
        'placed clusters (rounded down). 0: the first failure halts it.',
      default: 0,
    }),
    progressDeadline: duration({
      description: 'A cluster not Synced and Healthy this long after it got the commit has failed.',
      default: '10m',
      min: '1s',
    }),
    minSuccessTime: duration({
      description:
        'How long a cluster must stay Healthy at the new commit before it counts as done; a ' +
        'group is done when all its clusters are.',
      default: '0s',
    }),
    paused: bool({
      description:
        'Start no more clusters until false again (`ballast fleet rollout pause|resume`). ' +
        'Clusters already updating carry on.',
      default: false,
    }),
  },
  {
    description:
      'How a new commit reaches the placed clusters. Clusters not yet reached keep the ' +
      'commit they run; the hub never moves a cluster back on its own.',
    default: {},
  },
);

export type RolloutSpec = Infer<typeof rolloutSpecSchema>;

export const fleetRollbackSchema = obj(
  {
    revision: str({
      description: 'The full commit SHA to return to.',
      pattern: patterns.commitSha,
    }),
    reason: str({ description: 'Why, for the audit ledger.', default: '' }),
    requestedBy: str({ description: 'Who asked, as the apiserver authenticated them.' }),
    requestedAt: time({ description: 'When it was asked.' }),
  },
  {
    description:
      'Set by `ballast fleet rollout undo`: roll this earlier commit out, through the same ' +
      'waves, instead of following targetRevision, until `ballast fleet rollout resume` ' +
      "clears it. Each spoke's agent accepts it only for a commit that spoke applied before.",
  },
);

export type FleetRollback = Infer<typeof fleetRollbackSchema>;

export const rolloutPhases = ['Progressing', 'Paused', 'Halted', 'Complete'] as const;
export type RolloutPhase = (typeof rolloutPhases)[number];

const count = (description: string) => int({ description, minimum: 0 });

const groupStatus = obj(
  {
    name: str({ description: 'The group; `(rest)` for the placed clusters in no group.' }),
    clusters: count('Placed clusters in it.'),
    done: count('Clusters Healthy at the revision for minSuccessTime.'),
    updating: count('Clusters given the revision and not yet done or failed.'),
    failed: count('Clusters that failed at the revision.'),
    complete: bool({
      description: 'Every cluster done, or promoted: later groups may start.',
      default: false,
    }),
    promotedBy: opt(str({ description: 'Who promoted it past its wait, if anyone.' })),
  },
  { description: 'One wave and where it stands.' },
);

const failedCluster = obj(
  {
    cluster: str({ description: 'The Cluster.' }),
    reason: str({ description: 'A CamelCase word, e.g. ProgressDeadlineExceeded or Degraded.' }),
    message: str({ description: 'Why, for a human.', maxLength: 4096 }),
  },
  { description: 'A cluster that failed at the revision being rolled out.' },
);

export const rolloutStatusSchema = obj(
  {
    revision: str({ description: 'The commit being rolled out (or last rolled out).' }),
    fromRevision: opt(
      str({
        description:
          'The commit the fleet ran before: the last one whose rollout completed. New clusters ' +
          'get it until their wave comes, and `undo` returns to it.',
      }),
    ),
    phase: enm(rolloutPhases, {
      description:
        'Progressing, Paused (spec.rollout.paused), Halted (more than maxFailures failed; a ' +
        'newer commit or an undo starts again), Complete.',
    }),
    strategy: enm(rolloutStrategies, { description: 'The strategy in force.' }),
    startedAt: time({ description: 'When the rollout of this revision began.' }),
    rollback: bool({
      description: 'Whether this rollout is an undo (spec.rollback).',
      default: false,
    }),
    paused: bool({ description: 'Whether spec.rollout.paused was set.', default: false }),
    groups: opt(arr(groupStatus, { description: 'The waves, in order.', maxItems: 21 })),
    failed: opt(
      arr(failedCluster, {
        description: 'The first clusters that failed, by name.',
        maxItems: 20,
      }),
    ),
    failedCount: count('How many clusters failed at this revision.'),
    message: str({ description: 'Where the rollout stands, for a human.', maxLength: 4096 }),
  },
  { description: 'Where the rollout of the newest commit stands. Written by the hub.' },
);

export type RolloutStatus = Infer<typeof rolloutStatusSchema>;
export type RolloutGroupStatus = NonNullable<RolloutStatus['groups']>[number];
export type RolloutFailedCluster = NonNullable<RolloutStatus['failed']>[number];

/** Rules the CRD cannot state: the groups' selectors. */
export function rolloutSpecProblems(spec: RolloutSpec, path: string): string[] {
  return (spec.groups ?? []).flatMap((g, i) =>
    labelSelectorProblems(g.clusterSelector, `${path}.groups[${i}].clusterSelector`),
  );
}
