/** A registration token's lifetime that cannot be used. */
export class TokenTtlError extends Error {
  override readonly name = 'TokenTtlError';
  constructor(
    readonly given: string,
    problem: string,
  ) {
    super(`--ttl ${given}: ${problem}`);
  }
}

/**
 * The registration token cannot register: not a token at all (`malformed`), or the hub does not
 * accept it (`refused`: expired, revoked by deleting its Secret, or from another hub). The
 * message never contains the token.
 */
export class RegistrationTokenError extends Error {
  override readonly name = 'RegistrationTokenError';
  constructor(
    readonly kind: 'malformed' | 'refused',
    /** Where the token came from, e.g. `--token-file /etc/ballast/token`. */
    readonly source: string,
    readonly hub: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(
      kind === 'malformed'
        ? `${source}: not a registration token (${detail}); it should hold exactly what \`ballast fleet token create\` printed`
        : `${source}: the hub ${hub} refused the registration token (${detail}): it has expired, was revoked (its Secret deleted) or belongs to another hub; run \`ballast fleet token create\` on the hub for a new one`,
      options,
    );
  }
}

/** The registrar denied the CSR; the reason is the CSR's Denied condition's. */
export class RegistrationDeniedError extends Error {
  override readonly name = 'RegistrationDeniedError';
  constructor(
    readonly cluster: string,
    readonly csr: string,
    readonly reason: string,
    readonly detail: string,
  ) {
    super(
      `cluster "${cluster}": the hub denied CertificateSigningRequest ${csr} (${reason}): ${detail}`,
    );
  }
}

/** No certificate was issued in time: the registrar or the hub's signer is not running. */
export class RegistrationTimeoutError extends Error {
  override readonly name = 'RegistrationTimeoutError';
  constructor(
    readonly cluster: string,
    readonly csr: string,
    readonly waitedMs: number,
  ) {
    super(
      `cluster "${cluster}": CertificateSigningRequest ${csr} got no certificate within ${Math.round(waitedMs / 1000)} s; check that \`ballast hub\` runs (it approves) and that the hub's kube-controller-manager signs kubernetes.io/kube-apiserver-client certificates`,
    );
  }
}

/** The stored credential Secret on the spoke cannot be read or used. */
export class CredentialStoreError extends Error {
  override readonly name = 'CredentialStoreError';
  constructor(
    readonly namespace: string,
    readonly secret: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(
      `Secret ${namespace}/${secret} on the spoke: ${problem}; delete it to register again with a new token`,
      options,
    );
  }
}

/** Nothing stored and no token given: the agent cannot get a hub identity. */
export class NoRegistrationTokenError extends Error {
  override readonly name = 'NoRegistrationTokenError';
  constructor(
    readonly cluster: string,
    /** Where a token was looked for, e.g. `--token-file F, which does not exist`. */
    readonly tokenSource: string,
    why: string,
  ) {
    super(
      `cluster "${cluster}": ${why}, and no registration token was given (${tokenSource}); pass --token-file with a token from \`ballast fleet token create\``,
    );
  }
}
