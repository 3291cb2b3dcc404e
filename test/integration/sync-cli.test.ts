import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Cluster } from '../../src/cluster/cluster.js';
import { toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { clusterFor } from '../support/sync.js';
import { tempDirs } from '../support/temp.js';
import { runCli, type CliResult } from '../support/cli.js';

const ns = `cli-${randomBytes(3).toString('hex')}`;
const secretValue = `s3cr3t-${randomBytes(6).toString('hex')}`;
let kubeconfig: string;
let cluster: Cluster;
let dir: string;
const temp = tempDirs();

const ballast = (...args: string[]): Promise<CliResult> =>
  runCli([...args, '--kubeconfig', kubeconfig]);
const out = (r: CliResult): string => r.stdout + r.stderr;
const stdout = (r: CliResult): string => r.stdout;

async function kubectl(...args: string[]): Promise<string> {
  const r = await run(toolPath('kubectl'), args, {
    env: { KUBECONFIG: kubeconfig },
    timeoutMs: 60_000,
    stdin: '',
  });
  if (r.kind !== 'ok') throw new Error(`kubectl ${args.join(' ')}: ${JSON.stringify(r)}`);
  return r.stdout.toString('utf8');
}

beforeAll(async () => {
  kubeconfig = inject('controlPlane').clusters[0]?.kubeconfig ?? '';
  cluster = clusterFor(kubeconfig);
  dir = await temp.make('ballast-cli-');
  await mkdir(join(dir, 'app'));
  await writeFile(
    join(dir, 'app', 'ns.yaml'),
    `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
  );
  await writeFile(
    join(dir, 'app', 'cm.yaml'),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  mode: fast\n`,
  );
  await writeFile(
    join(dir, 'app', 'secret.yaml'),
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: ${ns}\nstringData:\n  password: ${secretValue}\n`,
  );
});
afterAll(async () => {
  cluster.close();
  await temp.removeAll();
});

describe('ballast diff and sync on the command line', () => {
  it('diff exits 1 before the first sync, sync applies, then diff exits 0 and a no-change sync writes nothing', async () => {
    const before = await ballast('diff', '--dir', join(dir, 'app'), '--app', 'cli', '-n', ns);
    expect(before.code).toBe(1);
    const synced = await ballast('sync', '--dir', join(dir, 'app'), '--app', 'cli', '-n', ns);
    expect(synced.code).toBe(0);
    expect(stdout(synced)).toMatch(/3 created, 0 configured, 0 unchanged, 0 pruned/);
    const rv = (
      await cluster.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: ns },
      })
    )?.metadata.resourceVersion;
    expect((await ballast('diff', '--dir', join(dir, 'app'), '--app', 'cli', '-n', ns)).code).toBe(
      0,
    );
    const again = await ballast('sync', '--dir', join(dir, 'app'), '--app', 'cli', '-n', ns);
    expect(stdout(again)).toMatch(/0 created, 0 configured, 3 unchanged/);
    const rvAfter = (
      await cluster.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: ns },
      })
    )?.metadata.resourceVersion;
    expect(rvAfter).toBe(rv);
  });

  it('diff masks Secret values and exits 2 on an error', async () => {
    await kubectl(
      '-n',
      ns,
      'patch',
      'secret',
      'creds',
      '-p',
      JSON.stringify({ stringData: { password: 'changed-by-hand' } }),
    );
    const d = await ballast('diff', '--dir', join(dir, 'app'), '--app', 'cli', '-n', ns);
    expect(d.code).toBe(1);
    expect(out(d)).toMatch(/password: .*\*\*\*/);
    expect(out(d)).not.toContain(secretValue);
    expect(out(d)).not.toContain(Buffer.from(secretValue).toString('base64'));
    expect(out(d)).not.toContain('changed-by-hand');
    const bad = await ballast('diff', '--dir', join(dir, 'missing'), '--app', 'cli', '-n', ns);
    expect(bad.code).toBe(2);
    expect(out(bad)).toMatch(/--dir .*missing: no such directory/);
  });

  it('takes over fields set with kubectl client-side apply, so removing them from Git removes them', async () => {
    const extra = join(dir, 'extra.yaml');
    await writeFile(
      extra,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  mode: fast\n  debug: "true"\n`,
    );
    await kubectl('apply', '-f', extra);
    const d = await ballast('diff', '--dir', join(dir, 'app'), '--app', 'cli', '-n', ns);
    expect(d.code).toBe(1);
    const s = await ballast('sync', '--dir', join(dir, 'app'), '--app', 'cli', '-n', ns);
    expect(s.code).toBe(0);
    const cm = await cluster.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns },
    });
    expect(cm?.data).toEqual({ mode: 'fast' });
    const managers = (cm?.metadata.managedFields as { manager: string }[]).map((m) => m.manager);
    expect(managers).not.toContain('kubectl-client-side-apply');
  });

  it('refuses to take an object that belongs to another application, naming both', async () => {
    const r = await ballast('sync', '--dir', join(dir, 'app'), '--app', 'other', '-n', ns);
    expect(r.code).toBe(2);
    expect(out(r)).toMatch(
      new RegExp(
        `ConfigMap/${ns}/settings .*already belongs to application ${ns}\\.cli, not ${ns}\\.other`,
      ),
    );
  });

  it('a sync into a missing namespace is refused in one line naming it and both ways out; --create-namespace diffs and plans it in a dry run, and creates it', async () => {
    const missing = `${ns}-new`;
    const app = await temp.tree('ballast-cli-ns-', {
      'app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
      'app/b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n',
      'app/c.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n',
    });
    const args = ['sync', '--dir', join(app, 'app'), '--app', 'fresh', '-n', missing];
    const refused = await ballast(...args);
    expect(refused.code).toBe(2);
    const lines = refused.stderr.split('\n').filter((l) => l.startsWith('  '));
    expect(lines).toEqual([
      `  3 objects (ConfigMap/${missing}/a (a.yaml:1), ConfigMap/${missing}/b (b.yaml:1), ConfigMap/${missing}/c (c.yaml:1)): ` +
        `namespace "${missing}" does not exist: create it, or let the sync create it ` +
        '(`ballast sync --create-namespace`, or spec.syncPolicy.syncOptions.createNamespace: true)',
    ]);
    const json = await ballast(...args, '-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      refused: true,
      errors: [expect.any(String), expect.any(String), expect.any(String)],
    });

    const diff = await ballast('diff', ...args.slice(1), '--create-namespace');
    expect(diff.code).toBe(1);
    expect(diff.stderr).toContain(`namespace ${missing} would be created`);
    expect(stdout(diff)).toContain(`+  name: c\n+  namespace: ${missing}\n`);

    const planned = await ballast(...args, '--create-namespace', '--dry-run');
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain(`namespace ${missing} would be created`);
    expect(stdout(planned)).toMatch(/3 created, 0 configured, 0 unchanged, 0 pruned/);
    expect(await kubectl('get', 'namespace', '-o', 'name')).not.toContain(`namespace/${missing}\n`);

    const created = await ballast(...args, '--create-namespace');
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`namespace ${missing} created`);
    expect(stdout(created)).toMatch(/3 created, 0 configured, 0 unchanged, 0 pruned/);
    expect(await kubectl('get', 'configmap', 'c', '-n', missing, '-o', 'name')).toBe(
      'configmap/c\n',
    );
    await kubectl('delete', 'namespace', missing, '--wait=false');
  });

  it('a refusal after --create-namespace made the namespace says it was created and kept, not that nothing changed', async () => {
    const kept = `${ns}-kept`;
    const app = await temp.tree('ballast-cli-kept-', {
      'app/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
      // Belongs to application cli (the first case), so the plan refuses it.
      'app/taken.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  mode: slow\n`,
    });
    const args = ['sync', '--dir', join(app, 'app'), '--app', 'kept', '-n', kept];
    const r = await ballast(...args, '--create-namespace');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `refused: 1 object(s) cannot be synced; namespace ${kept} was created and kept\n`,
    );
    expect(r.stderr).not.toContain('nothing was changed');
    expect(await kubectl('get', 'namespace', kept, '-o', 'name')).toBe(`namespace/${kept}\n`);
    const json = await ballast(...args, '--create-namespace', '-o', 'json');
    // The namespace exists now, so this second refusal created nothing.
    expect(json.stderr).toContain('refused: 1 object(s) cannot be synced; nothing was changed\n');
    expect(JSON.parse(json.stdout)).toMatchObject({
      refused: true,
      namespaceCreated: null,
      rolledBack: [],
      leftBehind: [],
    });
    await kubectl('delete', 'namespace', kept, '--wait=false');
  });

  it('a cold sync refused part-way says how many objects it created and deleted again', async () => {
    const app = await temp.tree('ballast-cli-cold-', {
      'app/ok.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: briefly\n',
      'app/other.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: briefly-too\n',
      'app/bad.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: "three"\n' +
        '  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n' +
        '        app: web\n    spec:\n      containers:\n        - name: c\n          image: nginx:1.27\n',
    });
    const args = ['sync', '--dir', join(app, 'app'), '--app', 'cold', '-n', ns];
    const r = await ballast(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'refused: 1 object(s) cannot be synced; 2 objects created by this sync were deleted again\n',
    );
    expect(await kubectl('get', 'configmap', '-n', ns, '-o', 'name')).not.toContain('briefly');
    const json = await ballast(...args, '-o', 'json');
    const report = JSON.parse(json.stdout) as { rolledBack: string[]; leftBehind: string[] };
    expect([...report.rolledBack].sort()).toEqual([
      `ConfigMap/${ns}/briefly`,
      `ConfigMap/${ns}/briefly-too`,
    ]);
    expect(report.leftBehind).toEqual([]);
  });

  it('a kustomization reaching ../shared outside a --dir with no .git above names the assumed root; --root renders it', async () => {
    const repo = await temp.tree('ballast-cli-root-', {
      'shared/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'shared/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n',
      'app/kustomization.yaml': 'resources:\n  - ../shared\n',
    });
    const args = ['--dir', join(repo, 'app'), '--app', 'rooted', '-n', ns];
    const climbed = await ballast('diff', ...args);
    expect(climbed.code).toBe(2);
    expect(climbed.stderr).toContain("'../shared' climbs out of the repository");
    expect(climbed.stderr).toContain(
      `The repository root is ${join(repo, 'app')} (assumed: no .git above --dir); pass --root DIR to widen it`,
    );

    const outside = await ballast('diff', ...args, '--root', join(repo, 'shared'));
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain(`is not inside --root ${join(repo, 'shared')}`);

    const synced = await ballast('sync', ...args, '--root', repo);
    expect(synced.code).toBe(0);
    expect(stdout(synced)).toMatch(/1 created, 0 configured, 0 unchanged, 0 pruned/);
    expect(await kubectl('get', 'configmap', 'shared', '-n', ns, '-o', 'name')).toBe(
      'configmap/shared\n',
    );
  });
});
