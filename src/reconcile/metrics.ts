import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ApplicationError } from './errors.js';
import type { Outcome } from './runner.js';

/** Live figures the registry reads at scrape time, so nothing has to push them. */
export interface MetricsSources {
  /** Keys waiting for a worker in the Application queue. */
  appQueueDepth: () => number;
  /** Keys waiting for a worker in the drift queue. */
  driftQueueDepth: () => number;
  /** Application reconciles running now. */
  inFlight: () => number;
  /** Open watches on managed kinds and on Applications. */
  watches: () => number;
}

/** What a scrape returns. */
export interface Scrape {
  contentType: string;
  body: string;
}

/**
 * Seconds, from a no-op resync of a small app to a sync of a large one. Few buckets: each is a
 * series per outcome, and /metrics must stay cheap with thousands of Applications.
 */
const durationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** A runner error's class name (ReconcileTimeoutError…), when it is one. */
const reasonPattern = /^[A-Z][A-Za-z]{1,40}$/;

/**
 * Why a reconcile failed, as a bounded label. An Application's failure carries its condition
 * reason (FetchFailed, Throttled…); other errors their class name. Anything else is `Other`,
 * so a message can never become a label value.
 */
function reasonOf(outcome: Outcome): string {
  if (outcome.kind === 'ok') return '';
  const e = outcome.error;
  if (e instanceof ApplicationError) return e.reason;
  if (reasonPattern.test(e.name) && e.name !== 'Error') return e.name;
  return 'Other';
}

const resultOf = { ok: 'synced', retry: 'failed', terminal: 'stalled' } as const;

/**
 * The controller's Prometheus series, on a registry of its own: two controllers in one process
 * (tests, benches) must not share counters, and a library must not fill the global registry.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'outcome'>;
  private readonly results: Counter<'result' | 'reason'>;
  private readonly driftTotal: Counter<'result'>;
  private readonly apps: Gauge;
  private readonly outcomes: Counter<'kind'>;
  private readonly shardsHeldGauge: Gauge;
  private readonly shardHeldGauge: Gauge<'shard'>;
  private sources: MetricsSources = {
    appQueueDepth: () => 0,
    driftQueueDepth: () => 0,
    inFlight: () => 0,
    watches: () => 0,
  };
  /** Kept beside the counter so callers can read it without an async scrape. */
  private readonly driftSeen = { found: 0, reverted: 0 };

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.duration = new Histogram({
      name: 'ballast_reconcile_duration_seconds',
      help: 'Time one reconcile of one Application took, by outcome (ok, retry, terminal).',
      labelNames: ['outcome'],
      buckets: durationBuckets,
      registers,
    });
    this.results = new Counter({
      name: 'ballast_sync_results_total',
      help: 'Reconciles by result (synced, failed, stalled) and failure reason.',
      labelNames: ['result', 'reason'],
      registers,
    });
    this.driftTotal = new Counter({
      name: 'ballast_drift_total',
      help: 'Manual changes found on managed objects (found), and those reverted (reverted).',
      labelNames: ['result'],
      registers,
    });
    this.outcomes = new Counter({
      name: 'ballast_outcomes_total',
      help:
        'Outcomes recorded for the audit ledger, by kind: sync-applied, commit-refused, large-commit, ' +
        'drift-detected, drift-reverted, rollback, manual-sync, suspend, resume, secret-rotated.',
      labelNames: ['kind'],
      registers,
    });
    this.apps = new Gauge({
      name: 'ballast_applications',
      help: 'Applications the controller knows.',
      registers,
    });
    this.shardsHeldGauge = new Gauge({
      name: 'ballast_shards_held',
      help: 'Shards this replica holds and works on (sharded controllers only).',
      registers,
    });
    this.shardHeldGauge = new Gauge({
      name: 'ballast_shard_held',
      help: 'Per shard: 1 while this replica holds it, 0 otherwise (sharded controllers only).',
      labelNames: ['shard'],
      registers,
    });
    this.gauge('ballast_queue_depth', 'Keys waiting for a worker, by queue.', ['queue'], (g) => {
      g.set({ queue: 'applications' }, this.sources.appQueueDepth());
      g.set({ queue: 'drift' }, this.sources.driftQueueDepth());
    });
    this.gauge('ballast_reconciles_in_flight', 'Application reconciles running now.', [], (g) => {
      g.set(this.sources.inFlight());
    });
    this.gauge('ballast_watches', 'Open watches (managed kinds and Applications).', [], (g) => {
      g.set(this.sources.watches());
    });
    // Zero series exist from the start, so a rate() over them is defined before the first event.
    this.driftTotal.inc({ result: 'found' }, 0);
    this.driftTotal.inc({ result: 'reverted' }, 0);
  }

  private gauge(
    name: string,
    help: string,
    labelNames: string[],
    collect: (g: Gauge) => void,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        collect(this);
      },
    });
  }

  /** Connects the scrape-time gauges to the controller's queues and watches. */
  bind(sources: Partial<MetricsSources>): void {
    this.sources = { ...this.sources, ...sources };
  }

  set applications(n: number) {
    this.apps.set(n);
  }

  /** The shards held now, out of `total`; every shard has a series, 0 or 1. */
  shardsHeld(held: readonly number[], total: number): void {
    this.shardsHeldGauge.set(held.length);
    for (let i = 0; i < total; i++)
      this.shardHeldGauge.set({ shard: String(i) }, held.includes(i) ? 1 : 0);
  }

  reconciled(outcome: Outcome, durationMs: number): void {
    this.duration.observe({ outcome: outcome.kind }, durationMs / 1000);
    this.results.inc({ result: resultOf[outcome.kind], reason: reasonOf(outcome) });
  }

  /** One outcome worth a ledger record, e.g. a refused commit. */
  outcome(kind: string): void {
    this.outcomes.inc({ kind });
  }

  /** Drift seen so far, and how much of it was reverted. */
  get driftCounts(): { found: number; reverted: number } {
    return { ...this.driftSeen };
  }

  drift(healed: boolean): void {
    this.driftSeen.found += 1;
    this.driftTotal.inc({ result: 'found' });
    if (!healed) return;
    this.driftSeen.reverted += 1;
    this.driftTotal.inc({ result: 'reverted' });
  }

  /** The Prometheus text exposition of every series. */
  async scrape(): Promise<Scrape> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
