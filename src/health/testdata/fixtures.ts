import type { KubeObject } from '../../api/object.js';

/** Picks items by name from a `kubectl get -o json` List fixture; a missing name is a test bug. */
export function itemsByName(list: { items: readonly KubeObject[] }): (name: string) => KubeObject {
  return (name) => {
    const found = list.items.find((item) => item.metadata.name === name);
    if (found === undefined) throw new Error(`fixture ${name}: not in the list`);
    return found;
  };
}
