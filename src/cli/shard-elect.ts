import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { LeaseHttp } from '../reconcile/lease.js';
import type { Logger } from '../reconcile/log.js';
import { ShardElector, type ShardWork } from '../reconcile/shard-elector.js';
import type { LeaderElectFlags } from './leader-elect.js';
import { parseInteger } from './parse.js';

/** The sharding flags of `ballast controller`. */
export interface ShardFlags {
  /** `--sharded`: replicas share the Applications, shard by shard, each through its own Lease. */
  sharded: boolean;
  /** `--shards`: how many shards; the same on every replica. */
  shards: number;
}

/** 16 shards: an even share for up to 16 replicas, and 16 Lease writes per replica per round at most. */
export const defaultShards = 16;

/** Declares `--sharded` and `--shards` on `cmd`. */
export function shardOptions(cmd: Command, leasePrefix: string): Command {
  return cmd
    .option(
      '--sharded',
      `replicas share the Applications: each holds some of the shards, each through its Lease ${leasePrefix}-shard-<i> (instead of --leader-elect)`,
      false,
    )
    .option(
      '--shards <n>',
      'how many shards the Applications are split into with --sharded; the same on every replica',
      parseInteger({ min: 1, max: 256 }),
      defaultShards,
    );
}

/** One replica taking part in the sharding of `work`. */
export interface ShardCampaignSpec {
  http: LeaseHttp;
  leasePrefix: string;
  namespace: string;
  flags: ShardFlags & LeaderElectFlags;
  logger: Logger;
  work: ShardWork;
  /** Called when this replica first holds shard 0: the one place replica-wide chores run. */
  firstOfShardZero: () => void;
}

/**
 * Starts taking part in the sharding: the replica works on the shards it holds, and logs each
 * change of what it holds. Unlike leader election, a shard lost is not fatal: its work was
 * aborted through the gate, and the shard may be taken again once that work has stopped.
 */
export function startShardCampaign(spec: ShardCampaignSpec): ShardElector {
  const identity = `${hostname()}-${process.pid}`;
  const { logger, flags } = spec;
  let choresStarted = false;
  return ShardElector.start(spec.http, {
    leasePrefix: spec.leasePrefix,
    namespace: spec.namespace,
    identity,
    shards: flags.shards,
    leaseDurationMs: flags.leaseDuration,
    renewDeadlineMs: flags.renewDeadline,
    retryPeriodMs: flags.retryPeriod,
    requestTimeoutMs: Math.min(5_000, flags.renewDeadline / 2),
    work: {
      start: (shard, signal) => {
        spec.work.start(shard, signal);
        if (shard === 0 && !choresStarted) {
          choresStarted = true;
          spec.firstOfShardZero();
        }
      },
      stop: (shard) => spec.work.stop(shard),
    },
    onHeld: (shards) => {
      logger.info({ identity, shards, held: shards.length }, 'shards held');
    },
    onError: (e) => {
      logger.warn({ identity, err: e.message }, 'shard election');
    },
  });
}
