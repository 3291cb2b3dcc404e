/** A part of the local git server (HTTP bridge, sshd) that failed to start or stop. */
export class GitServerError extends Error {
  override readonly name = 'GitServerError';
  constructor(
    readonly component: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${component}: ${message}`, options);
  }
}
