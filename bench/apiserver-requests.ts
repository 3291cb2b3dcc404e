import type { Cluster } from '../src/cluster/cluster.js';

/** `apiserver_request_total` summed by verb and resource: what a benchmark asked of the apiserver. */
export type RequestTally = Map<string, number>;

export async function requestTally(cluster: Cluster): Promise<RequestTally> {
  const r = await cluster.http.request('GET', '/metrics', undefined, { accept: 'text/plain' });
  const tally: RequestTally = new Map();
  for (const line of r.body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /[{,]verb="([^"]*)"/.exec(line)?.[1] ?? '?';
    const resource = /[{,]resource="([^"]*)"/.exec(line)?.[1] ?? '';
    const sub = /[{,]subresource="([^"]*)"/.exec(line)?.[1] ?? '';
    const key = `${verb} ${resource}${sub === '' ? '' : `/${sub}`}`;
    tally.set(key, (tally.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return tally;
}

/** The requests made between two tallies, per unit (e.g. per Application), largest first. */
export function describeRequests(
  before: RequestTally,
  after: RequestTally,
  units: number,
  top = 12,
): string {
  const rows = [...after]
    .map(([k, n]) => [k, n - (before.get(k) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((s, [, n]) => s + n, 0);
  const lines = rows
    .slice(0, top)
    .map(([k, n]) => `    ${(n / units).toFixed(2).padStart(7)}  ${k}`);
  return [`  apiserver requests per app: ${(total / units).toFixed(1)}`, ...lines].join('\n');
}
