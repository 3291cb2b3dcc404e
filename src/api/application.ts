import { parseIgnoreRules, type IgnoreRule } from './ignore-rules.js';
import { applicationSpecSchema } from './application-spec.js';
import { applicationStatusSchema } from './application-status.js';
import type { Infer } from './schema.js';
import { defaultValidateOptions, validate, type ValidateOptions } from './schema-validate.js';

export const applicationGroup = 'ballast.dev';
export const applicationVersion = 'v1alpha1';
export const applicationApiVersion = 'ballast.dev/v1alpha1';
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
export type ApplicationMetadata = {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  [key: string]: unknown;
};

/** A `ballast.dev/v1alpha1` Application. A type alias (not an interface), so it is a KubeObject. */
export type Application = {
  apiVersion: typeof applicationApiVersion;
  kind: typeof applicationKind;
  metadata: ApplicationMetadata;
  spec: ApplicationSpec;
  status?: ApplicationStatus;
};

export type ApplicationParseResult =
  { kind: 'ok'; value: Application } | { kind: 'invalid'; problems: string[] };

export type ParseApplicationOptions = ValidateOptions;

export function defaultParseApplicationOptions(): ParseApplicationOptions {
  return defaultValidateOptions();
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const topLevel = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

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
  const opts = { ...defaultParseApplicationOptions(), ...partial };
  if (!isRecord(input)) return { kind: 'invalid', problems: ['expected an Application object'] };
  const problems: string[] = [];
  if (input['apiVersion'] !== applicationApiVersion)
    problems.push(`apiVersion: expected ${applicationApiVersion}`);
  if (input['kind'] !== applicationKind) problems.push(`kind: expected ${applicationKind}`);
  const metadata = parseMetadata(input['metadata'], problems);
  const spec = validate(applicationSpecSchema, input['spec'], 'spec', opts);
  if (spec.kind === 'invalid') problems.push(...spec.problems);
  const status =
    input['status'] === undefined || input['status'] === null
      ? undefined
      : validate(applicationStatusSchema, input['status'], 'status', opts);
  if (status?.kind === 'invalid') problems.push(...status.problems);
  if (opts.unknownFields === 'reject') {
    for (const key of Object.keys(input))
      if (!topLevel.has(key)) problems.push(`${key}: unknown field`);
  }
  // The diff stage parses the rules again; refuse here what it would refuse there.
  if (spec.kind === 'ok') {
    const rules = parseIgnoreRules(spec.value.ignoreDifferences ?? []);
    if (rules.kind === 'invalid') problems.push(`spec.${rules.problem}`);
  }
  if (problems.length > 0 || metadata === undefined || spec.kind !== 'ok')
    return { kind: 'invalid', problems };
  return {
    kind: 'ok',
    value: {
      apiVersion: applicationApiVersion,
      kind: applicationKind,
      metadata,
      spec: spec.value,
      ...(status?.kind === 'ok' ? { status: status.value } : {}),
    },
  };
}

const stringFields = [
  'namespace',
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'deletionTimestamp',
] as const;

function isStringMap(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Checks the metadata fields Ballast reads; metadata is not in the CRD schema, so it is ours to check. */
function parseMetadata(raw: unknown, problems: string[]): ApplicationMetadata | undefined {
  if (!isRecord(raw)) {
    problems.push('metadata: expected an object');
    return undefined;
  }
  const before = problems.length;
  if (typeof raw['name'] !== 'string' || raw['name'] === '')
    problems.push('metadata.name: expected a non-empty string');
  for (const f of stringFields) {
    if (raw[f] !== undefined && typeof raw[f] !== 'string')
      problems.push(`metadata.${f}: expected a string`);
  }
  for (const f of ['labels', 'annotations'] as const) {
    if (raw[f] !== undefined && !isStringMap(raw[f]))
      problems.push(`metadata.${f}: expected a map of strings`);
  }
  const generation = raw['generation'];
  if (generation !== undefined && !(typeof generation === 'number' && Number.isInteger(generation)))
    problems.push('metadata.generation: expected a whole number');
  const finalizers = raw['finalizers'];
  if (
    finalizers !== undefined &&
    !(Array.isArray(finalizers) && finalizers.every((x) => typeof x === 'string'))
  )
    problems.push('metadata.finalizers: expected a list of strings');
  if (problems.length > before) return undefined;
  return structuredClone(raw) as ApplicationMetadata;
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
export class InvalidApplicationError extends Error {
  override readonly name = 'InvalidApplicationError';
  constructor(
    /** `namespace/name` of the Application. */
    readonly subject: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`Application ${subject}: invalid: ${problems.join('; ')}`, options);
  }
}

/** The ignore rules the diff stage takes. Never fails for an Application parseApplication accepted. */
export function ignoreRulesOf(app: Application): IgnoreRule[] {
  const rules = parseIgnoreRules(app.spec.ignoreDifferences ?? []);
  if (rules.kind === 'invalid') {
    const subject = `${app.metadata.namespace ?? ''}/${app.metadata.name}`;
    throw new InvalidApplicationError(subject, [`spec.${rules.problem}`]);
  }
  return rules.value;
}
