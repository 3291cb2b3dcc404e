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

/** Where a ring reads and makes keys: the cluster, or a fixture in unit tests. */
export interface SealingKeyStore {
  read(namespace: string): Promise<{ keys: SealingKeys; problems: string[] }>;
  create(namespace: string, modulusLength: number): Promise<{ name: string }>;
}

export function clusterKeyStore(cluster: Cluster): SealingKeyStore {
  return {
    read: (namespace) => readSealingKeys(cluster, namespace),
    create: (namespace, modulusLength) => createSealingKey(cluster, namespace, modulusLength),
  };
}

/** After a failed read or renewal, the next try comes this soon, doubling up to `refreshMs`. */
const firstRetryMs = 2_000;

/**
 * One timer drives every read and renewal, and one check runs at a time, so two checks never
 * both make a key. A leader checks again when the newest key comes due, not a whole
 * `refreshMs` later, and a failed check is retried soon rather than at the next refresh.
 */
export class SealingKeyRing {
  private keys: SealingKeys = { keys: [] };
  private timer: NodeJS.Timeout | undefined;
  private running: { done: Promise<CheckOutcome>; asLeader: boolean } | undefined;
  private leading = false;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly store: SealingKeyStore,
    private readonly options: SealingKeyOptions,
    private readonly log: (fields: Record<string, unknown>, msg: string) => void,
  ) {}

  /** What the renders use now: the keys last read, newest first. */
  readonly current = (): SealingKeys => this.keys;

  async refresh(): Promise<void> {
    const { keys, problems } = await this.store.read(this.options.namespace);
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
    const made = await this.store.create(this.options.namespace, this.options.modulusLength);
    this.log({ namespace: this.options.namespace, name: made.name }, 'new sealing key made');
    await this.refresh();
    return true;
  }

  /**
   * From now on each check also renews the key when due: only the leader calls this. Resolves
   * after the first check. Never throws: a controller whose account may not write Secrets
   * there still reconciles, with the keys it has.
   */
  async lead(): Promise<void> {
    this.leading = true;
    await this.check();
  }

  /** Reads the keys now, then keeps them fresh until stop(). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.check();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs one check, or waits for the one running; then schedules the next. */
  private async check(): Promise<void> {
    while (this.running !== undefined) {
      const { done, asLeader } = this.running;
      await done;
      // A check that started before lead() did not renew: run one more, as the leader.
      if (asLeader || !this.leading) return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const done = this.once();
    this.running = { done, asLeader: this.leading };
    const outcome = await done;
    this.running = undefined;
    this.schedule(outcome);
  }

  private async once(): Promise<CheckOutcome> {
    try {
      const made = this.leading ? await this.renewIfDue() : (await this.refresh(), false);
      this.failures = 0;
      return made ? 'made' : 'read';
    } catch (e) {
      this.failures += 1;
      const what = this.leading ? 'cannot renew the sealing key' : 'cannot read sealing keys';
      this.log({ err: e instanceof Error ? e.message : String(e) }, what);
      return 'failed';
    }
  }

  /**
   * After a key is made the next check waits a whole `refreshMs`, so a period shorter than
   * key generation cannot make keys back to back.
   */
  private schedule(outcome: CheckOutcome): void {
    if (this.stopped) return;
    const { refreshMs, renewPeriodMs } = this.options;
    let delay = refreshMs;
    if (outcome === 'failed') delay = Math.min(refreshMs, firstRetryMs * 2 ** (this.failures - 1));
    else if (outcome === 'read' && this.leading && renewPeriodMs > 0) {
      const newest = this.keys.keys[0];
      if (newest !== undefined)
        delay = Math.min(refreshMs, Math.max(0, newest.notBeforeMs + renewPeriodMs - Date.now()));
    }
    this.timer = setTimeout(() => void this.check(), delay);
    this.timer.unref();
  }
}

type CheckOutcome = 'made' | 'read' | 'failed';
