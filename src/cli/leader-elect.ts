import { hostname } from 'node:os';
import type { Command } from 'commander';
import {
  defaultLeaderElectionOptions,
  LeaderElector,
  type ReleaseResult,
} from '../reconcile/leader.js';
import type { LeaseHttp } from '../reconcile/lease.js';
import type { Logger } from '../reconcile/log.js';
import { durationOption } from './options.js';
import { parseNamespace } from './parse.js';

/**
 * The leader-election flags of `ballast controller` and `ballast hub`: replicas of either
 * contend for one Lease, and only its holder reconciles.
 */
export interface LeaderElectFlags {
  /** `--leader-elect`: run only while holding the Lease. */
  leaderElect: boolean;
  /** `--lease-namespace`: undefined when the command's fallback applies (see leaderElectOptions). */
  leaseNamespace?: string;
  /** How long a Lease outlives its last renewal. */
  leaseDuration: number;
  /** The leader steps down after failing renewals this long. */
  renewDeadline: number;
  /** How often the Lease is tried or renewed. */
  retryPeriod: number;
}

/** What leaderElectOptions declares for one command. */
export interface LeaderElectDeclaration {
  /** The Lease's name, for the help text. */
  leaseName: string;
  /** The default `--lease-namespace`, or how the command picks it (in words, for the help). */
  namespace: { kind: 'fixed'; namespace: string } | { kind: 'described'; text: string };
}

/** Declares `--leader-elect`, `--lease-namespace` and the Lease's three timings on `cmd`. */
export function leaderElectOptions(cmd: Command, d: LeaderElectDeclaration): Command {
  const lease = defaultLeaderElectionOptions('', '', '');
  cmd.option('--leader-elect', `run only while holding the ${d.leaseName} Lease`, false);
  if (d.namespace.kind === 'fixed')
    cmd.option(
      '--lease-namespace <ns>',
      'namespace of the Lease',
      parseNamespace,
      d.namespace.namespace,
    );
  else
    cmd.option(
      '--lease-namespace <ns>',
      `namespace of the Lease (default: ${d.namespace.text})`,
      parseNamespace,
    );
  durationOption(
    cmd,
    '--lease-duration <d>',
    'how long a lease outlives its last renewal',
    lease.leaseDurationMs,
  );
  durationOption(
    cmd,
    '--renew-deadline <d>',
    'the leader steps down after failing renewals this long',
    lease.renewDeadlineMs,
  );
  return durationOption(
    cmd,
    '--retry-period <d>',
    'how often the lease is tried or renewed',
    lease.retryPeriodMs,
  );
}

/** One replica's campaign for a Lease. */
export interface CampaignSpec {
  /** The apiserver holding the Lease. */
  http: LeaseHttp;
  leaseName: string;
  /** Where the Lease is: the flag's value or the command's fallback. */
  namespace: string;
  flags: LeaderElectFlags;
  logger: Logger;
  /** What the replica runs, `controller` or `hub`: logged as "<what> started". */
  what: string;
  /** Starts the work; called once, when this replica first leads. */
  lead: () => Promise<void>;
}

/**
 * Contends for the Lease; the work runs only while this replica holds it. A lost term ends the
 * process: in-flight work may still be writing, and another replica may already lead, so
 * stopping at once and letting a fresh process campaign is the safe way back.
 */
export class Campaign {
  /** The holderIdentity this replica writes: host and pid, unique per process. */
  readonly identity = `${hostname()}-${process.pid}`;
  private readonly elector: LeaderElector;
  /** Whether a shutdown is under way; a term ending then is expected, not a lost lease. */
  private shuttingDown = false;

  private constructor(private readonly spec: CampaignSpec) {
    const { flags, logger, what } = spec;
    const identity = this.identity;
    this.elector = LeaderElector.start(spec.http, {
      leaseName: spec.leaseName,
      namespace: spec.namespace,
      identity,
      leaseDurationMs: flags.leaseDuration,
      renewDeadlineMs: flags.renewDeadline,
      retryPeriodMs: flags.retryPeriod,
      onStartedLeading: () => {
        logger.info({ identity }, 'started leading');
        spec.lead().then(
          () => {
            logger.info({ identity }, `${what} started`);
          },
          (e: unknown) => {
            logger.fatal({ identity, err: String(e) }, `${what} failed to start`);
            process.exit(1);
          },
        );
      },
      onStoppedLeading: () => {
        if (this.shuttingDown) return;
        logger.error({ identity }, 'lost the lease; exiting so a fresh process campaigns again');
        process.exit(1);
      },
      onNewLeader: (holder) => {
        if (holder !== identity) logger.info({ identity, leader: holder }, 'following');
      },
      onError: (e) => {
        logger.warn({ identity, err: e.message }, 'leader election');
      },
    });
  }

  static start(spec: CampaignSpec): Campaign {
    return new Campaign(spec);
  }

  /** From now on a term ending is the shutdown's doing: call before stopping the work. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  /**
   * Hands the Lease back, so another replica takes over at its next retry instead of waiting
   * for the Lease to expire. Call only once the work has stopped: the next leader may start
   * the moment the Lease is written.
   */
  async release(): Promise<ReleaseResult> {
    this.shuttingDown = true;
    const released = await this.elector.release();
    const err = released.kind === 'failed' ? released.error.message : undefined;
    this.spec.logger.info({ lease: released.kind, ...(err === undefined ? {} : { err }) }, 'lease');
    return released;
  }
}
