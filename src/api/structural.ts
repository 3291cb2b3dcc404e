import type { JsonSchemaProps } from './schema-openapi.js';

const types = new Set(['string', 'boolean', 'integer', 'number', 'array', 'object']);

/** Every node of a generated schema with its path (`spec.source.helm.values`, `…[]` for items, `…{}` for map values). */
export function schemaNodes(s: JsonSchemaProps, path = ''): [string, JsonSchemaProps][] {
  const out: [string, JsonSchemaProps][] = [[path, s]];
  for (const [k, p] of Object.entries(s.properties ?? {}))
    out.push(...schemaNodes(p, path === '' ? k : `${path}.${k}`));
  if (s.items !== undefined) out.push(...schemaNodes(s.items, `${path}[]`));
  if (s.additionalProperties !== undefined)
    out.push(...schemaNodes(s.additionalProperties, `${path}{}`));
  return out;
}

function nodeProblems(path: string, s: JsonSchemaProps): string[] {
  const problems: string[] = [];
  const intOrString = s['x-kubernetes-int-or-string'] === true && s.type === undefined;
  if (!intOrString && !types.has(s.type ?? '')) problems.push(`${path}: no type`);
  if (s.properties !== undefined && s.additionalProperties !== undefined)
    problems.push(`${path}: mixes properties with additionalProperties`);
  if (s.additionalProperties !== undefined && s['x-kubernetes-preserve-unknown-fields'] === true)
    problems.push(`${path}: mixes additionalProperties with preserve-unknown-fields`);
  if (s.type === 'array' && s.items === undefined) problems.push(`${path}: array without items`);
  if (path !== 'metadata' && (s.description ?? '') === '')
    problems.push(`${path}: no description, so kubectl explain says nothing`);
  for (const r of s.required ?? [])
    if (s.properties?.[r] === undefined) problems.push(`${path}: requires undeclared ${r}`);
  for (const key of s['x-kubernetes-list-map-keys'] ?? [])
    if (!(s.items?.required ?? []).includes(key))
      problems.push(`${path}: map list key ${key} is not required of every item`);
  for (const { rule } of s['x-kubernetes-validations'] ?? [])
    for (const [, field] of rule.matchAll(/has\(self\.(\w+)\)/g))
      if (s.properties?.[field ?? ''] === undefined)
        problems.push(`${path}: rule ${rule} reads undeclared ${field ?? ''}`);
  return problems;
}

/**
 * What the apiserver (or kubectl explain, or server-side apply) would object to in a CRD's
 * openAPIV3Schema: a node without a type, properties beside additionalProperties, an array
 * without items, a field without a description, `required` or CEL rules over undeclared fields,
 * map-list keys that items need not carry, or metadata described beyond `type: object`.
 */
export function structuralProblems(root: JsonSchemaProps): string[] {
  const problems = schemaNodes(root).flatMap(([path, s]) => nodeProblems(path, s));
  const metadata = root.properties?.['metadata'];
  if (metadata === undefined || JSON.stringify(metadata) !== '{"type":"object"}')
    problems.push('metadata: a CRD may say only type: object about metadata');
  return problems;
}
