import { ignoreRuleProblems } from '../api/application.js';
import { patterns, variableNameRegex } from '../api/application-spec.js';
import { healthSchema, syncSchema } from '../api/application-status.js';
import { conditionReason, conditionSchema, observedGeneration } from '../api/condition.js';
import {
  parseResource,
  type PrinterColumn,
  type Resource,
  type ResourceKind,
  type ResourceParseResult,
  messageColumn,
  syncColumn,
  healthColumn,
  ageColumn,
} from '../api/resource.js';
import { arr, int, map, obj, opt, str, time, type Infer } from '../api/schema.js';
import { mapEntryPath, type ValidateOptions } from '../api/schema-validate.js';
import { clusterNamespacePrefix } from './names.js';
import { clusterNameSchema, templateSchema } from './template.js';

export const assignmentKind = 'Assignment';
export const assignmentConditionTypes = ['Ready', 'Reconciling', 'Stalled', 'Drifted'] as const;

export const assignmentSpecSchema = obj(
  {
    fleetApplication: obj(
      {
        namespace: str({
          description: 'Its namespace on the hub.',
          minLength: 1,
          maxLength: 63,
          pattern: patterns.dnsLabel,
        }),
        name: str({
          description: 'Its name.',
          minLength: 1,
          maxLength: 253,
          pattern: patterns.dnsSubdomain,
        }),
        uid: opt(str({ description: 'Its metadata.uid, so a recreated one is told apart.' })),
      },
      { description: 'The FleetApplication this Assignment was written for.' },
    ),
    cluster: clusterNameSchema,
    revision: str({
      description: 'The commit the hub resolved and pinned; the agent deploys exactly this one.',
      pattern: patterns.commitSha,
    }),
    application: templateSchema,
    rollback: opt(
      obj(
        {
          requestedBy: str({
            description: 'Who asked for the undo, as the hub authenticated them.',
          }),
          reason: str({ description: 'Why, as they said.', default: '' }),
        },
        {
          description:
            'Set when spec.revision is an undo (`ballast fleet rollout undo`): an earlier commit ' +
            'than the spoke runs. The agent runs it only if its spoke applied that commit before.',
        },
      ),
    ),
    variables: opt(
      map(str({ description: 'The value, substituted as text.' }), {
        description:
          "This cluster's variables: cluster_name, cluster_label_<key>, " +
          'cluster_annotation_<key> and the matching spec.values entries of the FleetApplication.',
      }),
    ),
  },
  {
    description:
      "What one cluster runs for one FleetApplication: the template pinned to one commit, and the cluster's variables.",
  },
);

const refusal = obj(
  {
    reason: str({
      description: 'A CamelCase word, e.g. UnsignedCommit, UntrustedKey or NotDescendant.',
      minLength: 1,
      maxLength: 1024,
      pattern: conditionReason,
    }),
    message: str({ description: 'Why, naming the commit.', maxLength: 4096 }),
    revision: str({ description: 'The commit refused.' }),
    time: time({ description: 'When it was refused.' }),
  },
  {
    description:
      "The agent's refusal of spec.revision: not signed by a key the spoke trusts, or not a " +
      'descendant of what the spoke last applied. Cleared once a revision is applied.',
  },
);

export const assignmentStatusSchema = obj(
  {
    observedGeneration: observedGeneration('the agent last acted on'),
    conditions: opt(
      arr(
        conditionSchema(
          assignmentConditionTypes,
          'As an Application reports them: Ready, Reconciling, Stalled (see reason; a refused ' +
            'commit or an unset variable stalls), Drifted.',
        ),
        {
          description: 'Ready, Reconciling, Stalled and Drifted.',
          mapKeys: ['type'],
          maxItems: 16,
        },
      ),
    ),
    sync: opt(syncSchema),
    health: opt(healthSchema),
    lastSyncedRevision: opt(str({ description: 'The commit the cluster runs.' })),
    drift: opt(
      obj(
        {
          objects: int({ description: 'Objects changed in the cluster, not by Git.', minimum: 0 }),
          message: str({ description: 'The first few, for a human.', maxLength: 4096 }),
        },
        { description: 'A summary of drift; the spoke has the details.' },
      ),
    ),
    refusal: opt(refusal),
  },
  { description: "What the cluster's agent observed. Written only by that agent." },
);

export type AssignmentSpec = Infer<typeof assignmentSpecSchema>;
export type AssignmentStatus = Infer<typeof assignmentStatusSchema>;
export type Assignment = Resource<typeof assignmentKind, AssignmentSpec, AssignmentStatus>;
export type Refusal = NonNullable<AssignmentStatus['refusal']>;

export const assignmentPrinterColumns: readonly PrinterColumn[] = [
  { name: 'Cluster', type: 'string', jsonPath: '.spec.cluster', description: 'The Cluster.' },
  syncColumn,
  healthColumn,
  {
    name: 'Revision',
    type: 'string',
    jsonPath: '.status.sync.revision',
    description: 'The commit the agent compared against.',
  },
  {
    name: 'Pinned',
    type: 'string',
    jsonPath: '.spec.revision',
    description: 'The commit the hub pinned.',
    priority: 1,
  },
  messageColumn,
  ageColumn,
];

export const assignmentResource: ResourceKind<
  typeof assignmentKind,
  AssignmentSpec,
  AssignmentStatus
> = {
  kind: assignmentKind,
  plural: 'assignments',
  singular: 'assignment',
  shortNames: [],
  description:
    `An Assignment is one FleetApplication for one Cluster, in that Cluster's hub namespace ` +
    `(${clusterNamespacePrefix}<name>). The hub writes its spec; the Cluster's agent reads it ` +
    'and writes its status.',
  scope: 'Namespaced',
  spec: assignmentSpecSchema,
  status: assignmentStatusSchema,
  printerColumns: assignmentPrinterColumns,
};

/** Rules the CRD cannot state: the template is pinned to spec.revision, and variable names. */
function assignmentProblems(spec: AssignmentSpec): string[] {
  const problems = ignoreRuleProblems(spec.application, 'spec.application');
  if (spec.application.source.targetRevision !== spec.revision)
    problems.push(
      'spec.application.source.targetRevision: must be spec.revision, the commit the hub pinned',
    );
  for (const name of Object.keys(spec.variables ?? {}))
    if (!variableNameRegex.test(name))
      problems.push(
        `${mapEntryPath('spec.variables', name)}: expected a variable name: a letter or _, then letters, digits or _`,
      );
  return problems;
}

/**
 * Parses an Assignment from untrusted input: on the agent, what a possibly compromised hub
 * wrote. Every problem names its field path.
 */
export function parseAssignment(
  input: unknown,
  partial: Partial<ValidateOptions> = {},
): ResourceParseResult<Assignment> {
  return parseResource(assignmentResource, input, partial, assignmentProblems);
}
