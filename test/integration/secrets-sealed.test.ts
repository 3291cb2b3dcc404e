import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { openLedger, type Ledger } from '../../src/audit/index.js';
import type { KubeObject } from '../../src/api/object.js';
import { waitForCrds } from '../../src/apply/execute.js';
import { toolDir, toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { ledgerSink } from '../../src/reconcile/audit.js';
import { createLogger } from '../../src/reconcile/log.js';
import {
  clusterKeyStore,
  readSealingKeys,
  SealingKeyRing,
} from '../../src/reconcile/sealing-keys.js';
import {
  unsealSecret,
  type SealingKeys,
  type SealingScope,
} from '../../src/secrets/sealed/index.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { startControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/kube.js';
import { serviceAccountToken } from '../support/service-account.js';

/**
 * Compatibility both ways with bitnami-labs/sealed-secrets, against the real binaries built
 * from its pinned Go module: kubeseal seals, Ballast unseals; Ballast seals, the upstream
 * controller unseals; both read the same key Secret.
 */

const scopes: readonly SealingScope[] = ['strict', 'namespace-wide', 'cluster-wide'];
/** Values that must reach the cluster's Secrets and nowhere else. */
const values = Object.fromEntries(
  scopes.map((s) => [s, `${s}-${randomBytes(8).toString('hex')}`]),
) as Record<SealingScope, string>;
const ours = `ours-${randomBytes(8).toString('hex')}`;
const plaintexts = [...Object.values(values), ours];

let fx: ControllerFixture;
let ledger: Ledger;
let scratch = '';
let keysNs = '';
let certFile = '';
let keys: SealingKeys = { keys: [] };
const logLines: string[] = [];
const upstreams: ChildProcess[] = [];
const upstreamLog: string[] = [];

const secretName = (scope: SealingScope): string => `db-${scope}`;

function secretManifest(name: string, namespace: string, value: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { app: 'db' } },
    type: 'Opaque',
    stringData: { password: value },
  });
}

async function kubeseal(manifest: string, scope: SealingScope): Promise<KubeObject> {
  const r = await run(toolPath('kubeseal'), ['--cert', certFile, '--scope', scope, '-o', 'yaml'], {
    stdin: manifest,
    env: { KUBECONFIG: fx.kubeconfig },
    timeoutMs: 60_000,
  });
  if (r.kind !== 'ok') throw new Error(`kubeseal: ${JSON.stringify(r)}`);
  return parse(r.stdout.toString('utf8')) as KubeObject;
}

async function liveValue(name: string, namespace = fx.ns): Promise<string | undefined> {
  const s = await fx.cluster.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
  });
  const v = (s?.data as Record<string, string> | undefined)?.password;
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ballast-sealed-'));
  ledger = await openLedger(`sqlite:${join(scratch, 'audit.db')}`);
  fx = await startControllerFixture({
    clusterIndex: 0,
    deps: { audit: ledgerSink(ledger, () => undefined), sealingKeys: () => keys },
    controller: {
      logger: createLogger({
        level: 'debug',
        destination: { write: (line: string) => void logLines.push(line) },
      }),
    },
  });
  keysNs = `keys-${randomBytes(3).toString('hex')}`;
  await fx.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: keysNs } });
  // The key is made by the CLI, as an operator would; the certificate is the public half.
  const cert = await fx.cli('secrets', 'seal-keygen', '--controller-namespace', keysNs);
  expect(await fx.cli('secrets', 'cert', '--controller-namespace', keysNs)).toBe(cert);
  certFile = join(scratch, 'cert.pem');
  await writeFile(certFile, cert);
  keys = (await readSealingKeys(fx.cluster, keysNs)).keys;

  for (const scope of scopes) {
    const sealed = await kubeseal(secretManifest(secretName(scope), fx.ns, values[scope]), scope);
    await fx.repo.writeFile(`kubeseal/${scope}.yaml`, stringify(sealed));
    if (scope === 'strict') {
      const renamed = { ...sealed, metadata: { ...sealed.metadata, name: 'db-renamed' } };
      await fx.repo.writeFile('renamed/db.yaml', stringify(renamed));
      const moved = { ...sealed, metadata: { ...sealed.metadata, namespace: keysNs } };
      await fx.repo.writeFile('moved/db.yaml', stringify(moved));
    }
  }
  await fx.repo.commit('SealedSecrets sealed by kubeseal');
  await fx.repo.push();
}, 600_000);

afterAll(async () => {
  for (const p of upstreams) p.kill('SIGTERM');
  await fx.stop();
  await ledger.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('SealedSecrets sealed by the real kubeseal', () => {
  it('are unsealed in all three scopes into Secrets the Application owns, healed without printing values', async () => {
    await fx.cluster.apply(fx.application('sealed', 'kubeseal'));
    await eventually('the three Secrets hold the plaintext', 90_000, async () => {
      for (const scope of scopes)
        if ((await liveValue(secretName(scope))) !== values[scope]) return false;
      return true;
    });
    await eventually(
      'sealed is Synced',
      30_000,
      async () => (await fx.condition('sealed', 'Ready'))?.reason === 'Synced',
    );
    // spec.template is honoured: the Secret's labels and type come from it.
    const strict = await fx.get('v1', 'Secret', secretName('strict'));
    expect(strict?.metadata.labels?.app).toBe('db');
    expect(strict?.type).toBe('Opaque');
    // No SealedSecret is applied: Ballast is the controller that opens them.
    const inventory = JSON.stringify((await fx.app('sealed'))?.status);
    expect(inventory).not.toContain('SealedSecret');

    await fx.kubectl(
      '-n',
      fx.ns,
      'patch',
      'secret',
      secretName('strict'),
      '-p',
      '{"stringData":{"password":"hand-set"}}',
    );
    await eventually(
      'the Secret is healed',
      15_000,
      async () => (await liveValue(secretName('strict'))) === values.strict,
    );
    await eventually('the ledger holds the revert', 15_000, async () =>
      (await ledger.list()).some((r) => r.kind === 'drift-reverted'),
    );
    // The CLI renders as the controller does, opening the files with the same keys.
    const diff = await fx.cliResult(
      'app',
      'diff',
      'sealed',
      '-n',
      fx.ns,
      '--sealing-key-namespace',
      keysNs,
    );
    expect(diff.stderr).toMatch(/^matches revision/m);
    expect(diff.code).toBe(0);
    const haystacks = [
      diff.stdout + diff.stderr,
      JSON.stringify(await fx.app('sealed')),
      (await fx.cluster.http.request('GET', `/api/v1/namespaces/${fx.ns}/events`)).body,
      logLines.join('\n'),
      JSON.stringify(await ledger.list()),
    ];
    for (const text of haystacks)
      for (const p of plaintexts) {
        expect(text).not.toContain(p);
        expect(text).not.toContain(Buffer.from(p).toString('base64'));
      }
  });

  it('a strict SealedSecret renamed or moved to another namespace fails with UnsealFailed, as upstream', async () => {
    const refused = { syncPolicy: { automated: {}, interval: '1h', retry: { limit: 0 } } };
    await fx.cluster.apply(fx.application('renamed', 'renamed', refused));
    await fx.cluster.apply(fx.application('moved', 'moved', refused));
    for (const [app, file, object] of [
      ['renamed', 'renamed/db.yaml', `SealedSecret.bitnami.com/${fx.ns}/db-renamed`],
      ['moved', 'moved/db.yaml', `SealedSecret.bitnami.com/${keysNs}/${secretName('strict')}`],
    ] as const) {
      await eventually(`${app} is UnsealFailed`, 60_000, async () => {
        const r = await fx.condition(app, 'Ready');
        return r?.status === 'False' && r.reason === 'UnsealFailed';
      });
      const message = (await fx.condition(app, 'Ready'))?.message ?? '';
      expect(message).toContain(file);
      expect(message).toContain(object);
      expect(message).toContain('strict scope');
    }
    // The same refusal from `ballast sync`, whose render runs on a worker thread.
    const cli = await fx.cliResult(
      'sync',
      '--dir',
      join(fx.repo.dir, 'renamed'),
      '--app',
      'renamed-cli',
      '-n',
      fx.ns,
      '--sealing-key-namespace',
      keysNs,
    );
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(`SealedSecret.bitnami.com/${fx.ns}/db-renamed`);
    expect(cli.stderr).toContain('under the strict scope');
    expect(await liveValue('db-renamed')).toBeUndefined();
    expect(await liveValue(secretName('strict'), keysNs)).toBeUndefined();
  });
});

/**
 * The upstream controller only runs in-cluster: it reads its token and CA from the fixed
 * ServiceAccount paths. It runs here as a local process in its own mount namespace, where a
 * private directory is mounted over /run with a real ServiceAccount token of the dev cluster.
 */
async function startUpstreamController(keysNs: string, ...flags: string[]): Promise<void> {
  const sa = 'sealed-secrets-controller';
  await fx.cluster.apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: sa, namespace: keysNs },
  });
  await fx.cluster.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${keysNs}-sealed-secrets` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: keysNs }],
  });
  const token = await serviceAccountToken(fx.cluster, keysNs, sa);
  const config = parse(await readFile(fx.kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const server = new URL(config.clusters[0]?.cluster.server ?? '');
  const runDir = join(scratch, `run-${keysNs}`);
  const saDir = join(runDir, 'secrets', 'kubernetes.io', 'serviceaccount');
  await mkdir(saDir, { recursive: true });
  await writeFile(join(saDir, 'token'), token);
  await writeFile(join(saDir, 'namespace'), keysNs);
  await writeFile(
    join(saDir, 'ca.crt'),
    Buffer.from(config.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64'),
  );
  const script = `mount --bind "$1" /run && shift && exec "$@"`;
  const upstream = spawn(
    'unshare',
    [
      '-rm',
      'sh',
      '-c',
      script,
      'sh',
      runDir,
      toolPath('sealed-secrets-controller'),
      '--listen-addr=127.0.0.1:0',
      '--listen-metrics-addr=127.0.0.1:0',
      ...flags,
    ],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        POD_NAMESPACE: keysNs,
        KUBERNETES_SERVICE_HOST: server.hostname,
        KUBERNETES_SERVICE_PORT: server.port,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  upstreams.push(upstream);
  upstream.stdout.on('data', (d: Buffer) => upstreamLog.push(d.toString('utf8')));
  upstream.stderr.on('data', (d: Buffer) => upstreamLog.push(d.toString('utf8')));
}

describe('SealedSecrets sealed by `ballast secrets seal`', () => {
  it('are unsealed by the real sealed-secrets controller reading the same key Secret', async () => {
    const crd = parse(
      await readFile(join(toolDir('sealed-secrets-controller'), 'crd.yaml'), 'utf8'),
    ) as KubeObject;
    await waitForCrds(fx.cluster, [await fx.cluster.apply(crd)], 30_000);
    await startUpstreamController(keysNs, '--key-renew-period=0');
    const target = `up-${randomBytes(3).toString('hex')}`;
    await fx.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: target } });
    for (const scope of scopes) {
      const input = join(scratch, `${scope}.yaml`);
      await writeFile(input, secretManifest(`ours-${scope}`, target, `${ours}-${scope}`));
      const sealedText = await fx.cli(
        'secrets',
        'seal',
        input,
        '--scope',
        scope,
        '--cert',
        certFile,
      );
      expect(sealedText).not.toContain(ours);
      await fx.cluster.apply(parse(sealedText) as KubeObject);
    }
    // --controller seals to the newest key read from the cluster, here the same one.
    const viaCluster = join(scratch, 'via-cluster.yaml');
    await writeFile(viaCluster, secretManifest('ours-cluster', target, ours));
    const sealed = await fx.cli(
      'secrets',
      'seal',
      viaCluster,
      '--controller',
      '--controller-namespace',
      keysNs,
    );
    await fx.cluster.apply(parse(sealed) as KubeObject);
    await eventually('the upstream controller made every Secret', 90_000, async () => {
      for (const scope of scopes)
        if ((await liveValue(`ours-${scope}`, target)) !== `${ours}-${scope}`) return false;
      return (await liveValue('ours-cluster', target)) === ours;
    }).catch((e: unknown) => {
      throw new Error(`${String(e)}\nupstream controller log:\n${upstreamLog.join('')}`);
    });
    expect(upstreamLog.join('')).not.toContain(ours);
  });
});

describe('a key Secret made by the upstream controller', () => {
  it('opens, unchanged, what kubeseal sealed to it, in a `ballast sync` of a kustomization', async () => {
    const theirs = `theirs-${randomBytes(3).toString('hex')}`;
    await fx.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: theirs } });
    // With no key in its namespace, the upstream controller makes one, as on a fresh install.
    await startUpstreamController(theirs, '--all-namespaces=false');
    let cert = '';
    await eventually('the upstream controller made its key', 90_000, async () => {
      const r = await fx.cliResult('secrets', 'cert', '--controller-namespace', theirs);
      cert = r.stdout;
      return r.code === 0 && cert.includes('BEGIN CERTIFICATE');
    });
    const theirCert = join(scratch, 'theirs.pem');
    await writeFile(theirCert, cert);
    const value = `theirs-${randomBytes(8).toString('hex')}`;
    const r = await run(
      toolPath('kubeseal'),
      ['--cert', theirCert, '--scope', 'namespace-wide', '-o', 'yaml'],
      { stdin: secretManifest('theirs', fx.ns, value), timeoutMs: 60_000 },
    );
    if (r.kind !== 'ok') throw new Error(`kubeseal: ${JSON.stringify(r)}`);
    const dir = join(scratch, 'kust');
    await mkdir(dir);
    await writeFile(join(dir, 'sealed.yaml'), r.stdout);
    await writeFile(join(dir, 'kustomization.yaml'), 'resources: [sealed.yaml]\n');
    const synced = await fx.cliResult(
      'sync',
      '--dir',
      dir,
      '--app',
      'theirs',
      '-n',
      fx.ns,
      '--sealing-key-namespace',
      theirs,
    );
    expect(synced.code).toBe(0);
    expect(synced.stdout + synced.stderr).not.toContain(value);
    expect(await liveValue('theirs')).toBe(value);
  });
});

describe('sealing key renewal', () => {
  it('adds a newer key when the newest is older than the period, keeps the old one, and reseal moves a file to it', async () => {
    const ring = new SealingKeyRing(
      clusterKeyStore(fx.cluster),
      { namespace: keysNs, renewPeriodMs: 1, refreshMs: 60_000, modulusLength: 2048 },
      () => undefined,
    );
    expect(await ring.renewIfDue()).toBe(true);
    const renewed = ring.current();
    expect(renewed.keys).toHaveLength(2);
    expect(renewed.keys.map((k) => k.source)).toContain(keys.keys[0]?.source);
    const file = join(scratch, 'reseal.yaml');
    await writeFile(
      file,
      stringify(await kubeseal(secretManifest('resealed', fx.ns, values.strict), 'strict')),
    );
    const before = await readFile(file, 'utf8');
    const out = await fx.cli('secrets', 'reseal', file, '--controller-namespace', keysNs);
    expect(out).not.toBe(before);
    expect(out).not.toContain(values.strict);
    const newestCert = renewed.keys[0]?.certPem ?? '';
    expect(await fx.cli('secrets', 'cert', '--controller-namespace', keysNs)).toBe(newestCert);
    // Only the newest key opens the resealed file: the oldest is left out of the keys offered.
    const newestOnly = { keys: renewed.keys.slice(0, 1) };
    const opened = unsealSecret(parse(out) as KubeObject, fx.ns, newestOnly);
    expect(opened.kind).toBe('ok');
    const old = unsealSecret(parse(before) as KubeObject, fx.ns, newestOnly);
    expect(old.kind).toBe('error');
  });
});

describe('a running `ballast controller`', () => {
  it('renews a sealing key older than --sealing-key-renew-period, in its own namespace, keeping the others', async () => {
    const before = (await readSealingKeys(fx.cluster, keysNs)).keys.keys.length;
    const quiet = `quiet-${randomBytes(3).toString('hex')}`;
    await fx.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: quiet } });
    const p = startControllerProcess(join(scratch, 'controller.log'), [
      ...['--kubeconfig', fx.kubeconfig, '-n', quiet, '--cache-dir', join(scratch, 'cache')],
      ...['--port', '0', '--bind-address', '127.0.0.1', '--lease-namespace', keysNs],
      ...['--ledger', `sqlite:${join(scratch, 'controller-audit.db')}`],
      ...['--sealing-key-renew-period', '1s'],
    ]);
    try {
      await eventually('the controller made a new key', 60_000, () =>
        p.logged('new sealing key made'),
      ).catch(async (e: unknown) => {
        // A timeout here says nothing without the controller's own account of it.
        const log = await readFile(join(scratch, 'controller.log'), 'utf8').catch(() => '');
        throw new Error(`${String(e)}\ncontroller log:\n${log.slice(-8_000)}`);
      });
      const after = (await readSealingKeys(fx.cluster, keysNs)).keys;
      expect(after.keys).toHaveLength(before + 1);
      expect(after.keys[0]?.notBeforeMs).toBeGreaterThan(after.keys[1]?.notBeforeMs ?? Infinity);
    } finally {
      await p.stop();
    }
  });
});
