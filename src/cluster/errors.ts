import { formatRef, type ObjectRef } from '../api/object.js';

/** The apiserver could not be reached at all: down, wrong address, TLS failure or timeout. */
export class ApiServerUnreachableError extends Error {
  override readonly name = 'ApiServerUnreachableError';
  constructor(
    readonly server: string,
    readonly context: string,
    cause: unknown,
  ) {
    super(
      `apiserver ${server} (context ${context}): unreachable (${cause instanceof Error ? cause.message : String(cause)}); check that the cluster is up and the kubeconfig points at it — nothing was changed`,
      { cause },
    );
  }
}

/** The apiserver answered an object's request with an error status. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly subject: ObjectRef | string,
    readonly verb: string,
    readonly status: number,
    readonly reason: string,
    readonly apiMessage: string,
  ) {
    const who = typeof subject === 'string' ? subject : formatRef(subject);
    super(`${who}: ${verb} failed: ${status} ${reason}: ${apiMessage}`);
  }

  /** Built from a Status body, or from raw text when the body is not a Status. */
  static from(
    subject: ObjectRef | string,
    verb: string,
    status: number,
    body: string,
  ): KubeApiError {
    try {
      const s = JSON.parse(body) as { reason?: string; message?: string };
      return new KubeApiError(
        subject,
        verb,
        status,
        s.reason ?? 'Unknown',
        s.message ?? body.slice(0, 500),
      );
    } catch {
      return new KubeApiError(subject, verb, status, 'Unknown', body.slice(0, 500));
    }
  }
}

/** A kind the apiserver does not serve (missing CRD, typo in apiVersion). */
export class UnknownKindError extends Error {
  override readonly name = 'UnknownKindError';
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
    readonly subject?: ObjectRef,
  ) {
    super(
      `${subject === undefined ? `${kind} ${apiVersion}` : formatRef(subject)}: the apiserver serves no kind ${kind} in ${apiVersion}; install its CRD first or fix the apiVersion`,
    );
  }
}
