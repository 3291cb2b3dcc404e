/** How an agent gets and keeps its hub identity. */
export interface AgentRegistrationOptions {
  /** The Cluster name to register as (a DNS label of at most 47 characters). */
  clusterName: string;
  /** The hub apiserver's URL. */
  hubUrl: string;
  /** PEM CA bundle for the hub's serving certificate; undefined: the system's CAs. */
  hubCaPem: string | undefined;
  /** The registration token; only needed when nothing valid is stored. */
  token: string | undefined;
  /** Where the token came from, for messages (never the token itself). */
  tokenSource: string;
  /** The agent's namespace on the spoke, where the credential Secret is kept. */
  namespace: string;
  /** The credential Secret's name. */
  secretName: string;
  /** Lifetime asked for each certificate. */
  expirationSeconds: number;
  /** How long to wait for the hub to approve and sign. */
  waitTimeoutMs: number;
  /** Between reads of a pending CSR. */
  pollIntervalMs: number;
  /** The time in ms; replaceable so a test can read a certificate as older than it is. */
  clock: () => number;
  /** Lines about renewals that failed; never a key or a token. */
  log: (line: string) => void;
}

export function defaultAgentRegistrationOptions(): Omit<
  AgentRegistrationOptions,
  'clusterName' | 'hubUrl' | 'hubCaPem' | 'token'
> {
  return {
    tokenSource: 'the registration token',
    namespace: 'ballast-agent',
    secretName: 'ballast-hub-credential',
    expirationSeconds: 24 * 3600,
    waitTimeoutMs: 120_000,
    pollIntervalMs: 500,
    clock: Date.now,
    log: (line) => {
      process.stderr.write(`${line}\n`);
    },
  };
}
