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
    /** The Status's details: what the apiserver was looking for, e.g. the missing namespace. */
    readonly details?: { kind?: string; name?: string },
    /** How long the apiserver asked the client to wait (Retry-After); 0 when it did not. */
    readonly retryAfterSeconds = 0,
  ) {
    const who = typeof subject === 'string' ? subject : formatRef(subject);
    super(`${who}: ${verb} failed: ${status} ${reason}: ${apiMessage}`);
  }

  /**
   * Built from a Status body, or from raw text when the body is not a Status (the apiserver's
   * throttling answers are plain text). `retryAfter` is the Retry-After header, if any.
   */
  static from(
    subject: ObjectRef | string,
    verb: string,
    status: number,
    body: string,
    retryAfter?: string,
  ): KubeApiError {
    const header = retryAfterSecondsOf(retryAfter);
    try {
      const s = JSON.parse(body) as {
        reason?: string;
        message?: string;
        details?: { kind?: string; name?: string; retryAfterSeconds?: unknown };
      };
      // The header wins; a Status may say the same in its details.
      const inBody = s.details?.retryAfterSeconds;
      const seconds =
        header > 0 ? header : typeof inBody === 'number' && inBody > 0 ? Math.ceil(inBody) : 0;
      return new KubeApiError(
        subject,
        verb,
        status,
        s.reason ?? 'Unknown',
        s.message ?? body.slice(0, 500),
        s.details,
        seconds,
      );
    } catch {
      return new KubeApiError(
        subject,
        verb,
        status,
        'Unknown',
        body.slice(0, 500).trim(),
        undefined,
        header,
      );
    }
  }
}

/** Retry-After in seconds: delta-seconds or an HTTP date; 0 when absent or unreadable. */
export function retryAfterSecondsOf(header: string | undefined, now = Date.now()): number {
  if (header === undefined || header.trim() === '') return 0;
  const n = Number(header);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const at = Date.parse(header);
  return Number.isNaN(at) ? 0 : Math.max(0, Math.ceil((at - now) / 1000));
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

const why = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

/**
 * The kubeconfig (or in-cluster config) cannot be used. The message names the file and what to
 * change; subclasses tell the cases apart for callers that handle one of them.
 */
export class KubeconfigError extends Error {
  override readonly name: string = 'KubeconfigError';
  constructor(
    /** The kubeconfig files involved; empty for the in-cluster config. */
    readonly files: readonly string[],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const where = (files: readonly string[]): string => `kubeconfig ${files.join(', ')}`;

/** Where a kubeconfig file's name came from, so the error says what to fix. */
export type KubeconfigOrigin = '--kubeconfig' | '$KUBECONFIG' | '~/.kube/config';

/** A kubeconfig file is missing or unreadable. */
export class KubeconfigReadError extends KubeconfigError {
  override readonly name = 'KubeconfigReadError';
  constructor(
    files: readonly string[],
    readonly origin: KubeconfigOrigin,
    cause: unknown,
  ) {
    const fix = {
      '--kubeconfig': 'check the --kubeconfig path',
      $KUBECONFIG: 'fix or unset $KUBECONFIG',
      '~/.kube/config': 'fix its permissions or pass --kubeconfig',
    }[origin];
    super(
      files,
      `${where(files)}${origin === '$KUBECONFIG' ? ' (from $KUBECONFIG)' : ''}: cannot be read (${why(cause)}); ${fix}`,
      { cause },
    );
  }
}

/** No kubeconfig anywhere, and not in a Pod (or a context was asked for that only a file can hold). */
export class NoKubeconfigError extends KubeconfigError {
  override readonly name = 'NoKubeconfigError';
  constructor(homeConfig: string, context: string | undefined) {
    super(
      [],
      context === undefined
        ? `no kubeconfig: $KUBECONFIG is unset, ${homeConfig} does not exist and this is not a Pod with a service account; pass --kubeconfig or set KUBECONFIG`
        : `context "${context}" was asked for, but there is no kubeconfig to find it in ($KUBECONFIG is unset and ${homeConfig} does not exist); pass --kubeconfig`,
    );
  }
}

/** The file is not YAML, or not shaped like a kubeconfig. */
export class KubeconfigParseError extends KubeconfigError {
  override readonly name = 'KubeconfigParseError';
  constructor(file: string, cause: unknown) {
    // yaml's messages carry a code frame after the first line; the first line has the position.
    const first = (why(cause).split('\n')[0] ?? '').replace(/:$/, '');
    super([file], `${where([file])}: not a valid kubeconfig (${first}); fix the file`, { cause });
  }
}

/** The context asked for (or the current-context) is not in the kubeconfig. */
export class KubeconfigContextError extends KubeconfigError {
  override readonly name = 'KubeconfigContextError';
  constructor(
    files: readonly string[],
    readonly context: string | undefined,
    known: readonly string[],
  ) {
    const choices = known.length === 0 ? 'it defines no contexts' : `it has ${known.join(', ')}`;
    super(
      files,
      context === undefined
        ? `${where(files)}: no current-context is set (${choices}); pass --context or run kubectl config use-context`
        : `${where(files)}: no context "${context}" (${choices}); pass --context with one of them`,
    );
  }
}

/** A context names a cluster or user that no kubeconfig file defines. */
export class KubeconfigReferenceError extends KubeconfigError {
  override readonly name = 'KubeconfigReferenceError';
  constructor(
    files: readonly string[],
    readonly context: string,
    readonly kind: 'cluster' | 'user',
    readonly missing: string | undefined,
  ) {
    super(
      files,
      missing === undefined
        ? `${where(files)}: context "${context}" names no ${kind}; set contexts[].context.${kind}`
        : `${where(files)}: context "${context}" names ${kind} "${missing}", which is not defined; add it under ${kind}s or fix the context`,
    );
  }
}

/** The selected cluster has no server URL, or one that is not http(s). */
export class KubeconfigServerError extends KubeconfigError {
  override readonly name = 'KubeconfigServerError';
  constructor(
    file: string,
    readonly cluster: string,
    server: string | undefined,
  ) {
    super(
      [file],
      `${where([file])}: cluster "${cluster}" ${server === undefined ? 'has no server' : `has server "${server}", which is not an http(s) URL`}; set it to the apiserver's URL, e.g. https://host:6443`,
    );
  }
}

/** A certificate, key or token file that the kubeconfig names cannot be read. */
export class KubeconfigCredentialFileError extends KubeconfigError {
  override readonly name = 'KubeconfigCredentialFileError';
  constructor(
    file: string | undefined,
    /** What the file is for, e.g. `user "admin" client-certificate`. */
    readonly what: string,
    readonly path: string,
    cause: unknown,
  ) {
    const origin = file === undefined ? 'in-cluster config' : where([file]);
    const fix =
      file === undefined
        ? 'check the Pod mounts its service account token'
        : "fix the path; a relative one is taken from the kubeconfig's folder";
    super(
      file === undefined ? [] : [file],
      `${origin}: ${what} ${path} cannot be read (${why(cause)}); ${fix}`,
      { cause },
    );
  }
}

/** The selected user's credentials are incomplete, e.g. a client certificate without its key. */
export class KubeconfigUserError extends KubeconfigError {
  override readonly name = 'KubeconfigUserError';
  constructor(
    file: string,
    readonly user: string,
    problem: string,
  ) {
    super([file], `${where([file])}: user "${user}" ${problem}`);
  }
}

/** An exec plugin or auth provider (run by client-node) failed to produce credentials. */
export class KubeconfigPluginError extends KubeconfigError {
  override readonly name = 'KubeconfigPluginError';
  constructor(
    file: string,
    readonly user: string,
    cause: unknown,
  ) {
    super(
      [file],
      `${where([file])}: user "${user}": the credential plugin failed (${why(cause).trim()}); check that its command runs on its own and prints an ExecCredential`,
      { cause },
    );
  }
}

/** A service account token is mounted, but the Pod's apiserver address is not in the environment. */
export class InClusterConfigError extends KubeconfigError {
  override readonly name = 'InClusterConfigError';
  constructor() {
    super(
      [],
      'in-cluster config: a service account token is mounted but KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT is unset; pass --kubeconfig when not running in a Pod',
    );
  }
}
