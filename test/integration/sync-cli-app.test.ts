import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Cluster } from '../../src/cluster/cluster.js';
import { runCli, type CliResult } from '../support/cli.js';
import { clusterFor } from '../support/sync.js';
import { tempDirs } from '../support/temp.js';

const ns = `cli-app-${randomBytes(3).toString('hex')}`;
let kubeconfig: string;
let cluster: Cluster;
let teamA: string;
let teamB: string;
const temp = tempDirs();

const ballast = (...args: string[]): Promise<CliResult> =>
  runCli([...args, '--kubeconfig', kubeconfig]);

const configMap = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  owner: ${name}\n`;

const exists = async (name: string): Promise<boolean> =>
  (await cluster.get({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
  })) !== undefined;

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  cluster = clusterFor(kubeconfig);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // Two unrelated sets of manifests that name no namespace: -n puts both in the same one.
  teamA = await temp.tree('ballast-team-a-', { 'cm.yaml': configMap('team-a') });
  teamB = await temp.tree('ballast-team-b-', { 'cm.yaml': configMap('team-b') });
});
afterAll(async () => {
  await cluster.delete({ apiVersion: 'v1', group: '', kind: 'Namespace', namespace: '', name: ns });
  cluster.close();
  await temp.removeAll();
});

describe('ballast sync and diff need --app', () => {
  it("two unrelated syncs without --app in one namespace are refused, rather than sharing an inventory and pruning each other's objects", async () => {
    // On the old code both used ballast-inventory-default: the second sync's --prune deleted
    // ConfigMap team-a, which it had never applied.
    const first = await ballast('sync', '--dir', teamA, '-n', ns, '--prune');
    const second = await ballast('sync', '--dir', teamB, '-n', ns, '--prune');
    const diff = await ballast('diff', '--dir', teamA, '-n', ns);
    for (const r of [first, second, diff]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--app NAME is required');
      expect(r.stderr).toContain(
        'pass a name of its own for each set of manifests, e.g. --app web',
      );
    }
    expect([await exists('team-a'), await exists('team-b')]).toEqual([false, false]);
    expect(await exists('ballast-inventory-default')).toBe(false);
  });

  it("with an --app each, the syncs keep separate inventories and --prune leaves the other's objects alone", async () => {
    expect(
      (await ballast('sync', '--dir', teamA, '-n', ns, '--app', 'team-a', '--prune')).code,
    ).toBe(0);
    const b = await ballast('sync', '--dir', teamB, '-n', ns, '--app', 'team-b', '--prune');
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('0 pruned');
    expect([await exists('team-a'), await exists('team-b')]).toEqual([true, true]);
    expect([
      await exists('ballast-inventory-team-a'),
      await exists('ballast-inventory-team-b'),
    ]).toEqual([true, true]);
  });
});

describe('ballast sync without -n', () => {
  it("applies into the kubeconfig context's namespace, as kubectl does, not into default", async () => {
    const doc = parse(await readFile(kubeconfig, 'utf8')) as {
      contexts: { context: Record<string, unknown> }[];
    };
    for (const c of doc.contexts) c.context.namespace = ns;
    const withNamespace = join(await temp.make('ballast-kubeconfig-'), 'config');
    await writeFile(withNamespace, stringify(doc));
    const dir = await temp.tree('ballast-team-c-', { 'cm.yaml': configMap('team-c') });
    const r = await runCli([
      'sync',
      '--dir',
      dir,
      '--app',
      'team-c',
      '--kubeconfig',
      withNamespace,
    ]);
    expect([r.code, r.stdout]).toEqual([
      0,
      expect.stringContaining(`ConfigMap/${ns}/team-c created`),
    ]);
    expect(await exists('team-c')).toBe(true);
    const inDefault = await cluster.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'team-c', namespace: 'default' },
    });
    expect(inDefault).toBeUndefined();
  });
});

describe('ballast sync --wait', () => {
  it('waits for health up to a --timeout duration; the old --wait SECONDS still works with a note', async () => {
    const r = await ballast(
      'sync',
      '--dir',
      teamA,
      '-n',
      ns,
      '--app',
      'team-a',
      '--wait',
      '--timeout',
      '30s',
    );
    expect([r.code, r.stdout]).toEqual([0, expect.stringContaining('; health: Healthy')]);
    const old = await ballast('sync', '--dir', teamA, '-n', ns, '--app', 'team-a', '--wait', '30');
    expect(old.code).toBe(0);
    expect(old.stderr).toContain('--wait 30 is deprecated: use --wait --timeout 30s');
    const bad = await ballast(
      'sync',
      '--dir',
      teamA,
      '-n',
      ns,
      '--app',
      'team-a',
      '--timeout',
      '300',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected a duration such as 90s, 5m or 1h30m');
  });
});
