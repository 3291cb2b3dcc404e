import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../cluster/cluster.js';
import { HubClient } from './hub.js';

/** A hub that stores one Lease, with resourceVersions, and logs every request's method. */
function leaseHub(): { cluster: Cluster; methods: string[]; bump: () => void } {
  let stored: { metadata: { resourceVersion: string } } | undefined;
  let rv = 1;
  const methods: string[] = [];
  const reply = (status: number, body: unknown = {}) =>
    Promise.resolve({ status, body: JSON.stringify(body), headers: {} });
  const request = (method: string, _path: string, body?: string) => {
    methods.push(method);
    if (method === 'GET') return stored === undefined ? reply(404) : reply(200, stored);
    const lease = JSON.parse(body ?? '{}') as { metadata: { resourceVersion?: string } };
    if (method === 'PUT' && lease.metadata.resourceVersion !== stored?.metadata.resourceVersion)
      return reply(409);
    stored = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++rv) } };
    return reply(method === 'POST' ? 201 : 200, stored);
  };
  const bump = () => {
    if (stored !== undefined)
      stored = { ...stored, metadata: { ...stored.metadata, resourceVersion: String(++rv) } };
  };
  return { cluster: { http: { request } } as unknown as Cluster, methods, bump };
}

describe("an agent's heartbeat", () => {
  it('costs one PUT once the Lease exists, and reads again only after someone else wrote it', async () => {
    const hub = leaseHub();
    const client = new HubClient(hub.cluster, 'store-1', 'ballast-fleet', 1000);
    await client.renewLease(60_000);
    expect(hub.methods).toEqual(['GET', 'POST']);
    hub.methods.length = 0;
    await client.renewLease(60_000);
    await client.renewLease(60_000);
    expect(hub.methods).toEqual(['PUT', 'PUT']);
    hub.methods.length = 0;
    hub.bump();
    await client.renewLease(60_000);
    expect(hub.methods).toEqual(['PUT', 'GET', 'PUT']);
  });
});
