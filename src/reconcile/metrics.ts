/**
 * The controller's counters, rendered in the Prometheus text format. Kept to a handful of
 * series so /metrics stays cheap with thousands of Applications.
 */
export class Metrics {
  applications = 0;
  private readonly results = new Map<string, number>();
  private durationSum = 0;
  private durationCount = 0;
  private driftFound = 0;
  private driftReverted = 0;

  reconciled(outcome: string, durationMs: number): void {
    this.results.set(outcome, (this.results.get(outcome) ?? 0) + 1);
    this.durationSum += durationMs / 1000;
    this.durationCount += 1;
  }

  /** Drift seen so far, and how much of it was reverted. */
  get driftCounts(): { found: number; reverted: number } {
    return { found: this.driftFound, reverted: this.driftReverted };
  }

  drift(healed: boolean): void {
    this.driftFound += 1;
    if (healed) this.driftReverted += 1;
  }

  render(gauges: { queueDepth: number; driftQueueDepth: number }): string {
    const lines = [
      '# HELP ballast_applications Applications the controller knows.',
      '# TYPE ballast_applications gauge',
      `ballast_applications ${this.applications}`,
      '# HELP ballast_reconcile_total Reconciles by outcome.',
      '# TYPE ballast_reconcile_total counter',
      ...[...this.results.entries()].map(
        ([k, v]) => `ballast_reconcile_total{outcome="${k}"} ${v}`,
      ),
      '# HELP ballast_reconcile_duration_seconds Time spent reconciling.',
      '# TYPE ballast_reconcile_duration_seconds summary',
      `ballast_reconcile_duration_seconds_sum ${this.durationSum}`,
      `ballast_reconcile_duration_seconds_count ${this.durationCount}`,
      '# HELP ballast_queue_depth Keys waiting in a work queue.',
      '# TYPE ballast_queue_depth gauge',
      `ballast_queue_depth{queue="applications"} ${gauges.queueDepth}`,
      `ballast_queue_depth{queue="drift"} ${gauges.driftQueueDepth}`,
      '# HELP ballast_drift_total Manual changes found on managed objects, and those reverted.',
      '# TYPE ballast_drift_total counter',
      `ballast_drift_total{result="found"} ${this.driftFound}`,
      `ballast_drift_total{result="reverted"} ${this.driftReverted}`,
    ];
    return lines.join('\n') + '\n';
  }
}
