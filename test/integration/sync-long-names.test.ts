import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../src/cluster/cluster.js';
import {
  APPLICATION_ID_ANNOTATION,
  formatTrackingValue,
  ownerOf,
  TRACKING_LABEL,
} from '../../src/api/tracking.js';
import type { KubeObject } from '../../src/api/object.js';
import { runCli, type CliResult } from '../support/cli.js';
import { clusterFor } from '../support/sync.js';
import { tempDirs } from '../support/temp.js';

// A 60-character namespace and Application name: `<namespace>.<name>` is 121 characters, far
// past the 63 a label value may hold.
const ns = `long-${randomBytes(3).toString('hex')}-`.padEnd(60, 'n');
const app = { namespace: ns, name: 'a'.repeat(60) };
const other = { namespace: ns, name: `${'a'.repeat(59)}b` };
let kubeconfig: string;
let cluster: Cluster;
const temp = tempDirs();

const ballast = (...args: string[]): Promise<CliResult> =>
  runCli([...args, '--kubeconfig', kubeconfig]);

const configMap = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  owner: ${name}\n`;

const cm = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
});

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  cluster = clusterFor(kubeconfig);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
afterAll(async () => {
  await cluster.delete({ apiVersion: 'v1', group: '', kind: 'Namespace', namespace: '', name: ns });
  cluster.close();
  await temp.removeAll();
});

describe('an Application with a 60-character namespace and name', () => {
  it('syncs, is named as the owner of its objects by their label and annotation, and prunes what left Git', async () => {
    const dir = await temp.tree('ballast-long-', {
      'keep.yaml': configMap('keep'),
      'gone.yaml': configMap('gone'),
    });
    // On the old code the apiserver refused every object: the label value was not valid.
    const first = await ballast('sync', '--dir', dir, '-n', ns, '--app', app.name, '--prune');
    expect(first.code, first.stderr).toBe(0);

    const value = formatTrackingValue(app);
    expect(value.length).toBeLessThanOrEqual(63);
    const listed = await cluster.list(await cluster.infoFor(cm('keep')), {
      namespace: ns,
      labelSelector: `${TRACKING_LABEL}=${value}`,
    });
    expect(listed.map((o) => o.metadata.name).sort()).toEqual([
      `ballast-inventory-${app.name}`,
      'gone',
      'keep',
    ]);
    for (const o of listed) {
      expect(o.metadata.annotations?.[APPLICATION_ID_ANNOTATION]).toBe(`${ns}/${app.name}`);
      expect(ownerOf(o)).toEqual(app);
    }

    await rm(join(dir, 'gone.yaml'));
    const second = await ballast('sync', '--dir', dir, '-n', ns, '--app', app.name, '--prune');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('1 pruned');
    expect(await cluster.get(cm('gone'))).toBeUndefined();
    expect(ownerOf((await cluster.get(cm('keep'))) ?? cm('keep'))).toEqual(app);
  });

  it("another long-named Application sharing its first 46 characters cannot take over the first one's object", async () => {
    const mine = await temp.tree('ballast-long-mine-', { 'held.yaml': configMap('held') });
    const own = ballast('sync', '--dir', mine, '-n', ns, '--app', `${app.name}-2`, '--prune');
    expect((await own).code).toBe(0);
    const owner = { namespace: ns, name: `${app.name}-2` };
    // The same object in another long-named app's repo, whose label shares the prefix.
    const dir = await temp.tree('ballast-long-other-', { 'held.yaml': configMap('held') });
    const taken = await ballast('sync', '--dir', dir, '-n', ns, '--app', other.name, '--prune');
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain(
      `already belongs to application ${ns}/${owner.name}, not ${ns}/${other.name}`,
    );
    const kept = await cluster.get(cm('held'));
    expect(kept === undefined ? undefined : ownerOf(kept)).toEqual(owner);
  });
});
