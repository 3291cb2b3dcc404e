/**
 * The error rule of Ballast, one for the whole tree.
 *
 * 1. RETURN a result when failing is an answer about the input, one the caller must plan for:
 *    an invalid Application, Secret, file or inventory, a commit that is not trusted, objects
 *    the apiserver refused. The failed branch is always `Failed<E>`, `{ kind: 'error'; error }`,
 *    where `error` is a typed error class naming the input (object, file, Secret) and the
 *    problem. Other branches that are not success (`refused`, `gone`) are outcomes, not errors.
 * 2. THROW when what the function depends on failed (the apiserver, the network, Git, the
 *    disk) or an invariant broke. What is thrown is a typed error class whose message starts
 *    with its subject and whose `cause` is the underlying error. Callers let it travel: nothing
 *    catches an error only to re-wrap its message on the way up.
 * 3. Errors are told apart by class (`instanceof`) and by the fields their class declares (a
 *    KubeApiError's `status`), never by probing an unknown value for a field.
 * 4. A reconciler catches at one place per pass (reconcile/errors.ts `failureOf`), which turns
 *    whatever was thrown into a Ready condition reason and an Outcome. Inside a pass, a stage
 *    that gets a failed result throws it on as a `StageError` with its reason, straight to that
 *    catch. A throw that reaches the runner is a bug, `ReconcilePanicError`, and nothing else is.
 * 5. Apiserver answers that mean "try again" (409, 429, 5xx, a dropped connection) are neither
 *    bugs nor the tenant's fault: they become `ApiServerRetryError` (reasons `Conflict`,
 *    `Throttled`, `ApiServerUnavailable`), retried with backoff, never sooner than the answer's
 *    Retry-After, and never counted against `spec.syncPolicy.retry.limit`.
 */

/** The failed branch of every result union (rule 1). */
export interface Failed<E extends Error> {
  kind: 'error';
  error: E;
}

/** A value or the typed error saying why there is none. */
export type Result<T, E extends Error> = { kind: 'ok'; value: T } | Failed<E>;
