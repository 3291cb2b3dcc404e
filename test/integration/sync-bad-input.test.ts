import { randomBytes } from 'node:crypto';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { ApiServerUnreachableError } from '../../src/cluster/errors.js';
import { clusterFor, syncDir, syncDirResult } from '../support/sync.js';
import { tempDirs } from '../support/temp.js';

let cluster: Cluster;
const ns = `bad-${randomBytes(3).toString('hex')}`;
const temp = tempDirs();

const repoWith = (files: Record<string, string>): Promise<string> =>
  temp.tree('ballast-bad-', files);

const configMap = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;
const deployment = (name: string, app: string, replicas = '1'): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${app}
  template:
    metadata:
      labels:
        app: ${app}
    spec:
      containers:
        - name: c
          image: nginx:1.27
`;

const exists = async (kind: string, apiVersion: string, name: string): Promise<boolean> =>
  (await cluster.get({ apiVersion, kind, metadata: { name, namespace: ns } })) !== undefined;

async function renderError(files: Record<string, string>): Promise<Error> {
  const root = await repoWith(files);
  return syncDirResult(cluster, { repoRoot: root, path: 'app', app: 'bad', namespace: ns }).then(
    () => new Error('expected the sync to fail'),
    (e: unknown) => e as Error,
  );
}

beforeAll(async () => {
  cluster = clusterFor(inject('controlPlane').clusters[0]?.kubeconfig ?? '');
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
afterAll(() => {
  cluster.close();
});
// Each case writes its own repositories (and kubeconfig); they go when it ends, pass or fail.
afterEach(() => temp.removeAll());

describe('bad input is refused with an error naming the file or object, and the cluster is left as it was', () => {
  it('a malformed YAML line names the file and line', async () => {
    const e = await renderError({
      'app/ok.yaml': configMap('fine'),
      'app/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n',
    });
    expect(e.message).toMatch(/app\/broken\.yaml:\d+/);
    expect(await exists('ConfigMap', 'v1', 'fine')).toBe(false);
  });

  it('an alias bomb is refused before it expands', async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    ].join('\n');
    const e = await renderError({
      'app/bomb.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  x: y\n---\n${bomb}\n`,
    });
    expect(e.message).toMatch(/app\/bomb\.yaml/);
    expect(e.message).toMatch(/alias/i);
  });

  it('a symlink leaving the repo is refused, naming the link', async () => {
    const root = await repoWith({ 'app/ok.yaml': configMap('fine') });
    await symlink('/etc/passwd', join(root, 'app', 'escape.yaml'));
    const e = await syncDirResult(cluster, {
      repoRoot: root,
      path: 'app',
      app: 'bad',
      namespace: ns,
    }).then(
      () => new Error('no error'),
      (x: unknown) => x as Error,
    );
    expect(e.message).toMatch(/app\/escape\.yaml/);
    expect(await exists('ConfigMap', 'v1', 'fine')).toBe(false);
  });

  it('an object without a kind names its file and line', async () => {
    const e = await renderError({ 'app/nokind.yaml': 'apiVersion: v1\nmetadata:\n  name: x\n' });
    expect(e.message).toMatch(/app\/nokind\.yaml:1/);
    expect(e.message).toMatch(/kind/);
  });

  it('a duplicate object names both places', async () => {
    const e = await renderError({
      'app/a.yaml': configMap('twice'),
      'app/b.yaml': configMap('twice'),
    });
    expect(e.message).toContain('app/a.yaml:1');
    expect(e.message).toContain('app/b.yaml:1');
  });

  it('an object the apiserver refuses (schema error) in a sync of existing objects stops it before anything is written', async () => {
    const c = { path: 'app', app: 'schema', namespace: ns };
    await syncDir(cluster, {
      ...c,
      repoRoot: await repoWith({ 'app/ok.yaml': configMap('existing') }),
    });
    const before = await cluster.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'existing', namespace: ns },
    });
    const next = await repoWith({
      'app/ok.yaml': configMap('existing').replace('k: v', 'k: changed'),
      'app/new.yaml': configMap('newcomer'),
      'app/bad.yaml': deployment('broken', 'broken', '"three"'),
    });
    const r = await syncDirResult(cluster, { ...c, repoRoot: next });
    expect(r.kind).toBe('refused');
    const after = await cluster.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'existing', namespace: ns },
    });
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(await exists('ConfigMap', 'v1', 'newcomer')).toBe(false);
  });

  // A cold sync applies without dry runs (half the apiserver work) and undoes itself instead.
  it('an object the apiserver refuses (schema error) in a cold sync rolls back what was created', async () => {
    const root = await repoWith({
      'app/ok.yaml': configMap('would-be-created'),
      'app/bad.yaml': deployment('web', 'web', '"three"'),
    });
    const r = await syncDirResult(cluster, {
      repoRoot: root,
      path: 'app',
      app: 'bad',
      namespace: ns,
    });
    expect(r.kind).toBe('refused');
    if (r.kind !== 'refused') return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.message).toMatch(
      new RegExp(`^Deployment\\.apps/${ns}/web \\(app/bad\\.yaml:1\\): the apiserver refused it`),
    );
    expect(await exists('ConfigMap', 'v1', 'would-be-created')).toBe(false);
  });

  it('an immutable-field change fails clearly and is recreated only when forced', async () => {
    const c = { app: 'immutable', namespace: ns, path: 'app' };
    await syncDir(cluster, {
      ...c,
      repoRoot: await repoWith({ 'app/d.yaml': deployment('sel', 'one') }),
    });
    const before = await cluster.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sel', namespace: ns },
    });
    const changed = await repoWith({
      'app/d.yaml': deployment('sel', 'two'),
      'app/cm.yaml': configMap('alongside'),
    });
    const r = await syncDirResult(cluster, { ...c, repoRoot: changed });
    expect(r.kind).toBe('refused');
    if (r.kind === 'refused') {
      expect(r.errors[0]?.message).toMatch(
        /Deployment\.apps\/.*\/sel \(app\/d\.yaml:1\): .*immutable.*ballast\.dev\/force: enabled or sync with --force/,
      );
    }
    const after = await cluster.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sel', namespace: ns },
    });
    // Controllers keep writing status; generation moves only when the spec does.
    expect(after?.metadata.generation).toBe(before?.metadata.generation);
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    expect(await exists('ConfigMap', 'v1', 'alongside')).toBe(false);

    const forced = await syncDir(cluster, { ...c, repoRoot: changed }, { forceRecreate: true });
    expect(forced.errors).toEqual([]);
    const recreated = await cluster.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'sel', namespace: ns },
    });
    expect(recreated?.metadata.uid).not.toBe(before?.metadata.uid);
  });

  it('an apiserver that is down gives a clear error naming it, and nothing is attempted', async () => {
    const root = await repoWith({ 'app/ok.yaml': configMap('fine') });
    const down = Cluster.connect({
      kubeconfig: await kubeconfigFor('https://127.0.0.1:9'),
      requestTimeoutMs: 2000,
    });
    const e = await syncDirResult(down, {
      repoRoot: root,
      path: 'app',
      app: 'bad',
      namespace: ns,
    }).then(
      () => new Error('no error'),
      (x: unknown) => x as Error,
    );
    down.close();
    expect(e).toBeInstanceOf(ApiServerUnreachableError);
    expect(e.message).toMatch(
      /^apiserver https:\/\/127\.0\.0\.1:9 \(context down\): unreachable .*nothing was changed/,
    );
  });
});

async function kubeconfigFor(server: string): Promise<string> {
  const dir = await temp.make('ballast-kc-');
  const file = join(dir, 'kubeconfig');
  await writeFile(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: down\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: down\n  context:\n    cluster: down\n    user: u\ncurrent-context: down\n`,
  );
  return file;
}
