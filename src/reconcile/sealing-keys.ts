import type { Cluster } from '../cluster/cluster.js';
import {
  generateSealingKey,
  isRenewalDue,
  newSealingKeyName,
  sealingKeyLabel,
  sealingKeySecret,
  sealingKeysFrom,
  type SealingKeys,
} from '../secrets/sealed/index.js';

/**
 * The controller's sealing keys: every active key Secret in its own namespace, read with its
 * own identity (a tenant's account never reads them, and no Application field names another
 * namespace). Refreshed on a timer, so a key added by `ballast secrets seal-keygen` or by the
 * upstream controller is picked up without a restart.
 */

export interface SealingKeyOptions {
  /** The controller's namespace, the only place keys are read from and written to. */
  namespace: string;
  /** A new key is made when the newest is older than this; 0 turns renewal off. */
  renewPeriodMs: number;
  /** How often the key Secrets are listed again. */
  refreshMs: number;
  /** RSA modulus of renewed keys; upstream uses 4096. */
  modulusLength: number;
}

export function defaultSealingKeyOptions(namespace: string): SealingKeyOptions {
  return {
    namespace,
    renewPeriodMs: 30 * 24 * 3600 * 1000,
    refreshMs: 60_000,
    modulusLength: 4096,
  };
}

/** Lists the active key Secrets of `namespace`; problems name Secrets, never key material. */
export async function readSealingKeys(
  cluster: Cluster,
  namespace: string,
): Promise<{ keys: SealingKeys; problems: string[] }> {
  const info = await cluster.discovery.resolve('v1', 'Secret');
  if (info === undefined) return { keys: { keys: [] }, problems: ['Secrets are not served'] };
  const secrets = await cluster.list(info, {
    namespace,
    labelSelector: `${sealingKeyLabel}=active`,
  });
  return sealingKeysFrom(secrets);
}

/** Makes a new key Secret in `namespace`, as upstream's controller does; returns its name. */
export async function createSealingKey(
  cluster: Cluster,
  namespace: string,
  modulusLength = 4096,
): Promise<{ name: string; certPem: string }> {
  const pair = await generateSealingKey(undefined, modulusLength);
  const name = newSealingKeyName();
  await cluster.apply(sealingKeySecret(namespace, name, pair));
  return { name, certPem: pair.certPem };
}

export class SealingKeyRing {
  private keys: SealingKeys = { keys: [] };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: SealingKeyOptions,
    private readonly log: (fields: Record<string, unknown>, msg: string) => void,
  ) {}

  /** What the renders use now: the keys last read, newest first. */
  readonly current = (): SealingKeys => this.keys;

  async refresh(): Promise<void> {
    const { keys, problems } = await readSealingKeys(this.cluster, this.options.namespace);
    for (const p of problems) this.log({ problem: p }, 'sealing key skipped');
    this.keys = keys;
  }

  /**
   * Renews the sealing key when due. Only the leader calls this, so two replicas never both
   * make one; old keys stay, so files sealed to them still open.
   */
  async renewIfDue(nowMs = Date.now()): Promise<boolean> {
    await this.refresh();
    if (!isRenewalDue(this.keys, this.options.renewPeriodMs, nowMs)) return false;
    const made = await createSealingKey(
      this.cluster,
      this.options.namespace,
      this.options.modulusLength,
    );
    this.log({ namespace: this.options.namespace, name: made.name }, 'new sealing key made');
    await this.refresh();
    return true;
  }

  /** Set by the leader: from then on each tick also renews the key when due. */
  private leading = false;

  /**
   * Renews now if due, and on every later tick: only the leader calls this. Never throws: a
   * controller whose account may not write Secrets there still reconciles, with the keys it has.
   */
  async lead(): Promise<void> {
    this.leading = true;
    try {
      await this.renewIfDue();
    } catch (e) {
      this.log({ err: e instanceof Error ? e.message : String(e) }, 'cannot renew the sealing key');
    }
  }

  /** Refreshes now and then every `refreshMs` (renewing when due once leading). */
  async start(): Promise<void> {
    const tick = async (): Promise<void> => {
      try {
        if (this.leading) await this.renewIfDue();
        else await this.refresh();
      } catch (e) {
        this.log({ err: e instanceof Error ? e.message : String(e) }, 'cannot read sealing keys');
      }
    };
    await tick();
    this.timer = setInterval(() => void tick(), this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
