import { describe, expect, it } from 'vitest';
import { ApiServerRetryError, StageError } from './errors.js';
import { Metrics } from './metrics.js';

/** The value of one series in a Prometheus text exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Has a `reason` field but is no Application failure: the field must not become a label. */
class ReasonFieldError extends Error {
  constructor(readonly reason: string) {
    super(`${reason}: something broke`);
  }
}

describe('controller metrics', () => {
  it('exposes every controller series, and the process metrics, from its own registry', async () => {
    const m = new Metrics();
    const { body, contentType } = await m.scrape();
    expect(contentType).toMatch(/^text\/plain/);
    for (const name of [
      'ballast_reconcile_duration_seconds',
      'ballast_sync_results_total',
      'ballast_drift_total',
      'ballast_queue_depth',
      'ballast_reconciles_in_flight',
      'ballast_watches',
      'ballast_applications',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(body).toContain(`# TYPE ${name} `);
    }
    expect(sample(body, 'ballast_drift_total{result="found"}')).toBe(0);
  });

  it('two instances do not share counters', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.drift(true);
    expect(sample((await b.scrape()).body, 'ballast_drift_total{result="found"}')).toBe(0);
    expect(sample((await a.scrape()).body, 'ballast_drift_total{result="found"}')).toBe(1);
  });

  it("moves the duration histogram and the results by outcome and the failure class's reason", async () => {
    const m = new Metrics();
    m.reconciled({ kind: 'ok', requeueAfterMs: 1000 }, 120);
    m.reconciled({ kind: 'ok' }, 3000);
    m.reconciled({ kind: 'retry', error: new StageError('ns/a', 'FetchFailed', 'no repo') }, 40);
    const throttled = new ApiServerRetryError('ns/a', 'Throttled', 1000, '429 TooManyRequests');
    m.reconciled({ kind: 'retry', error: throttled }, 40);
    m.reconciled({ kind: 'retry', error: new Error('a message, never a label') }, 40);
    m.reconciled({ kind: 'terminal', error: new ReasonFieldError('FetchFailed') }, 10);
    const { body } = await m.scrape();
    expect(sample(body, 'ballast_reconcile_duration_seconds_count{outcome="ok"}')).toBe(2);
    expect(sample(body, 'ballast_reconcile_duration_seconds_sum{outcome="ok"}')).toBeCloseTo(3.12);
    expect(sample(body, 'ballast_reconcile_duration_seconds_bucket{le="0.25",outcome="ok"}')).toBe(
      1,
    );
    expect(sample(body, 'ballast_sync_results_total{result="synced",reason=""}')).toBe(2);
    expect(sample(body, 'ballast_sync_results_total{result="failed",reason="FetchFailed"}')).toBe(
      1,
    );
    expect(sample(body, 'ballast_sync_results_total{result="failed",reason="Throttled"}')).toBe(1);
    expect(sample(body, 'ballast_sync_results_total{result="failed",reason="Other"}')).toBe(1);
    expect(sample(body, 'ballast_sync_results_total{result="stalled",reason="Other"}')).toBe(1);
    expect(body).not.toContain('never a label');
  });

  it('counts drift found and reverted', async () => {
    const m = new Metrics();
    m.drift(true);
    m.drift(false);
    m.drift(true);
    expect(m.driftCounts).toEqual({ found: 3, reverted: 2 });
    const { body } = await m.scrape();
    expect(sample(body, 'ballast_drift_total{result="found"}')).toBe(3);
    expect(sample(body, 'ballast_drift_total{result="reverted"}')).toBe(2);
  });

  it('reads queue depth, in-flight runs, watches and applications at scrape time', async () => {
    const m = new Metrics();
    let depth = 3;
    m.bind({ appQueueDepth: () => depth, driftQueueDepth: () => 1, inFlight: () => 2 });
    m.bind({ watches: () => 7 });
    m.applications = 12;
    let body = (await m.scrape()).body;
    expect(sample(body, 'ballast_queue_depth{queue="applications"}')).toBe(3);
    expect(sample(body, 'ballast_queue_depth{queue="drift"}')).toBe(1);
    expect(sample(body, 'ballast_reconciles_in_flight')).toBe(2);
    expect(sample(body, 'ballast_watches')).toBe(7);
    expect(sample(body, 'ballast_applications')).toBe(12);
    depth = 0;
    body = (await m.scrape()).body;
    expect(sample(body, 'ballast_queue_depth{queue="applications"}')).toBe(0);
  });
});
