import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DuplicateObjectError, InvalidObjectError, LimitExceededError } from './errors.js';
import { checkObjects, documentObjects, type ObjectsResult } from './objects.js';
import { defaultParseLimits } from './options.js';
import type { RenderedObject } from './types.js';
import { parseDocuments } from './yaml.js';

const limits = defaultParseLimits();
const testdata = new URL('./testdata/', import.meta.url);

function objectsOf(text: string, file = 'app/x.yaml'): ObjectsResult[] {
  const parsed = parseDocuments(text, file, limits);
  if (parsed.kind === 'error') throw parsed.error;
  return parsed.documents.map((d) => documentObjects(d, (line) => ({ file, line })));
}

function ok(text: string): RenderedObject[] {
  return objectsOf(text).flatMap((r) => {
    if (r.kind === 'error') throw r.error;
    return r.objects;
  });
}

function firstError(text: string): InvalidObjectError | undefined {
  for (const r of objectsOf(text)) if (r.kind === 'error') return r.error;
  return undefined;
}

describe('documentObjects', () => {
  it('expands a RoleList into its items, each at its own line', () => {
    const text = readFileSync(new URL('plain-app/roles.yml', testdata), 'utf8');
    const objects = ok(text);
    expect(objects.map((o) => [o.object.kind, o.object.metadata.namespace, o.origin.line])).toEqual(
      [
        ['Role', 'shop', 4],
        ['Role', 'kube-system', 10],
      ],
    );
  });

  it('expands any kind ending in List, such as ConfigMapList, and a plain List', () => {
    const cm = (name: string): string =>
      `  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: ${name}\n`;
    const text = `apiVersion: v1\nkind: ConfigMapList\nitems:\n${cm('a')}${cm('b')}---\napiVersion: v1\nkind: List\nitems:\n${cm('c')}`;
    expect(ok(text).map((o) => o.object.metadata.name)).toEqual(['a', 'b', 'c']);
  });

  it('treats a List with `items: null` as empty', () => {
    expect(ok('apiVersion: v1\nkind: List\nitems:\n')).toEqual([]);
  });

  it('keeps a kind that merely ends in List when it has no items field', () => {
    const text = 'apiVersion: example.com/v1\nkind: AllowList\nmetadata:\n  name: a\nspec: {}\n';
    expect(ok(text).map((o) => o.object.kind)).toEqual(['AllowList']);
  });

  it('refuses an object without metadata.name, naming file and line', () => {
    const text = readFileSync(new URL('yaml/objects.yaml', testdata), 'utf8');
    const error = firstError(text);
    expect(error).toBeInstanceOf(InvalidObjectError);
    expect(error?.file).toBe('app/x.yaml');
    expect(error?.line).toBe(6);
    expect(error?.message).toMatch(
      /^app\/x\.yaml:6: the ConfigMap has no metadata\.name; give it a fixed name/,
    );
  });

  it('refuses an object without apiVersion', () => {
    expect(firstError('kind: ConfigMap\nmetadata:\n  name: a\n')?.message).toMatch(
      /^app\/x\.yaml:1: the object has no apiVersion; add one/,
    );
  });

  it('refuses an object without kind', () => {
    expect(firstError('apiVersion: v1\nmetadata:\n  name: a\n')?.message).toMatch(/has no kind/);
  });

  it('refuses a document that is not a mapping', () => {
    expect(firstError('- just\n- a list\n')?.message).toMatch(/is not a Kubernetes object/);
  });

  it('refuses a List item without a name, at the item line', () => {
    const text =
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {}\n';
    const error = firstError(text);
    expect(error?.line).toBe(4);
  });

  it('refuses an unquoted number as a label value, saying to quote it', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    version: 1.0\n';
    const error = firstError(text);
    expect(error?.object?.metadata.name).toBe('a');
    expect(error?.message).toMatch(
      /^app\/x\.yaml:1: ConfigMap\/a: the value of label 'version' is 1, not a string; quote it/,
    );
  });

  it('treats an empty `namespace:` as no namespace, as kubectl does', () => {
    const [o] = ok('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace:\n');
    expect(o?.object.metadata).toEqual({ name: 'a' });
  });
});

describe('checkObjects', () => {
  const cm = (name: string, namespace?: string): RenderedObject => ({
    object: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, ...(namespace ? { namespace } : {}) },
    },
    origin: { file: `app/${name}.yaml`, line: 3 },
  });

  it('refuses two objects with the same group, kind, namespace and name, naming both places', () => {
    const second = { ...cm('web', 'shop'), origin: { file: 'app/other.yaml', line: 9 } };
    const error = checkObjects([cm('web', 'shop'), second], limits, 'app');
    expect(error).toBeInstanceOf(DuplicateObjectError);
    expect(error?.message).toBe(
      'app/other.yaml:9: ConfigMap/shop/web: is defined twice (first at app/web.yaml:3); remove or rename one of them',
    );
  });

  it('accepts the same name in different namespaces or different groups', () => {
    const deployment: RenderedObject = {
      object: { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'web' } },
      origin: { file: 'app/d.yaml', line: 1 },
    };
    expect(
      checkObjects([cm('web', 'a'), cm('web', 'b'), cm('web'), deployment], limits, 'app'),
    ).toBeUndefined();
  });

  it('refuses more objects than the limit', () => {
    const error = checkObjects([cm('a'), cm('b')], { ...limits, maxObjects: 1 }, 'app');
    expect(error).toBeInstanceOf(LimitExceededError);
  });
});
