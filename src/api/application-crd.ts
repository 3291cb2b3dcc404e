import type { KubeObject } from './object.js';
import { applicationResource } from './application.js';
import { crdName, crdOf, openApiSchemaOf } from './resource.js';
import type { JsonSchemaProps } from './schema-openapi.js';

export { applicationPrinterColumns } from './application.js';
export type { PrinterColumn } from './resource.js';

export const applicationCrdName = crdName(applicationResource);

/** The root schema: the envelope the apiserver owns, then our spec and status. */
export function applicationOpenApiSchema(): JsonSchemaProps {
  return openApiSchemaOf(applicationResource);
}

/** The CustomResourceDefinition of Application, generated from the schema the types come from. */
export function applicationCrd(): KubeObject {
  return crdOf(applicationResource);
}
