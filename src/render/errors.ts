import { formatRef, refOf, type KubeObject, type Origin } from '../api/object.js';

/** Why a render failed. The reconciler maps each reason to its own condition reason. */
export type RenderErrorReason =
  | 'path-escape'
  | 'remote-resource'
  | 'invalid-yaml'
  | 'limit-exceeded'
  | 'invalid-object'
  | 'duplicate-object'
  | 'tool-failed'
  | 'decryption-failed'
  | 'substitution-failed'
  | 'unseal-failed'
  | 'io';

/** Where an error points: a file or directory relative to the repository root, and a line when known. */
export interface ErrorSubject {
  file: string;
  /** 1-based; undefined when the error concerns a whole file or directory. */
  line?: number | undefined;
  /** The object involved, when the error is about one object. */
  object?: KubeObject | undefined;
  cause?: unknown;
}

/** `file:line`, or `file` alone when the line is unknown. The repository root is `.`. */
export function formatSubject(file: string, line: number | undefined): string {
  const f = file === '' ? '.' : file;
  return line === undefined ? f : `${f}:${line}`;
}

/**
 * The base of every render failure. The message starts with `file:line` and ends with what to
 * do, so it can go to status conditions and Events as it is.
 */
export abstract class RenderError extends Error {
  abstract readonly reason: RenderErrorReason;
  readonly file: string;
  readonly line: number | undefined;
  readonly object: KubeObject | undefined;

  protected constructor(subject: ErrorSubject, message: string) {
    const about = subject.object === undefined ? '' : `${formatRef(refOf(subject.object))}: `;
    super(`${formatSubject(subject.file, subject.line)}: ${about}${message}`, {
      cause: subject.cause,
    });
    this.file = subject.file;
    this.line = subject.line;
    this.object = subject.object;
  }
}

/** A path, symlink or reference leads outside the repository (the Argo CD CVE-2022-24348 class). */
export class PathEscapeError extends RenderError {
  override readonly name = 'PathEscapeError';
  override readonly reason = 'path-escape' as const;
  constructor(subject: ErrorSubject, problem: string) {
    super(subject, `${problem}; keep every path and symlink relative and inside the repository`);
  }
}

/** A kustomization refers to a remote base or resource, which Ballast never fetches. */
export class RemoteResourceError extends RenderError {
  override readonly name = 'RemoteResourceError';
  override readonly reason = 'remote-resource' as const;
  constructor(
    subject: ErrorSubject,
    readonly reference: string,
  ) {
    super(
      subject,
      `refers to the remote resource '${reference}', and remote bases are disabled; vendor it into the repository and refer to it by a relative path`,
    );
  }
}

/** A document is not valid YAML. */
export class InvalidYamlError extends RenderError {
  override readonly name = 'InvalidYamlError';
  override readonly reason = 'invalid-yaml' as const;
  constructor(subject: ErrorSubject, problem: string) {
    super(subject, `is not valid YAML: ${problem}; fix the syntax`);
  }
}

/** An input was larger or more expanded than the configured limits allow. */
export class LimitExceededError extends RenderError {
  override readonly name = 'LimitExceededError';
  override readonly reason = 'limit-exceeded' as const;
  constructor(subject: ErrorSubject, problem: string, remedy: string) {
    super(subject, `${problem}; ${remedy}`);
  }
}

/** A document is not a usable Kubernetes object (no apiVersion, kind or name; wrong types). */
export class InvalidObjectError extends RenderError {
  override readonly name = 'InvalidObjectError';
  override readonly reason = 'invalid-object' as const;
  constructor(subject: ErrorSubject, problem: string, remedy: string) {
    super(subject, `${problem}; ${remedy}`);
  }
}

/** Two rendered objects share group, kind, namespace and name. */
export class DuplicateObjectError extends RenderError {
  override readonly name = 'DuplicateObjectError';
  override readonly reason = 'duplicate-object' as const;
  constructor(
    subject: ErrorSubject & { object: KubeObject },
    readonly first: Origin,
  ) {
    super(
      subject,
      `is defined twice (first at ${formatSubject(first.file, first.line)}); remove or rename one of them`,
    );
  }
}

/** helm or kustomize failed. `cause` is the ProcessError with the tool's own message. */
export class ToolFailedError extends RenderError {
  override readonly name = 'ToolFailedError';
  override readonly reason = 'tool-failed' as const;
  constructor(
    subject: ErrorSubject,
    readonly tool: 'helm' | 'kustomize',
    detail: string,
    remedy = `fix the ${tool} input and push again`,
  ) {
    super(subject, `${tool} failed: ${detail}; ${remedy}`);
  }
}

/**
 * A SOPS-encrypted file could not be decrypted: no keys configured, no matching key, a MAC
 * mismatch or a tampered value. `cause` is the SopsError; the message names the key needed,
 * never key material or plaintext.
 */
export class DecryptionFailedError extends RenderError {
  override readonly name = 'DecryptionFailedError';
  override readonly reason = 'decryption-failed' as const;
  constructor(subject: ErrorSubject, problem: string) {
    super(subject, problem.trim());
  }
}

/**
 * `${name}` substitution failed: an unset variable without a default, a malformed reference,
 * or values too large. The message lists each problem with its file, object, field and variable.
 */
export class SubstitutionFailedError extends RenderError {
  override readonly name = 'SubstitutionFailedError';
  override readonly reason = 'substitution-failed' as const;
  constructor(subject: ErrorSubject, problems: string) {
    super(subject, problems);
    // Each problem starts with its own file:line and object, so the subject's prefix would repeat them.
    this.message = problems;
  }
}

/**
 * A SealedSecret no sealing key opens (wrong key, wrong scope, moved to another namespace or
 * name, tampered). The message names the file, the object and the scope tried, never a value.
 */
export class UnsealFailedError extends RenderError {
  override readonly name = 'UnsealFailedError';
  override readonly reason = 'unseal-failed' as const;
  constructor(subject: ErrorSubject, problem: string) {
    super(subject, problem.trim());
  }
}

/** The tree could not be read (permissions, a file vanished mid-render). */
export class RenderIoError extends RenderError {
  override readonly name = 'RenderIoError';
  override readonly reason = 'io' as const;
  constructor(subject: ErrorSubject, problem: string) {
    super(subject, `${problem}; check the checkout is complete and readable`);
  }
}

/** Every concrete render error, for exhaustive switches on `reason`. */
export type AnyRenderError =
  | PathEscapeError
  | RemoteResourceError
  | InvalidYamlError
  | LimitExceededError
  | InvalidObjectError
  | DuplicateObjectError
  | ToolFailedError
  | DecryptionFailedError
  | SubstitutionFailedError
  | UnsealFailedError
  | RenderIoError;
