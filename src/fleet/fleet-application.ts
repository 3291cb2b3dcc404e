import { syncStatuses } from '../api/application-status.js';
import { conditionReason, conditionSchema, observedGeneration } from '../api/condition.js';
import {
  parseResource,
  type PrinterColumn,
  type Resource,
  type ResourceKind,
  type ResourceParseResult,
  readyColumn,
  messageColumn,
  ageColumn,
} from '../api/resource.js';
import { arr, enm, int, obj, opt, str, type Infer } from '../api/schema.js';
import type { ValidateOptions } from '../api/schema-validate.js';
import { HEALTH_ORDER } from '../api/health-status.js';
import { countsFields } from './counts.js';
import {
  fleetRollbackSchema,
  rolloutSpecProblems,
  rolloutSpecSchema,
  rolloutStatusSchema,
} from './rollout-spec.js';
import {
  fleetSpecProblems,
  placementSchema,
  templateSchema,
  valuesEntrySchema,
} from './template.js';

export const fleetApplicationKind = 'FleetApplication';
export const fleetConditionTypes = ['Ready', 'Reconciling', 'Stalled'] as const;

/** How many failing clusters status.failing lists; status.summary.failing counts them all. */
export const maxFailingListed = 10;

export const fleetApplicationSpecSchema = obj(
  {
    template: templateSchema,
    placement: placementSchema,
    values: opt(
      arr(valuesEntrySchema, {
        description:
          'Per-cluster variables, besides the ones every Cluster gives (cluster_name, ' +
          'cluster_label_<key>, cluster_annotation_<key>). Entries apply in order; a later ' +
          'matching entry wins.',
        maxItems: 100,
      }),
    ),
    rollout: rolloutSpecSchema,
    rollback: opt(fleetRollbackSchema),
  },
  {
    description:
      'What to run, on which Clusters, with which per-cluster values, and how a new commit reaches them.',
  },
);

const failingEntry = obj(
  {
    cluster: str({ description: 'The Cluster.' }),
    reason: str({
      description: 'A CamelCase word, e.g. SignatureRefused or HeartbeatMissed.',
      minLength: 1,
      maxLength: 1024,
      pattern: conditionReason,
    }),
    message: str({ description: 'Why, for a human.', maxLength: 4096 }),
  },
  { description: 'A cluster that is not getting the template, and why.' },
);

const clusterEntry = obj(
  {
    name: str({ description: 'The Cluster.', minLength: 1 }),
    revision: opt(str({ description: 'The commit the cluster runs (its last synced one).' })),
    sync: enm(syncStatuses, {
      description: 'Synced only when the cluster matches the commit the hub pinned.',
    }),
    health: enm(HEALTH_ORDER, { description: 'The health its agent reports.' }),
  },
  { description: 'One selected cluster.' },
);

export const fleetApplicationStatusSchema = obj(
  {
    observedGeneration: observedGeneration('the hub last acted on'),
    conditions: opt(
      arr(
        conditionSchema(
          fleetConditionTypes,
          'Ready: every selected cluster is Synced and Healthy at the pinned commit. ' +
            'Reconciling: Assignments are being written or agents are syncing. Stalled: the ' +
            'spec is invalid (the message names the field) or the source cannot be resolved.',
        ),
        { description: 'Ready, Reconciling and Stalled.', mapKeys: ['type'], maxItems: 8 },
      ),
    ),
    revision: opt(
      str({ description: 'The commit the hub resolved targetRevision to and pinned.' }),
    ),
    summary: opt(
      obj(
        {
          ...countsFields('clusters'),
          failing: int({ description: 'Clusters that are failing.', minimum: 0 }),
        },
        { description: 'Selected clusters by sync and health.' },
      ),
    ),
    failing: opt(
      arr(failingEntry, {
        description: `The first ${maxFailingListed} failing clusters by name.`,
        maxItems: maxFailingListed,
      }),
    ),
    clusters: opt(
      arr(clusterEntry, {
        description: 'Every selected cluster with the commit it runs, by name.',
        mapKeys: ['name'],
        maxItems: 10000,
      }),
    ),
    rollout: opt(rolloutStatusSchema),
  },
  { description: 'The fleet-wide view, aggregated from the Assignments. Written by the hub.' },
);

export type FleetApplicationSpec = Infer<typeof fleetApplicationSpecSchema>;
export type FleetApplicationStatus = Infer<typeof fleetApplicationStatusSchema>;
export type FleetApplication = Resource<
  typeof fleetApplicationKind,
  FleetApplicationSpec,
  FleetApplicationStatus
>;
export type FailingCluster = NonNullable<FleetApplicationStatus['failing']>[number];
export type FleetClusterEntry = NonNullable<FleetApplicationStatus['clusters']>[number];
export type FleetSummary = NonNullable<FleetApplicationStatus['summary']>;

export const fleetApplicationPrinterColumns: readonly PrinterColumn[] = [
  {
    name: 'Clusters',
    type: 'integer',
    jsonPath: '.status.summary.total',
    description: 'Selected clusters.',
  },
  {
    name: 'Synced',
    type: 'integer',
    jsonPath: '.status.summary.sync.synced',
    description: 'Clusters synced to the pinned commit.',
  },
  {
    name: 'Healthy',
    type: 'integer',
    jsonPath: '.status.summary.health.healthy',
    description: 'Clusters whose objects are healthy.',
  },
  {
    name: 'Failing',
    type: 'integer',
    jsonPath: '.status.summary.failing',
    description: 'Clusters that are failing (see status.failing).',
    priority: 1,
  },
  {
    name: 'Revision',
    type: 'string',
    jsonPath: '.status.revision',
    description: 'The commit the hub pinned.',
  },
  {
    name: 'Rollout',
    type: 'string',
    jsonPath: '.status.rollout.phase',
    description: 'Progressing, Paused, Halted or Complete.',
  },
  readyColumn,
  messageColumn,
  ageColumn,
];

export const fleetApplicationResource: ResourceKind<
  typeof fleetApplicationKind,
  FleetApplicationSpec,
  FleetApplicationStatus
> = {
  kind: fleetApplicationKind,
  plural: 'fleetapplications',
  singular: 'fleetapplication',
  shortNames: ['fleetapp', 'fleetapps'],
  description:
    'A FleetApplication runs one Application spec on every Cluster its placement selects: the ' +
    "hub pins the commit and writes one Assignment per Cluster, which that cluster's agent pulls.",
  scope: 'Namespaced',
  spec: fleetApplicationSpecSchema,
  status: fleetApplicationStatusSchema,
  printerColumns: fleetApplicationPrinterColumns,
};

/**
 * Parses a FleetApplication from untrusted input. Every problem names its field path, including
 * the rules the CRD cannot state (label keys, variable names, ignore rules).
 */
export function parseFleetApplication(
  input: unknown,
  partial: Partial<ValidateOptions> = {},
): ResourceParseResult<FleetApplication> {
  const r = parseResource(fleetApplicationResource, input, partial, (spec) => [
    ...fleetSpecProblems(spec, 'spec'),
    ...rolloutSpecProblems(spec.rollout, 'spec.rollout'),
  ]);
  if (r.kind === 'ok') return r;
  // The generic "unknown field" would not say why a field every Application has is refused here.
  const problems = r.error.problems.map((p) =>
    p.startsWith(`${templateClusterPath}: unknown field`)
      ? `${templateClusterPath}: not allowed in a template; spec.placement picks the clusters`
      : p,
  );
  return { kind: 'error', error: r.error.withProblems(problems) };
}

const templateClusterPath = 'spec.template.destination.cluster';
