import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { notificationPolicyResource } from '../../src/api/notification-policy.js';
import type { KubeObject } from '../../src/api/object.js';
import { crdOf } from '../../src/api/resource.js';
import { waitForCrds } from '../../src/apply/execute.js';
import type { Cluster } from '../../src/cluster/cluster.js';
import { defaultNotifierOptions, Notifier } from '../../src/notify/notifier.js';
import { createLogger } from '../../src/reconcile/log.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.js';
import { Receiver } from '../support/http-receiver.js';
import { eventually } from '../support/kube.js';
import { tempDirs } from '../support/temp.js';
import { clusterFor } from '../support/sync.js';
import { deploymentYaml } from '../support/manifests.js';

/** Values that may reach only where they are meant to: the HMAC key, the token, the app's Secret. */
const hmacKey = `hmac-${randomBytes(12).toString('hex')}`;
const token = `tok-${randomBytes(12).toString('hex')}`;
const appSecret = `pw-${randomBytes(12).toString('hex')}`;

let fx: ControllerFixture;
let rx: Receiver;
let notifier: Notifier;
let notifierCluster: Cluster;
const logLines: string[] = [];
const temp = tempDirs();
let cli: ControllerProcess | undefined;

const deployment = deploymentYaml();
/** Pods of a :broken image crash-loop on the test clusters; past 2 s the rollout is Degraded. */
const brokenDeployment = deploymentYaml({
  name: 'sick',
  image: 'nginx:broken',
  extraSpec: '  progressDeadlineSeconds: 2\n',
});
const configMap = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  greeting: hello\n`;
const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-db\nstringData:\n  password: ${appSecret}\n`;

function policy(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'ballast.dev/v1alpha1',
    kind: 'NotificationPolicy',
    metadata: { name, namespace: fx.ns },
    spec,
  };
}

const webhook = (path: string) => ({
  webhook: { url: `${rx.base}${path}`, secretRef: { name: 'hook-key' } },
});

async function readyOf(name: string): Promise<{ status?: string; reason?: string } | undefined> {
  const p = await fx.get('ballast.dev/v1alpha1', 'NotificationPolicy', name);
  const status = p?.['status'] as { conditions?: { status: string; reason: string }[] } | undefined;
  const conditions = status?.conditions;
  return conditions?.[0];
}

beforeAll(async () => {
  rx = await Receiver.start(['/allowed/flaky']);
  const kubeconfig = inject('controlPlane').clusters[1]?.kubeconfig ?? '';
  notifierCluster = clusterFor(kubeconfig);
  const crd = await notifierCluster.apply(crdOf(notificationPolicyResource));
  await waitForCrds(notifierCluster, [crd], 30_000);
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void logLines.push(line) },
  });
  // The controller is started first, so the Notifier can be limited to its namespace; the
  // `ballast controller` process below has the other.
  fx = await startControllerFixture({
    clusterIndex: 1,
    deps: {
      notify: (a) => {
        notifier.tap(a);
      },
    },
    controller: { logger },
  });
  notifier = new Notifier(notifierCluster, {
    ...defaultNotifierOptions(logger),
    allowedUrls: [`${rx.base}/allowed/`],
    namespace: fx.ns,
    backoff: { baseDelayMs: 200, maxDelayMs: 5_000, maxAttempts: 5 },
  });
  await notifier.start();
  await fx.cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'hook-key', namespace: fx.ns },
    data: { hmacKey: Buffer.from(hmacKey).toString('base64') },
  });
  await fx.cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'git-host', namespace: fx.ns },
    data: { token: Buffer.from(token).toString('base64') },
  });
  const outcomes = ['SyncSucceeded', 'DriftReverted'];
  const web = { matchLabels: { notify: 'web' } };
  for (const p of [
    policy('hooks', { selector: web, outcomes, target: webhook('/allowed/hooks') }),
    policy('flaky', {
      selector: web,
      outcomes: ['SyncSucceeded'],
      target: webhook('/allowed/flaky'),
    }),
    // The same host and port as the allowed prefix, but a path outside it.
    policy('internal', { selector: web, outcomes, target: webhook('/internal/steal') }),
    policy('status', {
      selector: web,
      outcomes: ['SyncSucceeded', 'SyncFailed'],
      target: {
        commitStatus: {
          provider: 'github',
          apiURL: `${rx.base}/allowed/github`,
          repository: 'acme/apps',
          tokenSecretRef: { name: 'git-host' },
        },
      },
    }),
    // Read as a ServiceAccount of the namespace that may not read Secrets: nothing is sent.
    policy('unprivileged', {
      selector: web,
      outcomes,
      serviceAccountName: 'no-secrets',
      target: webhook('/allowed/unprivileged'),
    }),
    policy('recovered', {
      selector: web,
      outcomes: ['SyncSucceeded', 'HealthRecovered'],
      target: {
        commitStatus: {
          provider: 'github',
          apiURL: `${rx.base}/allowed/recovered`,
          repository: 'acme/apps',
          tokenSecretRef: { name: 'git-host' },
        },
      },
    }),
    policy('degraded', {
      selector: { matchLabels: { notify: 'sick' } },
      outcomes: ['SyncSucceeded', 'HealthDegraded'],
      target: {
        commitStatus: {
          provider: 'github',
          apiURL: `${rx.base}/allowed/sick`,
          repository: 'acme/apps',
          tokenSecretRef: { name: 'git-host' },
        },
      },
    }),
    policy('flood', {
      selector: { matchLabels: { notify: 'noisy' } },
      outcomes: ['DriftReverted'],
      target: webhook('/allowed/flood'),
      rateLimit: { burst: 1, window: '30s' },
    }),
  ])
    await fx.cluster.apply(p);
  await fx.repo.writeFile('web/deploy.yaml', deployment);
  await fx.repo.writeFile('web/secret.yaml', secret);
  await fx.repo.writeFile('noisy/cm.yaml', configMap('noisy'));
  await fx.repo.writeFile('sick/deploy.yaml', brokenDeployment);
  await fx.repo.commit('two apps');
  await fx.repo.push();
  const labelled = (app: KubeObject, value: string): KubeObject => ({
    ...app,
    metadata: { ...app.metadata, labels: { notify: value } },
  });
  await fx.cluster.apply(labelled(fx.application('web', 'web'), 'web'));
  await fx.cluster.apply(labelled(fx.application('noisy', 'noisy'), 'noisy'));
  await fx.cluster.apply(labelled(fx.application('sick', 'sick'), 'sick'));
});

afterAll(async () => {
  await cli?.stop();
  await temp.removeAll();
  await fx.stop();
  await notifier.stop();
  notifierCluster.close();
  await rx.stop();
});

const outcomeOf = (b: Record<string, unknown>): unknown => b['outcome'];

describe('notifications', () => {
  it('sends a sync succeeded message for the synced commit, with a valid HMAC of its body', async () => {
    await eventually('a SyncSucceeded message reaches /allowed/hooks', 60_000, () =>
      Promise.resolve(rx.bodies('/allowed/hooks').some((b) => outcomeOf(b) === 'SyncSucceeded')),
    );
    const head = await fx.repo.head();
    const got = rx.at('/allowed/hooks').find((g) => g.body.includes('SyncSucceeded'));
    const want = `sha256=${createHmac('sha256', hmacKey)
      .update(got?.body ?? '')
      .digest('hex')}`;
    expect(got?.headers['x-ballast-signature']).toBe(want);
    expect(JSON.parse(got?.body ?? '')).toMatchObject({
      kind: 'Notification',
      outcome: 'SyncSucceeded',
      policy: { namespace: fx.ns, name: 'hooks' },
      subject: { kind: 'Application', namespace: fx.ns, name: 'web' },
      revision: head,
    });
    await eventually('policy hooks is Ready', 30_000, async () => {
      return (await readyOf('hooks'))?.status === 'True';
    });
  });

  it('sends a drift reverted message after the Deployment is scaled by hand', async () => {
    await eventually('Application web is Synced', 60_000, async () => {
      return (await fx.app('web'))?.status?.sync?.status === 'Synced';
    });
    await fx.kubectl('-n', fx.ns, 'scale', 'deployment/web', '--replicas=3');
    await eventually('a DriftReverted message reaches /allowed/hooks', 60_000, () =>
      Promise.resolve(rx.bodies('/allowed/hooks').some((b) => outcomeOf(b) === 'DriftReverted')),
    );
    const drift = rx.bodies('/allowed/hooks').find((b) => outcomeOf(b) === 'DriftReverted');
    expect(drift?.['message']).toMatch(
      /Deployment\.apps\/.*\/web changed by kubectl \(\/spec\/replicas\); reverted/,
    );
  });

  it('sets the commit status of the synced SHA on the GitHub-style API, as the Application', async () => {
    const head = await fx.repo.head();
    const path = `/allowed/github/repos/acme/apps/statuses/${head}`;
    await eventually(`a commit status reaches ${path}`, 60_000, () =>
      Promise.resolve(rx.at(path).length > 0),
    );
    const got = rx.at(path)[0];
    expect(got?.headers['authorization']).toBe(`Bearer ${token}`);
    const body = JSON.parse(got?.body ?? '') as Record<string, unknown>;
    expect(body['context']).toBe(`ballast/${fx.ns}/web`);
    expect(['pending', 'success']).toContain(body['state']);
  });

  /**
   * Waits for `state` among the commit statuses of the head under `prefix`, and returns the
   * states in order and the first status in that state.
   */
  async function commitStatusesUntil(
    prefix: string,
    state: string,
  ): Promise<{ states: unknown[]; reached: Record<string, unknown> | undefined }> {
    const path = `${prefix}/repos/acme/apps/statuses/${await fx.repo.head()}`;
    const states = (): unknown[] => rx.bodies(path).map((b) => b['state']);
    await eventually(`a ${state} commit status reaches ${prefix}`, 60_000, () =>
      Promise.resolve(states().includes(state)),
    );
    return { states: states(), reached: rx.bodies(path).find((b) => b['state'] === state) };
  }

  it('turns a pending commit status to success once the rollout it started is Healthy', async () => {
    const { states, reached } = await commitStatusesUntil('/allowed/recovered', 'success');
    // Synced first (pending: the new Deployment's Pods are not Ready yet), then HealthRecovered.
    expect(states[0]).toBe('pending');
    expect(reached).toMatchObject({ context: `ballast/${fx.ns}/web` });
    expect(String(reached?.['description'])).toMatch(/^HealthRecovered: /);
  });

  it('marks the commit failed once the rollout it started is Degraded', async () => {
    const { states, reached } = await commitStatusesUntil('/allowed/sick', 'failure');
    // Synced first (pending: not healthy yet), then HealthDegraded.
    expect(states[0]).toBe('pending');
    expect(reached).toMatchObject({ context: `ballast/${fx.ns}/sick` });
    expect(String(reached?.['description'])).toMatch(/^HealthDegraded: /);
  });

  it('delivers to a receiver that answered 503 once it recovers, no sooner than its Retry-After', async () => {
    await eventually('/allowed/flaky answered 200', 60_000, () =>
      Promise.resolve(rx.at('/allowed/flaky').some((g) => g.answered === 200)),
    );
    const [failed, delivered] = rx.at('/allowed/flaky');
    expect(failed?.answered).toBe(503);
    expect(delivered?.answered).toBe(200);
    expect(delivered?.body).toBe(failed?.body);
    expect((delivered?.at ?? 0) - (failed?.at ?? 0)).toBeGreaterThanOrEqual(1_000);
  });

  it('summarises a flood of drift reverts instead of sending each', async () => {
    await eventually('Application noisy is Synced', 60_000, async () => {
      return (await fx.app('noisy'))?.status?.sync?.status === 'Synced';
    });
    const flips = 6;
    for (let i = 0; i < flips; i++) {
      await fx.kubectl(
        '-n',
        fx.ns,
        'patch',
        'configmap/noisy',
        '--type=merge',
        '-p',
        `{"data":{"greeting":"changed-${i}"}}`,
      );
      await eventually(`flip ${i} is reverted`, 30_000, async () => {
        const cm = await fx.get('v1', 'ConfigMap', 'noisy');
        return (cm?.['data'] as Record<string, string> | undefined)?.['greeting'] === 'hello';
      });
    }
    // The summary comes when the 30 s window of the first revert ends.
    await eventually('a summary reaches /allowed/flood', 90_000, () =>
      Promise.resolve(rx.bodies('/allowed/flood').some((b) => b['kind'] === 'NotificationSummary')),
    );
    const bodies = rx.bodies('/allowed/flood');
    const single = bodies.filter((b) => b['kind'] === 'Notification');
    const summary = bodies.find((b) => b['kind'] === 'NotificationSummary');
    expect(single.length).toBeLessThan(flips);
    expect(summary?.['text']).toMatch(new RegExp(`^\\d+ more drift reverts? on ${fx.ns}/noisy$`));
  });

  it('sends nothing to a URL outside --notification-allowed-url, and says so on the policy', async () => {
    await eventually('policy internal is refused', 30_000, async () => {
      return (await readyOf('internal'))?.reason === 'TargetNotAllowed';
    });
    expect((await readyOf('internal'))?.status).toBe('False');
    // By now the allowed policies on the same Application have had both their messages.
    expect(rx.bodies('/allowed/hooks').map(outcomeOf)).toEqual(
      expect.arrayContaining(['SyncSucceeded', 'DriftReverted']),
    );
    expect(rx.got.filter((g) => !g.path.startsWith('/allowed/'))).toEqual([]);
  });

  it("reads a policy's Secret as its ServiceAccount, so one that may not read it sends nothing", async () => {
    await eventually('policy unprivileged cannot read its Secret', 30_000, async () => {
      return (await readyOf('unprivileged'))?.reason === 'SecretUnreadable';
    });
    expect(rx.at('/allowed/unprivileged')).toEqual([]);
  });

  it('never puts the HMAC key, the token or the Application’s Secret in a message, a log line, an Event or a status', async () => {
    const everything = [
      ...rx.got.map((g) => g.body + JSON.stringify({ ...g.headers, authorization: undefined })),
      ...logLines,
      await fx.kubectl('-n', fx.ns, 'get', 'events', '-o', 'json'),
      await fx.kubectl('-n', fx.ns, 'get', 'notificationpolicies.ballast.dev', '-o', 'json'),
      await fx.kubectl('-n', fx.ns, 'get', 'applications.ballast.dev', '-o', 'json'),
    ].join('\n');
    expect(everything).toContain('SyncSucceeded');
    for (const value of [hmacKey, token, appSecret]) expect(everything).not.toContain(value);
  });

  it('is wired into `ballast controller` by --notification-allowed-url', async () => {
    const ns = `${fx.ns}-cli`;
    const dir = await temp.make('ballast-notify-cli-');
    await fx.cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const creds = await fx.get('v1', 'Secret', 'repo-creds');
    for (const o of [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'repo-creds', namespace: ns },
        data: creds?.['data'],
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'hook-key', namespace: ns },
        data: { hmacKey: Buffer.from(hmacKey).toString('base64') },
      },
      {
        ...policy('cli', {
          selector: {},
          outcomes: ['SyncSucceeded'],
          target: webhook('/allowed/cli'),
        }),
        metadata: { name: 'cli', namespace: ns },
      },
    ])
      await fx.cluster.apply(o);
    const app = fx.application('cli', 'noisy');
    await fx.cluster.apply({
      ...app,
      metadata: { name: 'cli', namespace: ns },
      spec: { ...(app['spec'] as Record<string, unknown>), destination: { namespace: ns } },
    });
    const log = join(dir, 'controller.log');
    cli = startControllerProcess(log, [
      ...['--kubeconfig', fx.kubeconfig, '-n', ns, '--cache-dir', join(dir, 'cache')],
      ...['--port', '0', '--bind-address', '127.0.0.1', '--ledger', 'none', '--log-level', 'debug'],
      ...['--notification-allowed-url', `${rx.base}/allowed/cli`],
    ]);
    await eventually('the CLI controller sends a SyncSucceeded to /allowed/cli', 60_000, () =>
      Promise.resolve(rx.bodies('/allowed/cli').some((b) => outcomeOf(b) === 'SyncSucceeded')),
    );
    const got = rx.at('/allowed/cli')[0];
    const want = `sha256=${createHmac('sha256', hmacKey)
      .update(got?.body ?? '')
      .digest('hex')}`;
    expect(got?.headers['x-ballast-signature']).toBe(want);
    expect(JSON.parse(got?.body ?? '')).toMatchObject({ subject: { namespace: ns, name: 'cli' } });
    expect(await readFile(log, 'utf8')).not.toContain(hmacKey);
  });
});
