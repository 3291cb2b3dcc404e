import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openLedger, type Ledger } from '../../src/audit/index.js';
import { ledgerSink } from '../../src/reconcile/audit.js';
import { createLogger } from '../../src/reconcile/log.js';
import { startBao, type Bao } from '../support/bao.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { eventually } from '../support/kube.js';
import { serviceAccountToken } from '../support/service-account.js';

/** Values that must reach the live Secrets and nowhere else. */
const first = `pw-${randomBytes(8).toString('hex')}`;
const rotated = `pw2-${randomBytes(8).toString('hex')}`;
const user = `user-${randomBytes(6).toString('hex')}`;
const refreshInterval = '2s';

let bao: Bao;
let fx: ControllerFixture;
let ledger: Ledger;
let scratch: string;
let tenantToken = '';
const logLines: string[] = [];

const secretYaml = (name: string, entries: Record<string, string>): string =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\nstringData:\n` +
  Object.entries(entries)
    .map(([k, v]) => `  ${k}: "${v}"\n`)
    .join('');
const cmYaml = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  x: "${value}"\n`;

async function liveValue(name: string, key: string): Promise<string | undefined> {
  const data = (await fx.get('v1', 'Secret', name))?.data as Record<string, string> | undefined;
  const v = data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

const vaultApp = (name: string, path: string, vault: Record<string, unknown>, more = {}) =>
  fx.application(name, path, {
    vault: { address: bao.address, refreshInterval, ...vault },
    ...more,
  });

/** Vault's kubernetes auth checks a ServiceAccount token with a TokenReview on this apiserver. */
async function configureKubernetesAuth(): Promise<void> {
  const kc = parse(await readFile(fx.kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const c = kc.clusters[0]?.cluster;
  const reviewer = 'vault-reviewer';
  await fx.cluster.apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: reviewer, namespace: fx.ns },
  });
  await fx.cluster.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${fx.ns}-vault-reviewer` },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'system:auth-delegator',
    },
    subjects: [{ kind: 'ServiceAccount', name: reviewer, namespace: fx.ns }],
  });
  const jwt = await serviceAccountToken(fx.cluster, fx.ns, reviewer);
  await bao.api('POST', 'sys/auth/kubernetes', { type: 'kubernetes' });
  await bao.api('POST', 'auth/kubernetes/config', {
    kubernetes_host: c?.server,
    kubernetes_ca_cert: Buffer.from(c?.['certificate-authority-data'] ?? '', 'base64').toString(),
    token_reviewer_jwt: jwt,
    disable_local_ca_jwt: true,
  });
  await bao.api('POST', 'auth/kubernetes/role/payments', {
    bound_service_account_names: ['payments-app'],
    bound_service_account_namespaces: [fx.ns],
    token_policies: ['payments'],
    audience: 'vault',
  });
}

/** The account the k8s-auth Application acts as: Secrets and ConfigMaps in its namespace. */
async function tenantAccount(): Promise<void> {
  const name = 'payments-app';
  for (const o of [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: fx.ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: fx.ns },
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets', 'configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: fx.ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: fx.ns }],
    },
  ])
    await fx.cluster.apply(o);
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ballast-vault-'));
  ledger = await openLedger(`sqlite:${join(scratch, 'audit.db')}`);
  bao = await startBao();
  fx = await startControllerFixture({
    clusterIndex: 0,
    deps: { audit: ledgerSink(ledger, () => undefined), vaultAllowedAddresses: [bao.address] },
    controller: {
      logger: createLogger({
        level: 'debug',
        destination: { write: (line: string) => void logLines.push(line) },
      }),
    },
  });
  await bao.api('PUT', 'sys/policies/acl/payments', {
    policy: 'path "secret/data/payments/*" { capabilities = ["read"] }',
  });
  const created = (await bao.api('POST', 'auth/token/create', {
    policies: ['payments'],
    ttl: '1h',
  })) as { auth: { client_token: string } };
  tenantToken = created.auth.client_token;
  await fx.cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'vault-token', namespace: fx.ns },
    data: { token: Buffer.from(tenantToken).toString('base64') },
  });
  await bao.put('payments/db', { password: first, user });
  await fx.repo.writeFile(
    'token/db.yaml',
    secretYaml('db-token', {
      password: '<vault:secret/data/payments/db#password>',
      url: 'postgres://<vault:payments/db#user>@db',
    }),
  );
  await fx.repo.writeFile('token/cm.yaml', cmYaml('token-settings', 'plain'));
  await fx.repo.writeFile(
    'k8s/db.yaml',
    secretYaml('db-k8s', { password: '<vault:payments/db#password>' }),
  );
  await fx.repo.writeFile(
    'missing/db.yaml',
    secretYaml('db-missing', { password: '<vault:payments/db#nokey>' }),
  );
  await fx.repo.writeFile('missing/cm.yaml', cmYaml('missing-settings', 'plain'));
  // A secretGenerator base64-encodes the placeholder into data; it is filled all the same.
  await fx.repo.writeFile(
    'kust/kustomization.yaml',
    'secretGenerator:\n  - name: db-kust\n    literals:\n      - password=<vault:payments/db#password>\n' +
      'generatorOptions:\n  disableNameSuffixHash: true\n',
  );
  // So does Helm's b64enc.
  await fx.repo.writeFile('chart/Chart.yaml', 'apiVersion: v2\nname: pay\nversion: 0.1.0\n');
  await fx.repo.writeFile(
    'chart/templates/db.yaml',
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-helm\ndata:\n' +
      '  password: {{ "<vault:payments/db#password>" | b64enc }}\n',
  );
  await fx.repo.writeFile('leak/cm.yaml', cmYaml('leak', '<vault:payments/db#password>'));
  await fx.repo.commit('Secrets with Vault placeholders');
  await fx.repo.push();
});

afterAll(async () => {
  await fx.stop();
  await bao.stop();
  await ledger.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('Secrets filled from Vault (a real OpenBao) by a controller', () => {
  it('resolves placeholders with token auth, from a full path and a short one', async () => {
    await fx.cluster.apply(
      vaultApp('token-app', 'token', { auth: { token: { name: 'vault-token' } } }),
    );
    await eventually('db-token holds the Vault values', 60_000, async () => {
      return (await liveValue('db-token', 'password')) === first;
    });
    expect(await liveValue('db-token', 'url')).toBe(`postgres://${user}@db`);
    // Status is written when the pass reports, just after the apply.
    await eventually('token-app is Synced', 10_000, async () => {
      return (await fx.condition('token-app', 'Ready'))?.reason === 'Synced';
    });
  });

  it('applies a value changed in Vault within refreshInterval, and the ledger records the rotation by path', async () => {
    await bao.put('payments/db', { password: rotated, user });
    // syncPolicy.interval is 1h: only the passes refreshInterval (2 s) brings can apply it.
    await eventually('db-token holds the rotated value', 30_000, async () => {
      return (await liveValue('db-token', 'password')) === rotated;
    });
    // The rotation is recorded when the sync returns, the sync itself when the pass reports.
    const rotationAndSync = async () => {
      const records = await ledger.list();
      const rotation = records.find((r) => r.kind === 'secret-rotated');
      const sync = records.find(
        (r) =>
          r.kind === 'sync-applied' &&
          r.app.name === 'token-app' &&
          rotation !== undefined &&
          r.seq > rotation.seq,
      );
      return { rotation, sync };
    };
    await eventually('the ledger holds the rotation and its sync', 10_000, async () => {
      const { rotation, sync } = await rotationAndSync();
      return rotation !== undefined && sync !== undefined;
    });
    const { rotation, sync } = await rotationAndSync();
    expect(rotation).toMatchObject({
      app: { namespace: fx.ns, name: 'token-app' },
      source: 'vault',
      paths: ['secret/data/payments/db#password'],
    });
    // Only the Secret was applied again, not the ConfigMap beside it.
    expect(sync?.kind === 'sync-applied' && sync.changes.map((c) => c.ref.name)).toEqual([
      'db-token',
    ]);
  });

  it("fills a placeholder a kustomize secretGenerator or Helm's b64enc base64-encoded into data", async () => {
    const token = { auth: { token: { name: 'vault-token' } } };
    await fx.cluster.apply(vaultApp('kust-app', 'kust', token));
    await fx.cluster.apply(vaultApp('helm-app', 'chart', token));
    await eventually('db-kust and db-helm hold the Vault value', 60_000, async () => {
      return (
        (await liveValue('db-kust', 'password')) === rotated &&
        (await liveValue('db-helm', 'password')) === rotated
      );
    });
  });

  it("resolves placeholders with kubernetes auth, as the Application's own ServiceAccount", async () => {
    await tenantAccount();
    await configureKubernetesAuth();
    await fx.cluster.apply(
      vaultApp(
        'k8s-app',
        'k8s',
        { auth: { kubernetes: { role: 'payments' } } },
        { serviceAccountName: 'payments-app' },
      ),
    );
    await eventually('db-k8s holds the Vault value', 60_000, async () => {
      return (await liveValue('db-k8s', 'password')) === rotated;
    });
  });

  it('refuses a missing key before anything is applied, naming the file, the object, the path and the key', async () => {
    await fx.cluster.apply(
      vaultApp(
        'missing-app',
        'missing',
        { auth: { token: { name: 'vault-token' } } },
        { syncPolicy: { automated: {}, interval: '1h', retry: { limit: 0 } } },
      ),
    );
    await eventually('missing-app is VaultUnresolved', 60_000, async () => {
      return (await fx.condition('missing-app', 'Ready'))?.reason === 'VaultUnresolved';
    });
    const message = (await fx.condition('missing-app', 'Ready'))?.message ?? '';
    expect(message).toContain('missing/db.yaml');
    expect(message).toContain('Secret/db-missing');
    expect(message).toContain('Vault has no key "nokey" at secret/data/payments/db');
    expect(await fx.get('v1', 'Secret', 'db-missing')).toBeUndefined();
    expect(await fx.get('v1', 'ConfigMap', 'missing-settings')).toBeUndefined();
  });

  it('refuses a placeholder in a ConfigMap, so a tenant cannot copy a Vault value out of a Secret', async () => {
    await fx.cluster.apply(
      vaultApp(
        'leak-app',
        'leak',
        { auth: { token: { name: 'vault-token' } } },
        { syncPolicy: { automated: {}, interval: '1h', retry: { limit: 0 } } },
      ),
    );
    await eventually('leak-app is VaultUnresolved', 60_000, async () => {
      const c = await fx.condition('leak-app', 'Ready');
      return c?.reason === 'VaultUnresolved' && c.message.includes('data.x holds a <vault:');
    });
    expect(await fx.get('v1', 'ConfigMap', 'leak')).toBeUndefined();
  });

  it("sends nothing to a Vault address the operator did not allow, so a tenant cannot collect the controller's logins", async () => {
    // The tenant's own server, posing as Vault: it records whatever reaches it.
    const seen: string[] = [];
    const trap = createServer((req, res) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"auth":{"client_token":"x","lease_duration":60}}');
    });
    await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
    const { port } = trap.address() as AddressInfo;
    try {
      await fx.cluster.apply(
        fx.application('trap-app', 'k8s', {
          serviceAccountName: 'payments-app',
          vault: {
            address: `http://127.0.0.1:${port}`,
            auth: { kubernetes: { role: 'payments' } },
          },
          syncPolicy: { automated: {}, interval: '1h', retry: { limit: 0 } },
        }),
      );
      await eventually('trap-app is refused', 60_000, async () => {
        return (await fx.condition('trap-app', 'Ready'))?.reason === 'VaultUnresolved';
      });
      const message = (await fx.condition('trap-app', 'Ready'))?.message ?? '';
      expect(message).toContain('is not a Vault this controller may use; nothing was sent to it');
      expect(message).toContain('--vault-allowed-address');
      expect(seen).toEqual([]);
    } finally {
      await new Promise((r) => trap.close(r));
    }
  });

  it('with Vault stopped, fails the sync with a clear message and keeps the live Secret', async () => {
    await bao.stop();
    await eventually('token-app is VaultUnavailable', 30_000, async () => {
      return (await fx.condition('token-app', 'Ready'))?.reason === 'VaultUnavailable';
    });
    const message = (await fx.condition('token-app', 'Ready'))?.message ?? '';
    expect(message).toContain(`Vault ${bao.address} /v1/`);
    expect(message).toMatch(/unreachable.*nothing was applied, the live Secrets keep their values/);
    // Another refresh interval later, the Secret still holds the last value read.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await liveValue('db-token', 'password')).toBe(rotated);
  });

  it('keeps the values and the tenant token out of status, Events, logs, the ledger and disk', async () => {
    const files = async (dir: string): Promise<string[]> => {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    };
    const onDisk: string[] = [];
    for (const f of [...(await files(fx.cacheDir)), ...(await files(scratch))]) {
      // The controller keeps fetching meanwhile: a git lock listed a moment ago may be gone.
      const bytes = await readFile(f).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      });
      if (bytes !== undefined) onDisk.push(bytes.toString('latin1'));
    }
    const apps = await Promise.all(
      ['token-app', 'kust-app', 'helm-app', 'k8s-app', 'missing-app', 'leak-app'].map((n) =>
        fx.app(n),
      ),
    );
    const haystacks = [
      JSON.stringify(apps),
      (await fx.cluster.http.request('GET', `/api/v1/namespaces/${fx.ns}/events`)).body,
      logLines.join('\n'),
      JSON.stringify(await ledger.list()),
      ...onDisk,
    ];
    const needles = [first, rotated, tenantToken].flatMap((s) => [
      s,
      Buffer.from(s).toString('base64'),
    ]);
    expect(logLines.length).toBeGreaterThan(0);
    for (const text of haystacks) for (const n of needles) expect(text).not.toContain(n);
    expect(await ledger.verify()).toMatchObject({ kind: 'intact' });
  });
});
