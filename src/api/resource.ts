import type { Result } from './errors.js';
import type { KubeObject } from './object.js';
import { defaultOf, type Schema } from './schema.js';
import { toOpenApi, type CelRule, type JsonSchemaProps } from './schema-openapi.js';
import { defaultValidateOptions, validate, type ValidateOptions } from './schema-validate.js';

/** Every Ballast kind lives in one API group and version. */
export const ballastGroup = 'ballast.dev';
export const ballastVersion = 'v1alpha1';
export const ballastApiVersion = 'ballast.dev/v1alpha1';

/** A column of `kubectl get <kind>`. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer';
  jsonPath: string;
  description: string;
  /** 0 is shown always; 1 only with `-o wide`. */
  priority?: number;
}

const readyCondition = '.status.conditions[?(@.type=="Ready")]';

/** The columns every ballast.dev kind with a Ready condition shows, as kubectl users expect. */
export const readyColumn: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: `${readyCondition}.status`,
  description: 'The Ready condition.',
};
export const syncColumn: PrinterColumn = {
  name: 'Sync',
  type: 'string',
  jsonPath: '.status.sync.status',
  description: 'Synced, OutOfSync or Unknown.',
};
export const healthColumn: PrinterColumn = {
  name: 'Health',
  type: 'string',
  jsonPath: '.status.health.status',
  description: 'Aggregated health of the objects.',
};
export const messageColumn: PrinterColumn = {
  name: 'Message',
  type: 'string',
  jsonPath: `${readyCondition}.message`,
  description: 'Why it is (not) ready.',
  priority: 1,
};
export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};

/**
 * One ballast.dev kind, declared once: its CRD and its parser are both derived from this, so
 * they cannot disagree about what is valid.
 */
export interface ResourceKind<K extends string, Spec, Status> {
  kind: K;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  /** The root description, shown by `kubectl explain <kind>`. */
  description: string;
  scope: 'Namespaced' | 'Cluster';
  spec: Schema<Spec>;
  status: Schema<Status>;
  printerColumns: readonly PrinterColumn[];
  /**
   * CEL rules on the whole object: the only place a CRD may check `metadata.name`. The parser
   * checks the same through `checkName`.
   */
  rootRules?: readonly CelRule[];
  /** The parser's side of `rootRules`: a problem with the name, or undefined. */
  checkName?: (name: string) => string | undefined;
}

/** The metadata fields Ballast reads, checked; any others are kept as they came. */
export type ResourceMetadata = {
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

/** A ballast.dev object. A type alias (not an interface), so it is a KubeObject. */
export type Resource<K extends string, Spec, Status> = {
  apiVersion: typeof ballastApiVersion;
  kind: K;
  metadata: ResourceMetadata;
  spec: Spec;
  status?: Status;
};

/** An object of a ballast.dev kind that cannot be used as it is; names it and every problem. */
export class InvalidResourceError extends Error {
  override readonly name: string = 'InvalidResourceError';
  constructor(
    readonly kind: string,
    /** `namespace/name`, or the name alone for a cluster-scoped kind. */
    readonly subject: string,
    /** Each names its field path, e.g. `spec.syncPolicy.drift: expected one of …`. */
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${kind} ${subject}: invalid: ${problems.join('; ')}`, options);
  }

  /** The same object with other problems, e.g. reworded for what a kind refuses. */
  withProblems(problems: readonly string[]): InvalidResourceError {
    return new InvalidResourceError(this.kind, this.subject, problems);
  }
}

/** The object, or an InvalidResourceError listing every problem with its field path. */
export type ResourceParseResult<T> = Result<T, InvalidResourceError>;

/** The failed result, naming the object as far as its metadata allows. */
function invalid<T>(kind: string, input: unknown, problems: string[]): ResourceParseResult<T> {
  const meta = isRecord(input) && isRecord(input['metadata']) ? input['metadata'] : {};
  const part = (v: unknown): string => (typeof v === 'string' ? v : '');
  const name = part(meta['name']);
  const ns = part(meta['namespace']);
  const subject = name === '' ? '(unnamed)' : ns === '' ? name : `${ns}/${name}`;
  return { kind: 'error', error: new InvalidResourceError(kind, subject, problems) };
}

export function crdName(k: ResourceKind<string, unknown, unknown>): string {
  return `${k.plural}.${ballastGroup}`;
}

/** The root schema: the envelope the apiserver owns, then the kind's spec and status. */
export function openApiSchemaOf(k: ResourceKind<string, unknown, unknown>): JsonSchemaProps {
  return {
    type: 'object',
    description: k.description,
    properties: {
      apiVersion: { type: 'string', description: ballastApiVersion },
      kind: { type: 'string', description: k.kind },
      // The apiserver validates metadata itself; a CRD may not say more than `type: object` here.
      metadata: { type: 'object' },
      spec: toOpenApi(k.spec),
      status: toOpenApi(k.status),
    },
    ...(defaultOf(k.spec.node) === undefined ? { required: ['spec'] } : {}),
    ...(k.rootRules === undefined ? {} : { 'x-kubernetes-validations': [...k.rootRules] }),
  };
}

/** The CustomResourceDefinition of a kind, generated from the schema its types come from. */
export function crdOf(k: ResourceKind<string, unknown, unknown>): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: crdName(k),
      labels: { 'app.kubernetes.io/name': 'ballast', 'app.kubernetes.io/component': 'crd' },
    },
    spec: {
      group: ballastGroup,
      names: {
        kind: k.kind,
        listKind: `${k.kind}List`,
        plural: k.plural,
        singular: k.singular,
        shortNames: [...k.shortNames],
        categories: ['ballast'],
      },
      scope: k.scope,
      versions: [
        {
          name: ballastVersion,
          served: true,
          storage: true,
          // Status is written only through /status, so a spec write can never clobber it.
          subresources: { status: {} },
          additionalPrinterColumns: k.printerColumns,
          schema: { openAPIV3Schema: openApiSchemaOf(k) },
        },
      ],
    },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const topLevel = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

/**
 * Parses one object of a kind from untrusted input (a YAML file, a watch event). `spec` and
 * `status` are checked against the schema the CRD is generated from, with the same defaults
 * applied, so the value equals what the apiserver stores. Every problem names its field path.
 * `semantic` runs on a valid spec, for rules a CRD cannot state (map keys, cross-field rules).
 */
export function parseResource<K extends string, Spec, Status>(
  k: ResourceKind<K, Spec, Status>,
  input: unknown,
  partial: Partial<ValidateOptions> = {},
  semantic: (spec: Spec) => string[] = () => [],
): ResourceParseResult<Resource<K, Spec, Status>> {
  const opts = { ...defaultValidateOptions(), ...partial };
  const article = /^[AEIOU]/.test(k.kind) ? 'an' : 'a';
  if (!isRecord(input)) return invalid(k.kind, input, [`expected ${article} ${k.kind} object`]);
  const problems: string[] = [];
  if (input['apiVersion'] !== ballastApiVersion)
    problems.push(`apiVersion: expected ${ballastApiVersion}`);
  if (input['kind'] !== k.kind) problems.push(`kind: expected ${k.kind}`);
  const metadata = parseMetadata(input['metadata'], problems, k.checkName);
  // As the apiserver defaults an absent spec when the schema gives it a default.
  const rawSpec = input['spec'] ?? structuredClone(defaultOf(k.spec.node));
  const spec = validate(k.spec, rawSpec, 'spec', opts);
  if (spec.kind === 'invalid') problems.push(...spec.problems);
  const status =
    input['status'] === undefined || input['status'] === null
      ? undefined
      : validate(k.status, input['status'], 'status', opts);
  if (status?.kind === 'invalid') problems.push(...status.problems);
  if (opts.unknownFields === 'reject') {
    for (const key of Object.keys(input))
      if (!topLevel.has(key)) problems.push(`${key}: unknown field`);
  }
  if (spec.kind === 'ok') problems.push(...semantic(spec.value));
  if (problems.length > 0 || metadata === undefined || spec.kind !== 'ok')
    return invalid(k.kind, input, problems);
  return {
    kind: 'ok',
    value: {
      apiVersion: ballastApiVersion,
      kind: k.kind,
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
function parseMetadata(
  raw: unknown,
  problems: string[],
  checkName: ((name: string) => string | undefined) | undefined,
): ResourceMetadata | undefined {
  if (!isRecord(raw)) {
    problems.push('metadata: expected an object');
    return undefined;
  }
  const before = problems.length;
  const name = raw['name'];
  if (typeof name !== 'string' || name === '')
    problems.push('metadata.name: expected a non-empty string');
  else {
    const bad = checkName?.(name);
    if (bad !== undefined) problems.push(`metadata.name: ${bad}`);
  }
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
  return structuredClone(raw) as ResourceMetadata;
}
