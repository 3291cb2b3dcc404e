import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import type { RenderedObject } from '../render/index.js';
import { candidates } from './drift.js';

const obj = (
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
): RenderedObject => {
  const object: KubeObject = {
    apiVersion,
    kind,
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
  };
  return { object, origin: { file: `${kind}-${name}.yaml`, line: 1 } };
};

/** A render holding `web` three times (two namespaces, one other kind) among `filler` others. */
function render(filler: number): RenderedObject[] {
  const rest = Array.from({ length: filler }, (_, i) => obj('v1', 'ConfigMap', `cm-${i}`));
  return [
    ...rest.slice(0, filler / 2),
    obj('apps/v1', 'Deployment', 'web', 'shop'),
    obj('v1', 'Service', 'web'),
    obj('apps/v1', 'Deployment', 'web', 'staging'),
    ...rest.slice(filler / 2),
  ];
}

const web = { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' };

describe('finding the rendered objects a watch event names', () => {
  it.each([
    ['a small render, scanned', 10],
    ['a render of thousands, indexed', 3000],
  ])('%s: every namespace of the group, kind and name, in render order', (_, filler) => {
    const objects = render(filler);
    const found = candidates(objects, web).map((d) => d.object.metadata.namespace);
    expect(found).toEqual(['shop', 'staging']);
    // A second lookup in the same render answers alike (the index is built once).
    expect(candidates(objects, { ...web, kind: 'Service', group: '' })).toHaveLength(1);
  });

  it('finds nothing for a name the render does not hold, or another group', () => {
    for (const filler of [10, 3000]) {
      expect(candidates(render(filler), { ...web, name: 'api' })).toEqual([]);
      expect(candidates(render(filler), { ...web, group: 'extensions' })).toEqual([]);
    }
  });

  it('reads a new render afresh, not the index of the last one', () => {
    const before = render(3000);
    expect(candidates(before, web)).toHaveLength(2);
    const after = before.filter((d) => d.object.metadata.namespace !== 'staging');
    expect(candidates(after, web).map((d) => d.object.metadata.namespace)).toEqual(['shop']);
  });
});
