import { describe, expect, it } from 'vitest';
import type { JsonSchemaProps } from './schema-openapi.js';
import { schemaNodes, structuralProblems } from './structural.js';

const root = (spec: JsonSchemaProps): JsonSchemaProps => ({
  type: 'object',
  description: 'root',
  properties: { metadata: { type: 'object' }, spec },
});

describe('structuralProblems', () => {
  it('accepts a described schema with a map, a keyed list and a CEL rule over its own fields', () => {
    const spec: JsonSchemaProps = {
      type: 'object',
      description: 'spec',
      properties: {
        a: { type: 'string', description: 'a' },
        labels: {
          type: 'object',
          description: 'labels',
          additionalProperties: { type: 'string', description: 'value' },
        },
        items: {
          type: 'array',
          description: 'items',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            description: 'item',
            properties: { name: { type: 'string', description: 'n' } },
            required: ['name'],
          },
        },
      },
      required: ['a'],
      'x-kubernetes-validations': [{ rule: '[has(self.a)].exists_one(x, x)', message: 'm' }],
    };
    expect(structuralProblems(root(spec))).toEqual([]);
    expect(schemaNodes(root(spec)).map(([p]) => p)).toContain('spec.labels{}');
  });

  it('names each thing the apiserver or kubectl explain would object to', () => {
    const spec = {
      type: 'object',
      description: 'spec',
      properties: {
        mixed: {
          type: 'object',
          description: 'mixed',
          properties: {},
          additionalProperties: { type: 'string', description: 'v' },
        },
        list: { type: 'array', description: 'list' },
        bare: { type: 'string' },
        keyed: {
          type: 'array',
          description: 'keyed',
          'x-kubernetes-list-map-keys': ['id'],
          items: { type: 'object', description: 'item', properties: {} },
        },
      },
      required: ['ghost'],
      'x-kubernetes-validations': [{ rule: 'has(self.phantom)', message: 'm' }],
    } as JsonSchemaProps;
    const withMetadata = {
      ...root(spec),
      properties: { metadata: { type: 'object', description: 'x' }, spec },
    } as JsonSchemaProps;
    expect(structuralProblems(withMetadata)).toEqual([
      'spec: requires undeclared ghost',
      'spec: rule has(self.phantom) reads undeclared phantom',
      'spec.mixed: mixes properties with additionalProperties',
      'spec.list: array without items',
      'spec.bare: no description, so kubectl explain says nothing',
      'spec.keyed: map list key id is not required of every item',
      'metadata: a CRD may say only type: object about metadata',
    ]);
  });
});
