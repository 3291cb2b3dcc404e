import type { Logger } from '../../reconcile/log.js';
import { classifyHubError } from './hub.js';

export interface HubLinkOptions {
  logger: Logger;
  /** The hub's address, for the log lines. */
  server: string;
  /** First wait before trying a lost hub again; doubles per failure. */
  initialMs: number;
  /** The longest wait between tries. */
  maxMs: number;
  /** Brings everything level again once the hub answers; throws while it does not. */
  reconnect: () => Promise<void>;
  /** The hub refused the Cluster's identity or namespace. */
  onDeregistered: (message: string) => void;
  /**
   * Whether the hub apiserver says it is ready (`/readyz`). One that is starting answers 403
   * until its RBAC caches are filled: a refusal then is a hub coming back, not deregistration.
   */
  hubReady: () => Promise<boolean>;
  /**
   * How long after the last renewal of the Lease a failed renewal is only retried at the next
   * beat: the heartbeat timeout less one interval, so that the next beat still renews in time.
   */
  beatGraceMs: number;
}

/**
 * Whether the hub answers, and the way back when it does not: one log line when it is lost,
 * retries with exponential backoff (no tight loop), one log line when it is regained, after
 * `reconnect` has re-listed and reported everything.
 */
export class HubLink {
  private state: 'up' | 'down' = 'up';
  /** Whether the loss was logged, so its regain is too: a busy hub is not a lost one. */
  private announced = false;
  private lostAt = 0;
  /** When the Lease was last renewed (a beat, or a reconnect, which renews first). */
  private renewedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private beat: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: HubLinkOptions) {}

  get up(): boolean {
    return this.state === 'up';
  }

  /** A hub request failed with `e`. */
  failed(e: unknown): void {
    if (this.stopped) return;
    const trouble = classifyHubError(e);
    if (trouble.kind === 'deregistered') {
      void this.refused(trouble.message);
      return;
    }
    if (trouble.kind === 'other') {
      this.opts.logger.warn({ err: trouble.message }, 'hub request failed');
      return;
    }
    if (trouble.kind === 'busy') {
      this.opts.logger.debug({ err: trouble.message }, 'hub busy; backing off');
      this.goDown();
      return;
    }
    this.lost(trouble.message);
  }

  /** Renews the Lease every `intervalMs` while the hub is up; a failure goes to beatFailed. */
  startBeats(renew: () => Promise<void>, intervalMs: number): void {
    this.beat = setInterval(() => {
      if (this.state !== 'up' || this.stopped) return;
      renew().then(
        () => {
          this.renewed();
        },
        (e: unknown) => {
          if (!this.stopped) this.beatFailed(e);
        },
      );
    }, intervalMs);
  }

  /** A beat renewed the Lease. */
  renewed(): void {
    this.renewedAt = Date.now();
  }

  /**
   * A beat's renewal failed. A hub that is slow or busy, while the Lease last written still
   * holds past the next beat, is only tried again at that beat: taking it for lost would make
   * each agent re-list and re-report everything, which is what a hub under load can least
   * afford when all its agents do it at once.
   */
  beatFailed(e: unknown): void {
    const trouble = classifyHubError(e);
    const slow = trouble.kind === 'busy' || trouble.kind === 'unreachable';
    if (slow && Date.now() - this.renewedAt < this.opts.beatGraceMs) {
      this.opts.logger.debug(
        { err: trouble.message },
        'Lease renewal failed; retried at the next beat',
      );
      return;
    }
    this.failed(e);
  }

  private lost(message: string): void {
    if (this.announced) return;
    this.goDown();
    this.announced = true;
    this.opts.logger.warn(
      { hub: this.opts.server, err: message },
      `lost the hub; healing goes on from the Applications on this cluster, retrying with backoff up to ${Math.round(this.opts.maxMs / 1000)} s`,
    );
  }

  /** A refusal of the identity counts only from a hub that is ready; else the hub is lost. */
  private async refused(message: string): Promise<boolean> {
    const ready = await this.opts.hubReady().catch(() => false);
    if (this.stopped) return true;
    if (ready) this.opts.onDeregistered(message);
    else this.lost(`${message} (the hub is not ready: /readyz)`);
    return ready;
  }

  /**
   * Stops talking to the hub, except to retry `reconnect` with backoff: after a failure of
   * the first contact whatever it was, or when the hub is lost or busy.
   */
  goDown(): void {
    if (this.state === 'down' || this.stopped) return;
    this.state = 'down';
    this.lostAt = Date.now();
    this.retry(this.opts.initialMs);
  }

  private retry(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.opts.reconnect().then(
        () => {
          if (this.stopped) return;
          this.state = 'up';
          this.renewedAt = Date.now();
          if (!this.announced) return;
          this.announced = false;
          this.opts.logger.info(
            { hub: this.opts.server, downForMs: Date.now() - this.lostAt },
            'regained the hub; Assignments re-listed and every status reported',
          );
        },
        (e: unknown) => {
          if (this.stopped) return;
          const trouble = classifyHubError(e);
          const next = (): void => {
            this.retry(Math.min(delayMs * 2, this.opts.maxMs));
          };
          if (trouble.kind === 'deregistered') {
            void this.refused(trouble.message).then((ready) => {
              if (!ready) next();
            });
            return;
          }
          if (trouble.kind === 'other')
            this.opts.logger.warn({ err: trouble.message }, 'hub request failed');
          next();
        },
      );
    }, delayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.beat !== undefined) clearInterval(this.beat);
  }
}
