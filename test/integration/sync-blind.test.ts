import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeObject } from '../../src/api/object.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { clusterFor, syncDirResult } from '../support/sync.js';
import { tempDirs } from '../support/temp.js';

// A first sync whose objects the controller's watches know carry no tracking label reads
// nothing before applying. These cases check what it does when an object existed after all.

let kubeconfig: string;
let cluster: Cluster;
const ns = `blind-${randomBytes(3).toString('hex')}`;
const temp = tempDirs();
const untracked = { untracked: () => Promise.resolve(true) };

const repoWith = (files: Record<string, string>): Promise<string> =>
  temp.tree('ballast-blind-', files);

const configMap = (name: string, data: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata: ${data}\n`;
const badDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: broken, namespace: ${ns}}
spec:
  replicas: "three"
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec: {containers: [{name: c, image: "nginx:1.27"}]}
`;

const getConfigMap = (name: string): Promise<KubeObject | undefined> =>
  cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns } });
const managers = (o: KubeObject | undefined): string[] =>
  ((o?.metadata.managedFields ?? []) as { manager: string }[]).map((m) => m.manager);

/** A client of its own that records every request it sends, as `METHOD path?query`. */
function recordingCluster(): { cluster: Cluster; requests: string[] } {
  const own = clusterFor(kubeconfig);
  const requests: string[] = [];
  const send = own.http.request.bind(own.http);
  own.http.request = (method, path, body, headers) => {
    requests.push(`${method} ${path}`);
    return send(method, path, body, headers);
  };
  return { cluster: own, requests };
}

async function kubectlApply(file: string): Promise<void> {
  const r = await run(toolPath('kubectl'), ['apply', '-f', file], {
    env: { KUBECONFIG: kubeconfig },
    timeoutMs: 60_000,
    stdin: '',
  });
  if (r.kind !== 'ok') throw new Error(`kubectl apply: ${JSON.stringify(r)}`);
}

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  cluster = clusterFor(kubeconfig);
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
afterAll(() => {
  cluster.close();
});
afterEach(() => temp.removeAll());

describe('a first sync of objects known to carry no tracking label', () => {
  it('creates them without reading any first, and without forcing', async () => {
    const root = await repoWith({
      'app/a.yaml': configMap('fresh-a', '{k: a}'),
      'app/b.yaml': configMap('fresh-b', '{k: b}'),
    });
    const rec = recordingCluster();
    try {
      const r = await syncDirResult(
        rec.cluster,
        { repoRoot: root, path: 'app', app: 'fresh', namespace: ns },
        untracked,
      );
      expect(r.kind).toBe('done');
      if (r.kind !== 'done') return;
      expect(r.errors).toEqual([]);
      expect(r.changeSet.entries.map((e) => e.action)).toEqual(['create', 'create']);
      // The CLI's inventory ConfigMap is read as always; the objects are not.
      const objectRequests = rec.requests.filter(
        (q) => q.includes(`/namespaces/${ns}/`) && !q.includes('/ballast-inventory-'),
      );
      expect(objectRequests.filter((q) => q.startsWith('GET'))).toEqual([]);
      expect(objectRequests).toHaveLength(2);
      for (const q of objectRequests) {
        expect(q).toMatch(/^PATCH .*configmaps\/fresh-[ab]\?/);
        expect(q).not.toContain('force=true');
      }
      const a = await getConfigMap('fresh-a');
      expect(a?.metadata.labels?.['ballast.dev/application']).toBe(`${ns}.fresh`);
    } finally {
      rec.cluster.close();
    }
  });

  it('without watches, lists the tracked objects of each kind once instead of reading each', async () => {
    const names = ['many-1', 'many-2', 'many-3', 'many-4', 'many-5'];
    const root = await repoWith(
      Object.fromEntries(names.map((n) => [`app/${n}.yaml`, configMap(n, '{k: v}')])),
    );
    const rec = recordingCluster();
    try {
      const r = await syncDirResult(rec.cluster, {
        repoRoot: root,
        path: 'app',
        app: 'many',
        namespace: ns,
      });
      expect(r.kind).toBe('done');
      const objectRequests = rec.requests.filter(
        (q) => q.includes(`/namespaces/${ns}/`) && !q.includes('/ballast-inventory-'),
      );
      // Every object carrying a tracking label, whoever's; not only this app's.
      expect(objectRequests.filter((q) => q.startsWith('GET'))).toEqual([
        `GET /api/v1/namespaces/${ns}/configmaps?labelSelector=ballast.dev%2Fapplication`,
      ]);
      expect(objectRequests.filter((q) => q.startsWith('PATCH'))).toHaveLength(5);
      expect(objectRequests.filter((q) => q.includes('force=true'))).toEqual([]);
    } finally {
      rec.cluster.close();
    }
  });

  it('without watches, still refuses an object another application owns', async () => {
    const names = ['owned-1', 'owned-2', 'owned-3', 'owned-4'];
    const files = Object.fromEntries(names.map((n) => [`app/${n}.yaml`, configMap(n, '{k: v}')]));
    const c = { path: 'app', namespace: ns };
    const first = await syncDirResult(cluster, {
      ...c,
      repoRoot: await repoWith({ 'app/owned-1.yaml': files['app/owned-1.yaml'] ?? '' }),
      app: 'owner',
    });
    expect(first.kind).toBe('done');
    const r = await syncDirResult(cluster, { ...c, repoRoot: await repoWith(files), app: 'taker' });
    expect(r.kind).toBe('refused');
    if (r.kind !== 'refused') return;
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/owned-1 .*already belongs to application .*\.owner, not .*\.taker/),
    ]);
    expect(await getConfigMap('owned-2')).toBeUndefined();
  });

  it('adopts one that existed unlabelled, takes over kubectl fields, and reports it configured', async () => {
    const manual = join(await temp.make('ballast-blind-kubectl-'), 'cm.yaml');
    await writeFile(manual, configMap('by-kubectl', '{mode: fast, debug: "true"}'));
    await kubectlApply(manual);
    const root = await repoWith({ 'app/cm.yaml': configMap('by-kubectl', '{mode: fast}') });
    const r = await syncDirResult(
      cluster,
      { repoRoot: root, path: 'app', app: 'adopter', namespace: ns },
      untracked,
    );
    expect(r.kind).toBe('done');
    if (r.kind !== 'done') return;
    expect(r.errors).toEqual([]);
    expect(r.changeSet.entries[0]).toMatchObject({
      action: 'configure',
      reason: 'it existed already: adopted',
    });
    const cm = await getConfigMap('by-kubectl');
    // kubectl's `debug` was taken over, so its absence from Git removed it.
    expect(cm?.data).toEqual({ mode: 'fast' });
    expect(managers(cm)).not.toContain('kubectl-client-side-apply');
    expect(cm?.metadata.labels?.['ballast.dev/application']).toBe(`${ns}.adopter`);
  });

  it('reads one whose fields another manager set differently, then applies Git over them', async () => {
    await cluster.http.request(
      'PATCH',
      `/api/v1/namespaces/${ns}/configmaps/contested?fieldManager=someone-else`,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'contested', namespace: ns },
        data: { mode: 'slow' },
      }),
      { 'content-type': 'application/apply-patch+yaml' },
    );
    const root = await repoWith({ 'app/cm.yaml': configMap('contested', '{mode: fast}') });
    const rec = recordingCluster();
    try {
      const r = await syncDirResult(
        rec.cluster,
        { repoRoot: root, path: 'app', app: 'contender', namespace: ns },
        untracked,
      );
      expect(r.kind).toBe('done');
      if (r.kind !== 'done') return;
      expect(r.errors).toEqual([]);
      expect(r.changeSet.entries[0]?.action).toBe('configure');
      expect(r.changeSet.entries[0]?.changedPaths).toContain('/data/mode');
      // The unforced apply was refused (409); the object was then read and dry-run.
      const path = `/api/v1/namespaces/${ns}/configmaps/contested`;
      const methods = rec.requests
        .map((q) => q.split(' '))
        .filter(([, url]) => url?.split('?')[0] === path)
        .map(([method]) => method);
      expect(methods).toEqual(['PATCH', 'GET', 'PATCH', 'PATCH']);
      expect((await getConfigMap('contested'))?.data).toEqual({ mode: 'fast' });
    } finally {
      rec.cluster.close();
    }
  });

  it('refused by the apiserver, deletes what it created and leaves the adopted object', async () => {
    const manual = join(await temp.make('ballast-blind-kubectl-'), 'cm.yaml');
    await writeFile(manual, configMap('pre-existing', '{k: v}'));
    await kubectlApply(manual);
    const root = await repoWith({
      'app/old.yaml': configMap('pre-existing', '{k: v}'),
      'app/new.yaml': configMap('would-be-created', '{k: v}'),
      'app/bad.yaml': badDeployment,
    });
    const r = await syncDirResult(
      cluster,
      { repoRoot: root, path: 'app', app: 'refused', namespace: ns },
      untracked,
    );
    expect(r.kind).toBe('refused');
    if (r.kind !== 'refused') return;
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(new RegExp(`^Deployment\\.apps/${ns}/broken \\(app/bad\\.yaml:1\\)`)),
    ]);
    expect(await getConfigMap('would-be-created')).toBeUndefined();
    // It was applied (it carries our label) but not created, so the undo leaves it.
    const kept = await getConfigMap('pre-existing');
    expect(kept?.data).toEqual({ k: 'v' });
    expect(kept?.metadata.labels?.['ballast.dev/application']).toBe(`${ns}.refused`);
  });
});
