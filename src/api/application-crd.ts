import type { KubeObject } from './object.js';
import {
  applicationGroup,
  applicationKind,
  applicationPlural,
  applicationVersion,
} from './application.js';
import { applicationSpecSchema } from './application-spec.js';
import { applicationStatusSchema } from './application-status.js';
import { toOpenApi, type JsonSchemaProps } from './schema-openapi.js';

export const applicationCrdName = `${applicationPlural}.${applicationGroup}`;

/** A column of `kubectl get applications`. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer';
  jsonPath: string;
  description: string;
  /** 0 is shown always; 1 only with `-o wide`. */
  priority?: number;
}

const ready = '.status.conditions[?(@.type=="Ready")]';

export const applicationPrinterColumns: readonly PrinterColumn[] = [
  {
    name: 'Sync',
    type: 'string',
    jsonPath: '.status.sync.status',
    description: 'Synced, OutOfSync or Unknown.',
  },
  {
    name: 'Health',
    type: 'string',
    jsonPath: '.status.health.status',
    description: 'Aggregated health of the objects.',
  },
  {
    name: 'Revision',
    type: 'string',
    jsonPath: '.status.sync.revision',
    description: 'The commit compared against.',
  },
  {
    name: 'Ready',
    type: 'string',
    jsonPath: `${ready}.status`,
    description: 'The Ready condition.',
  },
  {
    name: 'Message',
    type: 'string',
    jsonPath: `${ready}.message`,
    description: 'Why it is (not) ready.',
    priority: 1,
  },
  {
    name: 'Age',
    type: 'date',
    jsonPath: '.metadata.creationTimestamp',
    description: 'Time since creation.',
  },
];

/** The root schema: the envelope the apiserver owns, then our spec and status. */
export function applicationOpenApiSchema(): JsonSchemaProps {
  return {
    type: 'object',
    description:
      'An Application keeps the objects rendered from one path of a Git repository applied to ' +
      'the cluster, reports how they differ from Git and how healthy they are.',
    properties: {
      apiVersion: { type: 'string', description: 'ballast.dev/v1alpha1' },
      kind: { type: 'string', description: 'Application' },
      // The apiserver validates metadata itself; a CRD may not say more than `type: object` here.
      metadata: { type: 'object' },
      spec: toOpenApi(applicationSpecSchema),
      status: toOpenApi(applicationStatusSchema),
    },
    required: ['spec'],
  };
}

/** The CustomResourceDefinition of Application, generated from the schema the types come from. */
export function applicationCrd(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: applicationCrdName,
      labels: { 'app.kubernetes.io/name': 'ballast', 'app.kubernetes.io/component': 'crd' },
    },
    spec: {
      group: applicationGroup,
      names: {
        kind: applicationKind,
        listKind: `${applicationKind}List`,
        plural: applicationPlural,
        singular: 'application',
        shortNames: ['app', 'apps'],
        categories: ['ballast'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: applicationVersion,
          served: true,
          storage: true,
          // Status is written only through /status, so a spec write can never clobber it.
          subresources: { status: {} },
          additionalPrinterColumns: applicationPrinterColumns,
          schema: { openAPIV3Schema: applicationOpenApiSchema() },
        },
      ],
    },
  };
}
