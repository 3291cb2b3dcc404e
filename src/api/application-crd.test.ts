import { describe, expect, it } from 'vitest';
import {
  applicationCrd,
  applicationCrdName,
  applicationOpenApiSchema,
  applicationPrinterColumns,
} from './application-crd.js';
import { applicationSpecSchema } from './application-spec.js';
import { applicationStatusSchema } from './application-status.js';
import { defaultOf, type AnySchema } from './schema.js';
import { validate } from './schema-validate.js';
import { schemaNodes, structuralProblems } from './structural.js';

/** Every builder node with its path, to check what the generated JSON no longer shows. */
function builderNodes(s: AnySchema, path: string): [string, AnySchema][] {
  const out: [string, AnySchema][] = [[path, s]];
  const n = s.node;
  if (n.type === 'object')
    for (const [k, f] of Object.entries(n.fields)) out.push(...builderNodes(f, `${path}.${k}`));
  if (n.type === 'array') out.push(...builderNodes(n.items, `${path}[]`));
  return out;
}

const root = applicationOpenApiSchema();
const all = schemaNodes(root);
const built = [
  ...builderNodes(applicationSpecSchema, 'spec'),
  ...builderNodes(applicationStatusSchema, 'status'),
];

describe('the Application CRD schema', () => {
  it('is structural: every node has a type, and no object mixes properties with additionalProperties', () => {
    expect(structuralProblems(root)).toEqual([]);
    // A map (spec.postBuild.substitute) has additionalProperties, and then no properties.
    for (const [path, s] of all)
      if (s.additionalProperties !== undefined) expect(s, path).not.toHaveProperty('properties');
    expect(all.filter(([, s]) => s.additionalProperties !== undefined).map(([p]) => p)).toEqual([
      'spec.postBuild.substitute',
    ]);
  });

  it('preserves unknown fields only in Helm values', () => {
    const preserved = all.filter(([, s]) => s['x-kubernetes-preserve-unknown-fields'] === true);
    expect(preserved.map(([p]) => p)).toEqual(['spec.source.helm.values']);
  });

  it('says no more about metadata than the apiserver allows', () => {
    expect(root.properties?.['metadata']).toEqual({ type: 'object' });
    expect(root.required).toEqual(['spec']);
  });

  it('describes every field, for kubectl explain', () => {
    for (const [path, s] of all) {
      if (path === 'metadata') continue;
      expect(s.description ?? '', `${path} has no description`).not.toBe('');
    }
  });

  it('requires only fields it declares', () => {
    for (const [path, s] of all)
      for (const r of s.required ?? []) expect(s.properties, `${path}.${r}`).toHaveProperty(r);
  });

  it('has defaults that pass its own validation, so the apiserver accepts the CRD', () => {
    const defaulted = built.filter(([, s]) => defaultOf(s.node) !== undefined);
    expect(defaulted.length).toBeGreaterThan(10);
    for (const [path, s] of defaulted) {
      const r = validate(s, defaultOf(s.node), path);
      expect(r.kind === 'ok' ? [] : r.problems, path).toEqual([]);
    }
  });

  it('keys map lists by fields every item must carry', () => {
    const maps = all.filter(([, s]) => s['x-kubernetes-list-type'] === 'map');
    expect(maps.map(([p]) => p)).toEqual(['status.conditions']);
    for (const [path, s] of maps)
      for (const key of s['x-kubernetes-list-map-keys'] ?? [])
        expect(s.items?.required, `${path} key ${key}`).toContain(key);
  });

  it('writes CEL rules only over fields the object declares', () => {
    const ruled = all.filter(([, s]) => s['x-kubernetes-validations'] !== undefined);
    expect(ruled.map(([p]) => p)).toEqual([
      'spec.source',
      'spec.syncPolicy.interval',
      'spec.ignoreDifferences[]',
      'spec.vault.auth',
      'spec.vault.refreshInterval',
    ]);
    for (const [path, s] of ruled) {
      for (const { rule } of s['x-kubernetes-validations'] ?? []) {
        for (const [, field] of rule.matchAll(/has\(self\.(\w+)\)/g))
          expect(s.properties, `${path}: ${rule}`).toHaveProperty(field ?? '');
      }
    }
  });

  it('bounds every Go duration with the same pattern', () => {
    const durations = all.filter(([p]) => /interval|duration|maxDuration/i.test(p));
    expect(durations.map(([p]) => p)).toEqual([
      'spec.syncPolicy.interval',
      'spec.syncPolicy.retry.backoff.duration',
      'spec.syncPolicy.retry.backoff.maxDuration',
      'spec.vault.refreshInterval',
    ]);
    for (const [, s] of durations) expect(s.pattern).toBe(durations[0]?.[1].pattern);
  });
});

describe('the Application CRD', () => {
  const crd = applicationCrd() as unknown as {
    metadata: { name: string };
    spec: {
      group: string;
      scope: string;
      names: { kind: string; plural: string; shortNames: string[] };
      versions: {
        name: string;
        served: boolean;
        storage: boolean;
        subresources: unknown;
        additionalPrinterColumns: { name: string; jsonPath: string }[];
      }[];
    };
  };

  it('serves ballast.dev/v1alpha1 Application, namespaced, as applications, app and apps', () => {
    expect(crd.metadata.name).toBe(applicationCrdName);
    expect(crd.metadata.name).toBe('applications.ballast.dev');
    expect(crd.spec).toMatchObject({
      group: 'ballast.dev',
      scope: 'Namespaced',
      names: { kind: 'Application', plural: 'applications', shortNames: ['app', 'apps'] },
    });
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
    });
  });

  it('prints Sync, Health, Revision, Ready and Age columns from fields the schema has', () => {
    const cols = crd.spec.versions[0]?.additionalPrinterColumns ?? [];
    expect(cols.map((c) => [c.name, c.jsonPath])).toEqual([
      ['Sync', '.status.sync.status'],
      ['Health', '.status.health.status'],
      ['Revision', '.status.sync.revision'],
      ['Ready', '.status.conditions[?(@.type=="Ready")].status'],
      ['Message', '.status.conditions[?(@.type=="Ready")].message'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
    expect(cols).toBe(applicationPrinterColumns);
    const paths = new Set(all.map(([p]) => p));
    for (const c of cols) {
      if (c.name === 'Age') continue;
      const field = c.jsonPath.slice(1).replace(/\[\?\(.*\)\]/, '[]');
      expect(paths, c.name).toContain(field);
    }
  });
});
