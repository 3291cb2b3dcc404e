import { conditionSchema, observedGeneration } from '../api/condition.js';
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
import { arr, bool, duration, obj, opt, str, time, type Infer } from '../api/schema.js';
import type { ValidateOptions } from '../api/schema-validate.js';
import { countsSchema } from './counts.js';
import { clusterNameRegex, clusterNamespacePrefix, maxClusterNameLength } from './names.js';

export const clusterKind = 'Cluster';
export const clusterConditionTypes = ['Ready'] as const;

export const clusterSpecSchema = obj(
  {
    heartbeatTimeout: duration({
      description:
        "How long the agent's Lease may go unrenewed before the Cluster is Ready=False with " +
        'reason HeartbeatMissed.',
      default: '60s',
      min: '5s',
    }),
  },
  { description: 'How the hub judges the spoke.', default: {} },
);

export const clusterStatusSchema = obj(
  {
    observedGeneration: observedGeneration('last acted on'),
    conditions: opt(
      arr(
        conditionSchema(
          clusterConditionTypes,
          'Ready: an agent is registered and renewed its Lease within spec.heartbeatTimeout; ' +
            'reason HeartbeatMissed when it did not.',
        ),
        { description: 'Ready, as kstatus reads it.', mapKeys: ['type'], maxItems: 8 },
      ),
    ),
    registered: opt(
      bool({
        description:
          'True once an agent has registered and holds its own hub identity; false after ' +
          '`ballast fleet deregister`.',
      }),
    ),
    registeredAt: opt(time({ description: 'When the agent registered.' })),
    agentVersion: opt(
      str({ description: 'The version of ballast the agent runs.', maxLength: 128 }),
    ),
    kubernetesVersion: opt(
      str({ description: "The spoke apiserver's version, e.g. v1.33.1.", maxLength: 128 }),
    ),
    lastHeartbeatTime: opt(
      time({
        description:
          "When the hub last saw the agent's Lease renewed. Moved by beats alone every 5 " +
          'minutes (or half the heartbeatTimeout if longer), and with any other status write, ' +
          'so no status write happens per beat; Ready and the Lease hold the exact state.',
      }),
    ),
    apps: opt(countsSchema('Assignments', "The cluster's Assignments by sync and health.")),
  },
  {
    description: "What the hub observed of the spoke. Written by the hub and the Cluster's agent.",
  },
);

export type ClusterSpec = Infer<typeof clusterSpecSchema>;
export type ClusterStatus = Infer<typeof clusterStatusSchema>;
export type Cluster = Resource<typeof clusterKind, ClusterSpec, ClusterStatus>;

export const clusterPrinterColumns: readonly PrinterColumn[] = [
  readyColumn,
  {
    name: 'Agent',
    type: 'string',
    jsonPath: '.status.agentVersion',
    description: 'The version the agent runs.',
  },
  {
    name: 'K8s',
    type: 'string',
    jsonPath: '.status.kubernetesVersion',
    description: "The spoke's Kubernetes version.",
  },
  {
    name: 'Last-Seen',
    type: 'date',
    jsonPath: '.status.lastHeartbeatTime',
    description: 'When the agent was last seen.',
  },
  {
    name: 'Apps',
    type: 'integer',
    jsonPath: '.status.apps.total',
    description: 'Assignments on this cluster.',
  },
  messageColumn,
  ageColumn,
];

const nameRule =
  `a Cluster's name is a DNS label of at most ${maxClusterNameLength} characters, so that ` +
  `its hub namespace ${clusterNamespacePrefix}<name> is a DNS label too`;

export const clusterResource: ResourceKind<typeof clusterKind, ClusterSpec, ClusterStatus> = {
  kind: clusterKind,
  plural: 'clusters',
  singular: 'cluster',
  shortNames: [],
  description:
    'A Cluster is one spoke of the fleet, on the hub. Its labels decide which FleetApplications ' +
    'it gets; its agent pulls them as Assignments from its own namespace, ' +
    `${clusterNamespacePrefix}<name>.`,
  scope: 'Namespaced',
  spec: clusterSpecSchema,
  status: clusterStatusSchema,
  printerColumns: clusterPrinterColumns,
  rootRules: [
    {
      rule:
        `self.metadata.name.size() <= ${maxClusterNameLength} && ` +
        `self.metadata.name.matches('${clusterNameRegex}')`,
      message: nameRule,
    },
  ],
  checkName: (name) =>
    name.length <= maxClusterNameLength && new RegExp(clusterNameRegex).test(name)
      ? undefined
      : nameRule,
};

/** Parses a Cluster from untrusted input; every problem names its field path. */
export function parseCluster(
  input: unknown,
  partial: Partial<ValidateOptions> = {},
): ResourceParseResult<Cluster> {
  return parseResource(clusterResource, input, partial);
}
