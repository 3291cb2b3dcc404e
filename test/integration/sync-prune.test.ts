import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../src/cluster/cluster.js';
import {
  createBareRepo,
  startGitServer,
  WorkingClone,
  type GitServer,
} from '../../src/dev/git/index.js';
import { removeTree } from '../../src/fs/remove.js';
import { defaultSourceOptions, GitSource } from '../../src/source/source.js';
import { clusterFor, syncDir } from '../support/sync.js';

const token = `tok_${randomBytes(12).toString('hex')}`;
let server: GitServer;
let repo: WorkingClone;
let cluster: Cluster;
let cache: string;
const ns = `prune-${randomBytes(3).toString('hex')}`;

const cm = (name: string, extra = ''): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}data:\n  k: v\n`;

beforeAll(async () => {
  cluster = clusterFor(inject('controlPlane').clusters[0]?.kubeconfig ?? '');
  server = await startGitServer({
    auth: { users: [], tokens: [token] },
    allowPush: true,
    ssh: false,
  });
  await createBareRepo(server, 'prune');
  repo = await WorkingClone.clone({
    url: server.httpUrl('prune'),
    access: { kind: 'bearer', token },
  });
  await repo.writeFile(
    'app/ns.yaml',
    `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
  );
  for (const n of ['keep', 'drop-a', 'drop-b']) await repo.writeFile(`app/${n}.yaml`, cm(n));
  await repo.writeFile(
    'app/pinned.yaml',
    cm('pinned', '  annotations:\n    ballast.dev/prune: disabled\n'),
  );
  await repo.commit('four config maps');
  await repo.push();
  cache = await mkdtemp(join(tmpdir(), 'ballast-prune-'));
});

afterAll(async () => {
  cluster.close();
  await repo.remove();
  await server.stop();
  await removeTree(cache);
});

async function syncHead(prune: boolean): Promise<Awaited<ReturnType<typeof syncDir>>> {
  const src = new GitSource(defaultSourceOptions(cache));
  const tree = await src.checkout(
    {
      url: server.httpUrl('prune'),
      auth: { kind: 'token', token },
      insecureAllowHttpCredentials: true,
    },
    'main',
  );
  return syncDir(
    cluster,
    { repoRoot: tree.dir, path: 'app', app: 'prune-demo', namespace: ns },
    { prune },
  );
}

const exists = async (name: string): Promise<boolean> =>
  (await cluster.get({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
  })) !== undefined;

describe('prune', () => {
  it('deletes exactly the objects whose files left Git, and spares those marked prune: disabled', async () => {
    const first = await syncHead(true);
    expect(first.errors).toEqual([]);
    expect(await exists('drop-a')).toBe(true);

    // Someone else's object in the same namespace, without our tracking label.
    await cluster.apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hand-made', namespace: ns } },
      {},
    );

    await repo.removeFile('app/drop-a.yaml');
    await repo.removeFile('app/drop-b.yaml');
    await repo.removeFile('app/pinned.yaml');
    await repo.commit('drop two, unpin one');
    await repo.push();

    const second = await syncHead(true);
    expect(second.errors).toEqual([]);
    const pruned = second.changeSet.entries
      .filter((e) => e.action === 'prune')
      .map((e) => e.subject.name);
    expect(pruned.sort()).toEqual(['drop-a', 'drop-b']);
    expect(await exists('drop-a')).toBe(false);
    expect(await exists('drop-b')).toBe(false);
    expect(await exists('keep')).toBe(true);
    expect(await exists('pinned')).toBe(true);
    expect(await exists('hand-made')).toBe(true);
  });

  it('leaves objects that left Git in place without --prune, and prunes them on a later --prune', async () => {
    await repo.removeFile('app/keep.yaml');
    await repo.commit('drop keep');
    await repo.push();
    const noPrune = await syncHead(false);
    expect(noPrune.changeSet.entries.find((e) => e.subject.name === 'keep')?.action).toBe('prune');
    expect(await exists('keep')).toBe(true);
    await syncHead(true);
    expect(await exists('keep')).toBe(false);
  });

  it('prunes from an inventory ConfigMap an earlier version wrote, and refuses a malformed one by name', async () => {
    const label = { 'ballast.dev/application': `${ns}.prune-demo` };
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'legacy', namespace: ns, labels: label },
    });
    const record = (data: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ballast-inventory-prune-demo', namespace: ns },
      data,
    });
    const legacy = [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'legacy' }];
    await cluster.apply(record({ objects: JSON.stringify(legacy) }));
    await syncHead(true);
    expect(await exists('legacy')).toBe(false);

    await cluster.apply(record({ inventory: '|ConfigMap|not a namespace|x\n' }));
    await expect(syncHead(true)).rejects.toThrow(
      `ConfigMap ${ns}/ballast-inventory-prune-demo: inventory entry 1`,
    );
  });
});
