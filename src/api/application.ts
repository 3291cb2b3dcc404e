import { appKeyOf } from './app-key.js';
import { parseIgnoreRules, type IgnoreRule } from './ignore-rules.js';
import { applicationSpecSchema, variableNameRegex } from './application-spec.js';
import { applicationStatusSchema } from './application-status.js';
import {
  ballastApiVersion,
  ballastGroup,
  ballastVersion,
  InvalidResourceError,
  parseResource,
  type Resource,
  type ResourceKind,
  type ResourceMetadata,
  type PrinterColumn,
  type ResourceParseResult,
  readyColumn,
  messageColumn,
  syncColumn,
  healthColumn,
  ageColumn,
} from './resource.js';
import type { Infer } from './schema.js';
import { defaultValidateOptions, mapEntryPath, type ValidateOptions } from './schema-validate.js';

export const applicationGroup = ballastGroup;
export const applicationVersion = ballastVersion;
export const applicationApiVersion = ballastApiVersion;
export const applicationKind = 'Application';
export const applicationPlural = 'applications';

/** `spec` after defaulting: the type is inferred from the schema the CRD is generated from. */
export type ApplicationSpec = Infer<typeof applicationSpecSchema>;
/** `status`, as the controller writes it. */
export type ApplicationStatus = Infer<typeof applicationStatusSchema>;

export type ApplicationSource = ApplicationSpec['source'];
export type SyncPolicy = ApplicationSpec['syncPolicy'];
export type DriftPolicy = SyncPolicy['drift'];
export type IgnoreDifference = NonNullable<ApplicationSpec['ignoreDifferences']>[number];
export type Condition = NonNullable<ApplicationStatus['conditions']>[number];
export type ConditionType = Condition['type'];
export type SyncStatus = NonNullable<ApplicationStatus['sync']>['status'];
export type HistoryEntry = NonNullable<ApplicationStatus['history']>[number];
export type DriftEntry = NonNullable<ApplicationStatus['drift']>[number];
export type ResourceStatus = NonNullable<ApplicationStatus['resources']>[number];

/** The metadata fields Ballast reads, checked; any others are kept as they came. */
export type ApplicationMetadata = ResourceMetadata;

/** A `ballast.dev/v1alpha1` Application. A type alias (not an interface), so it is a KubeObject. */
export type Application = Resource<typeof applicationKind, ApplicationSpec, ApplicationStatus>;

export type ApplicationParseResult = ResourceParseResult<Application>;

export type ParseApplicationOptions = ValidateOptions;

export function defaultParseApplicationOptions(): ParseApplicationOptions {
  return defaultValidateOptions();
}

/** The columns of `kubectl get applications`. */
export const applicationPrinterColumns: readonly PrinterColumn[] = [
  syncColumn,
  healthColumn,
  {
    name: 'Revision',
    type: 'string',
    jsonPath: '.status.sync.revision',
    description: 'The commit compared against.',
  },
  readyColumn,
  messageColumn,
  ageColumn,
];

/** The Application kind, from which its CRD (application-crd.ts) and its parser are derived. */
export const applicationResource: ResourceKind<
  typeof applicationKind,
  ApplicationSpec,
  ApplicationStatus
> = {
  kind: applicationKind,
  plural: applicationPlural,
  singular: 'application',
  shortNames: ['app', 'apps'],
  description:
    'An Application keeps the objects rendered from one path of a Git repository applied to ' +
    'the cluster, reports how they differ from Git and how healthy they are.',
  scope: 'Namespaced',
  spec: applicationSpecSchema,
  status: applicationStatusSchema,
  printerColumns: applicationPrinterColumns,
};

/**
 * Parses an Application from untrusted input (a YAML file, a watch event) into a result value.
 * `spec` and `status` are checked against the schema the CRD is generated from, with the same
 * defaults applied, so the value equals what the apiserver stores. Every problem names its field
 * path, e.g. `spec.syncPolicy.drift: expected one of heal, warn, ignore`.
 */
export function parseApplication(
  input: unknown,
  partial: Partial<ParseApplicationOptions> = {},
): ApplicationParseResult {
  return parseResource(applicationResource, input, partial, (spec) => [
    ...ignoreRuleProblems(spec),
    ...destinationClusterProblems(spec),
    ...variableNameProblems(spec),
  ]);
}

/** A name `${…}` could never refer to is a typo the author should hear about at once. */
function variableNameProblems(spec: Pick<ApplicationSpec, 'postBuild'>): string[] {
  return Object.keys(spec.postBuild?.substitute ?? {})
    .filter((name) => !variableNameRegex.test(name))
    .map(
      (name) =>
        `${mapEntryPath('spec.postBuild.substitute', name)}: expected a variable name: a letter or _, then letters, digits or _`,
    );
}

/**
 * `destination.cluster` is reserved for the fleet. Syncing such an Application into the
 * controller's own cluster would put objects where its author said they must not go.
 */
function destinationClusterProblems(spec: Pick<ApplicationSpec, 'destination'>): string[] {
  if (spec.destination.cluster === undefined) return [];
  return [
    'spec.destination.cluster: an Application syncs only into the cluster its controller runs in; remove the field, or use a FleetApplication to place objects on other clusters',
  ];
}

/** The diff stage parses the rules again; refuse here what it would refuse there. */
export function ignoreRuleProblems(
  spec: Pick<ApplicationSpec, 'ignoreDifferences'>,
  path = 'spec',
): string[] {
  const rules = parseIgnoreRules(spec.ignoreDifferences ?? []);
  return rules.kind === 'invalid' ? [`${path}.${rules.problem}`] : [];
}

/**
 * What the controller does about drift on this Application. Policy: drift is healed only when
 * the Application syncs by itself (automated) with selfHeal on and drift set to heal; healing
 * without automation would sync a revision nobody asked for. Otherwise `heal` degrades to
 * `warn`, so drift is never silently ignored unless the user said `ignore`.
 */
export function driftReaction(spec: ApplicationSpec): DriftPolicy {
  const policy = spec.syncPolicy;
  if (policy.drift !== 'heal') return policy.drift;
  return policy.automated?.selfHeal === true ? 'heal' : 'warn';
}

/** An Application that cannot be used as it is; the message names it and every problem. */
export class InvalidApplicationError extends InvalidResourceError {
  override readonly name = 'InvalidApplicationError';
  constructor(
    /** `namespace/name` of the Application. */
    subject: string,
    problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(applicationKind, subject, problems, options);
  }
}

/** The ignore rules the diff stage takes. Never fails for an Application parseApplication accepted. */
export function ignoreRulesOf(app: Application): IgnoreRule[] {
  const rules = parseIgnoreRules(app.spec.ignoreDifferences ?? []);
  if (rules.kind === 'invalid') {
    throw new InvalidApplicationError(appKeyOf(app), [`spec.${rules.problem}`]);
  }
  return rules.value;
}
