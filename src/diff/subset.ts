import { groupOf, type KubeObject } from '../api/object.js';
import { fieldsOwnedBy, hasEveryPath, type KeyDefaults } from './fieldsv1.js';
import { isRecord } from './json.js';
import { foldStringData } from './secret.js';

/** Does `live` hold `want` (every key of a map, every item of a list, the exact scalar)? */
function holds(want: unknown, live: unknown): boolean {
  if (want === null) return live === null || live === undefined;
  if (Array.isArray(want)) {
    return (
      Array.isArray(live) && live.length === want.length && want.every((w, i) => holds(w, live[i]))
    );
  }
  if (isRecord(want)) {
    if (!isRecord(live)) return false;
    return Object.entries(want).every(([k, w]) => holds(w, live[k]));
  }
  return want === live;
}

/**
 * Does the live object still hold every value the desired object sets? A cheap local test
 * run on each watch event before asking the apiserver anything. True means no field Ballast
 * sets was changed, so there is no drift to look for. False means only "compare properly":
 * the apiserver may store a value in another form (a quantity, a defaulted list item), which
 * the dry run and diff then judge. Status and fields only others set are not looked at.
 */
export function holdsDesired(desired: KubeObject, live: KubeObject): boolean {
  const want: Record<string, unknown> = { ...desired };
  delete want['status'];
  if (desired.apiVersion === 'v1' && desired.kind === 'Secret' && 'stringData' in want) {
    // stringData is write-only: the apiserver keeps it as base64 in data.
    const copy: Record<string, unknown> = {
      ...want,
      data: isRecord(want['data']) ? { ...want['data'] } : {},
    };
    foldStringData(copy);
    return holds(copy, live);
  }
  return holds(want, live);
}

/**
 * A port's protocol, a key of Service and container port lists, is TCP when omitted. Only
 * built-in API groups (no dot, or `*.k8s.io`) are known to default it so: a custom resource's
 * schema may default it otherwise, or not at all.
 */
function keyDefaultsOf(obj: KubeObject): KeyDefaults {
  const group = groupOf(obj.apiVersion);
  return !group.includes('.') || group.endsWith('.k8s.io') ? { protocol: 'TCP' } : {};
}

/**
 * Would a server-side apply of `desired` by `manager` leave `live` as it is? Yes when live
 * holds every value desired sets, and desired still names every field the manager owns (a field
 * it dropped, the apply would remove), counting a built-in port's omitted protocol as the TCP
 * it is defaulted to. The sync skips the dry run of such an object. False means only "ask the
 * apiserver": a value stored in another form, another defaulted list key or a terminating
 * object all go to the dry run and diff, as before.
 */
export function appliesNothing(desired: KubeObject, live: KubeObject, manager: string): boolean {
  if (live.metadata.deletionTimestamp !== undefined) return false;
  if (!holdsDesired(desired, live)) return false;
  const owned = fieldsOwnedBy(live, [manager]);
  return owned.kind === 'ok' && hasEveryPath(desired, owned.node, keyDefaultsOf(desired));
}
