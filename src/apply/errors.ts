import { formatRef, type ObjectRef, type Origin } from '../api/object.js';
import { KubeApiError } from '../cluster/errors.js';

/** One object could not be planned, applied or pruned. Names the object, its file and the fix. */
export class SyncObjectError extends Error {
  override readonly name = 'SyncObjectError';
  constructor(
    readonly subject: ObjectRef,
    readonly origin: Origin | undefined,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${SyncObjectError.where(subject, origin)}: ${problem}`, options);
  }

  /** The object and the file it came from, as messages name it. */
  static where(subject: ObjectRef, origin: Origin | undefined): string {
    return `${formatRef(subject)}${origin === undefined ? '' : ` (${origin.file}:${origin.line})`}`;
  }
}

/** Was the object refused because its namespace does not exist? */
export function isNamespaceMissing(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 404 && e.details?.kind === 'namespaces';
}

/** Did RBAC refuse the request? The apiserver's message names the identity, verb and resource. */
export function isForbidden(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 403;
}

/**
 * What the apiserver's refusal of an object means for the person reading it. A missing
 * namespace refuses every object in it alike, so it names the two ways out.
 */
export function refusal(e: unknown): string {
  if (!(e instanceof KubeApiError)) return String(e);
  if (isNamespaceMissing(e))
    return (
      `namespace "${e.details?.name ?? ''}" does not exist: create it, or let the sync create it ` +
      '(`ballast sync --create-namespace`, or spec.syncPolicy.syncOptions.createNamespace: true)'
    );
  if (isForbidden(e))
    return `${e.apiMessage}; grant that in RBAC, or remove the object from the repository`;
  return `the apiserver refused it: ${e.status} ${e.reason}: ${e.apiMessage}`;
}

/**
 * The errors as lines, one per distinct problem: a thousand objects refused for one cause
 * read as one line naming the first `named` of them and how many more, not a thousand lines.
 */
export function groupedErrors(errors: readonly SyncObjectError[], named = 5): string[] {
  const byProblem = new Map<string, SyncObjectError[]>();
  for (const e of errors) {
    const group = byProblem.get(e.problem);
    if (group === undefined) byProblem.set(e.problem, [e]);
    else group.push(e);
  }
  return [...byProblem].map(([problem, group]) => {
    if (group.length === 1) return group[0]?.message ?? problem;
    const names = group.slice(0, named).map((e) => SyncObjectError.where(e.subject, e.origin));
    const more = group.length > named ? ` and ${group.length - named} more` : '';
    return `${group.length} objects (${names.join(', ')}${more}): ${problem}`;
  });
}
