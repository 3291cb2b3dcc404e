import { formatRef, type ObjectRef } from '../api/object.js';

/**
 * One object could not be compared. It carries the object's identity, not the object: a Secret's
 * data must never ride along into a log line or an Event.
 */
export class DiffError extends Error {
  override readonly name = 'DiffError';
  constructor(
    readonly subject: ObjectRef,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${formatRef(subject)}: ${problem}`, options);
  }
}
