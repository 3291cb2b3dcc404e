import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning } from '../../src/dev/daemon.js';
import { toolPath } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';
import { clusterNamespace } from '../../src/fleet/names.js';
import { hubClusterOf, obtainHubCredential } from '../../src/fleet/registration/index.js';
import { runCli } from '../support/cli.js';
import {
  apiserverOf,
  credentialsIn,
  registrarToken,
  requestAs,
  tryWrite,
  type Credential,
} from '../support/credentials.js';
import { appNamespace, FleetWorld } from '../support/fleet-world.js';
import { eventually } from '../support/kube.js';
import { webApp } from '../support/fleet-app.js';

/*
 * The fleet end to end (issue 17, acceptance 6-8): least privilege, registration and bad input,
 * on a hub and two spokes of this file's own from `ballast dev fleet`, agents as processes.
 */

const spokes = ['spoke-1', 'spoke-2'];
const heartbeatMs = 15_000;
const api = '/apis/ballast.dev/v1alpha1';

const web = webApp({ cluster: '${cluster_name}' });

let w: FleetWorld;
let head = '';
let hubCa = '';
let scratch = '';

beforeAll(async () => {
  w = await FleetWorld.start(spokes.length, heartbeatMs);
  hubCa = await readFile(join(w.state, 'cluster-1', 'pki', 'ca.crt'), 'utf8');
  scratch = join(w.state, 'fleet');
  head = await w.commit({ 'web/all.yaml': web }, 'web');
  await w.fleetApp('web', 'web', { clusterNames: spokes });
  await eventually('web is Synced and Healthy on both spokes', 120_000, async () =>
    (await Promise.all(spokes.map((s) => w.syncedAt(s, 'web', head)))).every(Boolean),
  );
}, 240_000);

afterAll(async () => {
  await w.close();
}, 120_000);

const devClusterOf = (spoke: string): string =>
  w.fleet.spokes.find((s) => s.name === spoke)?.devCluster ?? '';

const kubeconfigOf = (spoke: string): string =>
  w.fleet.spokes.find((s) => s.name === spoke)?.kubeconfig ?? '';

/** `ballast agent` registering a new cluster, in namespace mode on spoke-1, with this token. */
async function registerWith(
  token: string,
  name: string,
): Promise<{ code: number; stderr: string }> {
  const tokenFile = join(scratch, `${name}-token`);
  await writeFile(tokenFile, token, { mode: 0o600 });
  await w.spoke('spoke-1').apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return runCli(
    [
      'agent',
      ...['--kubeconfig', kubeconfigOf('spoke-1'), '--cluster-name', name, '--namespace', name],
      ...[
        '--hub-url',
        w.fleet.hub.server,
        '--hub-ca-file',
        join(w.state, 'cluster-1', 'pki', 'ca.crt'),
      ],
      ...['--token-file', tokenFile, '--verification-mode', 'none'],
    ],
    { timeoutMs: 60_000 },
  );
}

const status = async (path: string): Promise<number> =>
  (await w.hub.http.request('GET', path)).status;

describe('a fleet from `ballast dev fleet`: identities, registration and bad input', () => {
  it("one cluster's hub identity is refused by the hub apiserver for another cluster's Assignments and for writing an Assignment's spec", async () => {
    const cred = await obtainHubCredential(w.spoke('spoke-1'), {
      clusterName: 'spoke-1',
      hubUrl: w.fleet.hub.server,
      hubCaPem: hubCa,
      namespace: 'ballast-agent',
    });
    const as1 = hubClusterOf(cred);
    const call = async (method: string, path: string, body?: object): Promise<number> =>
      (
        await as1.http.request(
          method,
          path,
          body === undefined ? undefined : JSON.stringify(body),
          {
            'content-type': 'application/merge-patch+json',
          },
        )
      ).status;
    try {
      const own = `${api}/namespaces/${clusterNamespace('spoke-1')}/assignments`;
      const other = `${api}/namespaces/${clusterNamespace('spoke-2')}/assignments`;
      expect(await call('GET', own)).toBe(200);
      expect(await call('GET', other)).toBe(403);
      expect(await call('GET', `${other}/${appNamespace}.web`)).toBe(403);
      const specPatch = { spec: { revision: 'f'.repeat(40) } };
      expect(await call('PATCH', `${own}/${appNamespace}.web?dryRun=All`, specPatch)).toBe(403);
      const statusPatch = { status: { sync: { status: 'Synced' } } };
      expect(await call('PATCH', `${own}/${appNamespace}.web/status?dryRun=All`, statusPatch)).toBe(
        200,
      );
      expect(
        await call('PATCH', `${other}/${appNamespace}.web/status?dryRun=All`, statusPatch),
      ).toBe(403);
      const clusters = `${api}/namespaces/ballast-fleet/clusters`;
      expect(
        await call('PATCH', `${clusters}/spoke-1?dryRun=All`, {
          metadata: { labels: { region: 'x' } },
        }),
      ).toBe(403);
      expect(
        await call('PATCH', `${clusters}/spoke-2/status?dryRun=All`, {
          status: { registered: false },
        }),
      ).toBe(403);
      expect(await call('GET', '/api/v1/namespaces/ballast-fleet/secrets')).toBe(403);
    } finally {
      as1.close();
    }
  });

  it("nothing on the hub, no Secret and not the hub controller's own credential, can write to a spoke", async () => {
    // A live registration token's Secret is among them.
    const made = await runCli(['fleet', 'token', 'create', '--kubeconfig', w.fleet.hub.kubeconfig]);
    expect(made.code, made.stderr).toBe(0);
    const list = JSON.parse((await w.hub.http.request('GET', '/api/v1/secrets')).body) as {
      items: { metadata: { namespace: string; name: string }; data?: Record<string, string> }[];
    };
    const candidates: Credential[] = [
      { kind: 'token', from: 'fleet token create', token: made.stdout.trim() },
      ...list.items.flatMap((s) =>
        credentialsIn(
          `Secret ${s.metadata.namespace}/${s.metadata.name}`,
          Object.fromEntries(
            Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
          ),
        ),
      ),
      // What `ballast hub` itself runs with (dev: the hub cluster's admin).
      ...credentialsIn('the hub process kubeconfig', {
        kubeconfig: await readFile(w.fleet.hub.kubeconfig, 'utf8'),
      }),
    ];
    expect(list.items.some((s) => s.metadata.name.startsWith('ballast-registration-token-'))).toBe(
      true,
    );
    expect(candidates.filter((c) => c.kind === 'cert').length).toBeGreaterThan(0);
    for (const spoke of spokes) {
      const s = await apiserverOf(kubeconfigOf(spoke));
      for (const c of candidates)
        expect([401, 403], `${c.from} on ${spoke}`).toContain(await tryWrite(s, c));
    }
  });

  it('a template naming a revision that does not exist is Stalled with the field path and writes no Assignments; a selector matching nothing is 0 clusters, not an error', async () => {
    // The CRD refuses what it can state; a template that passes it and cannot run stalls here.
    await w.fleetApp(
      'broken',
      'web',
      { clusterNames: spokes },
      { source: { repoURL: w.repoURL, targetRevision: 'no-such-branch', path: 'web' } },
    );
    await w.fleetApp('nowhere', 'web', { clusterSelector: { matchLabels: { region: 'moon' } } });
    await eventually('broken is Stalled', 60_000, async () => {
      const c = (await w.fleetAppOf('broken'))?.status?.conditions?.find(
        (x) => x.type === 'Stalled',
      );
      return c?.status === 'True';
    });
    const stalled = (await w.fleetAppOf('broken'))?.status?.conditions?.find(
      (x) => x.type === 'Stalled',
    );
    expect(stalled?.message).toContain('spec.template.source.targetRevision');
    expect(stalled?.message).toContain('no-such-branch');
    for (const s of spokes) expect(await w.assignment(s, 'broken')).toBeUndefined();
    await eventually('nowhere is Ready with 0 clusters', 60_000, async () => {
      const st = (await w.fleetAppOf('nowhere'))?.status;
      return (
        st?.summary?.total === 0 &&
        st.conditions?.some((c) => c.type === 'Ready' && c.reason === 'NoClustersSelected') === true
      );
    });
    const cli = await runCli([
      'fleet',
      'status',
      'nowhere',
      '-n',
      appNamespace,
      '--kubeconfig',
      w.fleet.hub.kubeconfig,
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    for (const name of ['broken', 'nowhere']) await w.deleteFleetApp(name);
  });

  it('an expired or a revoked registration token is refused with a message saying so and what to do', async () => {
    // The minted token is good while it has not expired: the apiserver knows it as the registrar.
    const fresh = await registrarToken(w.hub, w.state, 600);
    const review = await requestAs(
      { server: w.fleet.hub.server, ca: hubCa },
      { kind: 'token', from: 'minted', token: fresh },
      'POST',
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    );
    expect(review.status, review.body).toBe(201);
    const user = JSON.parse(review.body) as { status: { userInfo: { username: string } } };
    expect(user.status.userInfo.username).toBe(
      'system:serviceaccount:ballast-fleet:ballast-registrar',
    );

    const old = await registrarToken(w.hub, w.state, -60);
    const expired = await registerWith(old, 'late-store');
    expect(expired.code).not.toBe(0);
    expect(expired.stderr).toContain('refused the registration token');
    expect(expired.stderr).toContain('expired');
    expect(expired.stderr).toContain('ballast fleet token create');
    expect(expired.stderr).not.toContain(old.split('.')[2]);

    const made = await runCli(['fleet', 'token', 'create', '--kubeconfig', w.fleet.hub.kubeconfig]);
    const secret = /delete secret (\S+)/.exec(made.stderr)?.[1] ?? '';
    expect(secret).toMatch(/^ballast-registration-token-/);
    const del = await w.hub.http.request(
      'DELETE',
      `/api/v1/namespaces/ballast-fleet/secrets/${secret}`,
    );
    expect(del.status).toBe(200);
    const revoked = await registerWith(made.stdout.trim(), 'revoked-store');
    expect(revoked.code).not.toBe(0);
    expect(revoked.stderr).toContain('refused the registration token');
    expect(revoked.stderr).toContain('revoked');
    for (const name of ['late-store', 'revoked-store'])
      expect(await status(`${api}/namespaces/ballast-fleet/clusters/${name}`)).toBe(404);
  });

  it('an agent restarted with a new token keeps its stored identity and sends no new registration', async () => {
    const csrs = async (): Promise<string[]> =>
      (
        JSON.parse(
          (
            await w.hub.http.request(
              'GET',
              '/apis/certificates.k8s.io/v1/certificatesigningrequests',
            )
          ).body,
        ) as {
          items: { metadata: { name: string } }[];
        }
      ).items
        .map((c) => c.metadata.name)
        .sort();
    const identity = async (): Promise<string | undefined> =>
      (await w.clusterOf('spoke-1'))?.metadata.annotations?.['ballast.dev/registered-identity'];
    const before = { csrs: await csrs(), identity: await identity() };
    expect(before.identity).toMatch(/^ballast:cluster:spoke-1:/);

    const token = await runCli([
      'fleet',
      'token',
      'create',
      '--kubeconfig',
      w.fleet.hub.kubeconfig,
    ]);
    const tokenFile = join(scratch, 'restart-token');
    await writeFile(tokenFile, token.stdout, { mode: 0o600 });
    const agent = await w.stopDaemon(devClusterOf('spoke-1'), 'ballast-agent');
    const restarted = Date.now();
    await agent.start({ '--token-file': tokenFile });
    await eventually('the restarted agent renews its Lease', heartbeatMs, async () => {
      const lease = await w.hub.get({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'ballast-agent', namespace: clusterNamespace('spoke-1') },
      });
      const t = (lease?.['spec'] as { renewTime?: string } | undefined)?.renewTime;
      return t !== undefined && Date.parse(t) > restarted;
    });
    const held = (await w.logLines(devClusterOf('spoke-1'), 'ballast-agent')).filter(
      (l) => l['msg'] === 'holding a hub identity',
    );
    // One line from the first start, one from the restart: the same identity.
    expect(held.map((l) => l['identity'])).toEqual([before.identity, before.identity]);
    expect(await csrs()).toEqual(before.csrs);
    expect(await identity()).toBe(before.identity);
  });

  it("a deregistered cluster's agent stops reconciling with one clear log line and leaves its workloads running", async () => {
    const r = await runCli([
      'fleet',
      'deregister',
      'spoke-2',
      '--kubeconfig',
      w.fleet.hub.kubeconfig,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const refusal = async (): Promise<Record<string, unknown>[]> =>
      (await w.logLines(devClusterOf('spoke-2'), 'ballast-agent')).filter((l) =>
        String(l['msg']).startsWith('the hub refused this cluster'),
      );
    await eventually(
      'the agent logs that the hub refused it',
      60_000,
      async () => (await refusal()).length > 0,
    );
    expect((await refusal()).map((l) => l['level'])).toEqual(['error']);
    expect(isRunning(await w.daemon(devClusterOf('spoke-2'), 'ballast-agent'))).toBe(true);
    expect(await w.configMap('spoke-2', 'web', 'settings')).toEqual({ cluster: 'spoke-2' });
    // No longer reconciling: a scale stays.
    const kc = kubeconfigOf('spoke-2');
    const scaled = await run(
      toolPath('kubectl'),
      ['-n', 'web', 'scale', 'deployment/web', '--replicas=2'],
      {
        env: { KUBECONFIG: kc },
        timeoutMs: 30_000,
      },
    );
    expect(scaled.kind).toBe('ok');
    await new Promise((res) => setTimeout(res, 3_000));
    const d = await w.spokeObject('spoke-2', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'web' },
    });
    expect((d?.['spec'] as { replicas?: number } | undefined)?.replicas).toBe(2);
    // Its hub namespace is gone, or going.
    const ns = await w.hub.http.request('GET', `/api/v1/namespaces/${clusterNamespace('spoke-2')}`);
    expect(
      ns.status === 404 ||
        (JSON.parse(ns.body) as { metadata: { deletionTimestamp?: string } }).metadata
          .deletionTimestamp !== undefined,
    ).toBe(true);
    // spoke-1 is unaffected.
    expect(await w.syncedAt('spoke-1', 'web', head)).toBe(true);
  });
});
