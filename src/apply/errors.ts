import { formatRef, type ObjectRef, type Origin } from '../api/object.js';

/** One object could not be planned, applied or pruned. Names the object, its file and the fix. */
export class SyncObjectError extends Error {
  override readonly name = 'SyncObjectError';
  constructor(
    readonly subject: ObjectRef,
    readonly origin: Origin | undefined,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    const where = origin === undefined ? '' : ` (${origin.file}:${origin.line})`;
    super(`${formatRef(subject)}${where}: ${problem}`, options);
  }
}
