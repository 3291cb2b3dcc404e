import { describe, expect, it } from 'vitest';
import { defaultOf, type AnySchema } from '../api/schema.js';
import type { JsonSchemaProps } from '../api/schema-openapi.js';
import { validate } from '../api/schema-validate.js';
import { schemaNodes, structuralProblems } from '../api/structural.js';
import { fleetCrds, fleetResources } from './crds.js';

interface Crd {
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; categories: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: unknown;
      additionalPrinterColumns: { name: string; type: string; jsonPath: string }[];
      schema: { openAPIV3Schema: JsonSchemaProps };
    }[];
  };
}

const crds = fleetCrds() as unknown as Crd[];
const byKind = new Map(crds.map((c) => [c.spec.names.kind, c]));

function version(kind: string): Crd['spec']['versions'][number] {
  const v = byKind.get(kind)?.spec.versions[0];
  if (v === undefined) throw new Error(`no CRD for ${kind}`);
  return v;
}

/** Every builder node with its path, to check what the generated JSON no longer shows. */
function builderNodes(s: AnySchema, path: string): [string, AnySchema][] {
  const out: [string, AnySchema][] = [[path, s]];
  const n = s.node;
  if (n.type === 'object')
    for (const [k, f] of Object.entries(n.fields)) out.push(...builderNodes(f, `${path}.${k}`));
  if (n.type === 'array') out.push(...builderNodes(n.items, `${path}[]`));
  if (n.type === 'map') out.push(...builderNodes(n.values, `${path}{}`));
  return out;
}

describe('the fleet CRDs', () => {
  it('serve Cluster, FleetApplication and Assignment as namespaced ballast.dev/v1alpha1 kinds with a status subresource', () => {
    expect(crds.map((c) => c.metadata.name)).toEqual([
      'clusters.ballast.dev',
      'fleetapplications.ballast.dev',
      'assignments.ballast.dev',
    ]);
    for (const c of crds) {
      expect(c.spec).toMatchObject({ group: 'ballast.dev', scope: 'Namespaced' });
      expect(c.spec.names.categories).toEqual(['ballast']);
      expect(c.spec.versions).toHaveLength(1);
      expect(c.spec.versions[0]).toMatchObject({
        name: 'v1alpha1',
        served: true,
        storage: true,
        subresources: { status: {} },
      });
    }
  });

  it('are structural, with what the Application CRD test checks: types, items, descriptions, required and CEL fields declared', () => {
    for (const c of crds)
      expect(
        structuralProblems(version(c.spec.names.kind).schema.openAPIV3Schema),
        c.metadata.name,
      ).toEqual([]);
  });

  it('preserve unknown fields only in the template’s Helm values', () => {
    const preserved = crds.flatMap((c) =>
      schemaNodes(version(c.spec.names.kind).schema.openAPIV3Schema)
        .filter(([, s]) => s['x-kubernetes-preserve-unknown-fields'] === true)
        .map(([p]) => `${c.spec.names.kind} ${p}`),
    );
    expect(preserved).toEqual([
      'FleetApplication spec.template.source.helm.values',
      'Assignment spec.application.source.helm.values',
    ]);
  });

  it('have defaults that pass their own validation, so the apiserver accepts the CRDs', () => {
    for (const k of fleetResources) {
      const built = [...builderNodes(k.spec, 'spec'), ...builderNodes(k.status, 'status')];
      for (const [path, s] of built.filter(([, b]) => defaultOf(b.node) !== undefined)) {
        const r = validate(s, defaultOf(s.node), path);
        expect(r.kind === 'ok' ? [] : r.problems, `${k.kind} ${path}`).toEqual([]);
      }
    }
  });

  it("check a Cluster's name at the root, where only a CEL rule may read metadata.name", () => {
    const root = version('Cluster').schema.openAPIV3Schema;
    expect(root['x-kubernetes-validations']).toEqual([
      {
        rule: "self.metadata.name.size() <= 47 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
        message:
          "a Cluster's name is a DNS label of at most 47 characters, so that its hub namespace ballast-cluster-<name> is a DNS label too",
      },
    ]);
    expect(root.required).toBeUndefined();
    expect(version('FleetApplication').schema.openAPIV3Schema.required).toEqual(['spec']);
  });

  it('print the columns a kubectl user expects, from fields the schema has', () => {
    const columns = (kind: string) =>
      version(kind)
        .additionalPrinterColumns.filter((c) => !('priority' in c))
        .map((c) => c.name.toUpperCase());
    expect(columns('Cluster')).toEqual(['READY', 'AGENT', 'K8S', 'LAST-SEEN', 'APPS', 'AGE']);
    expect(columns('FleetApplication')).toEqual([
      'CLUSTERS',
      'SYNCED',
      'HEALTHY',
      'REVISION',
      'ROLLOUT',
      'READY',
      'AGE',
    ]);
    expect(columns('Assignment')).toEqual(['CLUSTER', 'SYNC', 'HEALTH', 'REVISION', 'AGE']);
    for (const c of crds) {
      const v = version(c.spec.names.kind);
      const paths = new Set(schemaNodes(v.schema.openAPIV3Schema).map(([p]) => p));
      for (const col of v.additionalPrinterColumns) {
        if (col.jsonPath === '.metadata.creationTimestamp') continue;
        const field = col.jsonPath.slice(1).replace(/\[\?\(.*\)\]/, '[]');
        expect(paths, `${c.spec.names.kind} ${col.name}`).toContain(field);
      }
    }
  });
});
