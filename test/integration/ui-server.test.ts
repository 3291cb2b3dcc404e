import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ActionResult,
  ApiError,
  AppDetail,
  AuditPage,
  AppList,
  ObjectDetail,
  ResourcePage,
  Session,
  StreamMessage,
} from '../../src/ui/api.js';
import { contentSecurityPolicy } from '../../src/ui/http.js';
import { removeTree } from '../../src/fs/remove.js';
import { cliMain } from '../support/cli.js';
import { startControllerFixture, type ControllerFixture } from '../support/controller.js';
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/kube.js';
import { serviceAccountToken } from '../support/service-account.js';

/*
 * The UI's server on the real control plane: `ballast ui` (local, the kubeconfig's admin) and
 * `ballast controller --ui` (users sign in with their own ServiceAccount tokens), reconciling a
 * real Git repository. The in-process fixture controller watches another namespace, so the
 * process under test is the one that syncs, heals and serves.
 */

let fx: ControllerFixture;
let dir = '';
let controller: ControllerProcess;
let controllerPort = 0;
let local: ChildProcess | undefined;
let localPort = 0;
let viewerToken = '';
let adminToken = '';
let strangerToken = '';
let getterToken = '';

const deployment = (name: string): string =>
  [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  replicas: 1',
    '  selector:',
    `    matchLabels: { app: ${name} }`,
    '  template:',
    `    metadata: { labels: { app: ${name} } }`,
    '    spec:',
    '      containers:',
    '        - name: web',
    '          image: example.invalid/web:1',
    '',
  ].join('\n');

const hostile = [
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
  '  name: hostile',
  '  annotations:',
  `    note: "<script>alert('x')</script>"`,
  'data:',
  '  a: b',
  '',
].join('\n');

interface Answer<T> {
  status: number;
  headers: IncomingMessage['headers'];
  body: T;
  text: string;
}

function call<T>(
  port: number,
  method: string,
  path: string,
  o: { cookie?: string; csrf?: string; body?: unknown; host?: string } = {},
): Promise<Answer<T>> {
  const body = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          host: o.host ?? `127.0.0.1:${String(port)}`,
          ...(o.cookie === undefined ? {} : { cookie: o.cookie }),
          ...(o.csrf === undefined ? {} : { 'x-ballast-csrf': o.csrf }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = undefined;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: the static fallback.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Signs in to the controller's UI with a token; the cookie and the session. */
async function signIn(token: string): Promise<{ cookie: string; session: Session }> {
  const r = await call<Session>(controllerPort, 'POST', '/api/login', { body: { token } });
  expect(r.status).toBe(200);
  const setCookie = r.headers['set-cookie']?.[0] ?? '';
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  expect(setCookie).toMatch(/Path=\//);
  return { cookie: setCookie.split(';')[0] ?? '', session: r.body };
}

/** An open /api/stream: the messages so far, with when each arrived. */
function openStream(
  port: number,
  cookie: string,
  query = '',
): { messages: { at: number; m: StreamMessage }[]; listed: () => boolean; close: () => void } {
  const messages: { at: number; m: StreamMessage }[] = [];
  let listed = false;
  const req = request({
    host: '127.0.0.1',
    port,
    path: `/api/stream${query}`,
    headers: { host: `127.0.0.1:${String(port)}`, cookie },
  });
  let buffer = '';
  req.on('response', (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (frame === ': applications listed') listed = true;
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (data !== undefined)
          messages.push({ at: performance.now(), m: JSON.parse(data.slice(6)) as StreamMessage });
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { messages, listed: () => listed, close: () => req.destroy() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-ui-server-'));
  fx = await startControllerFixture({
    clusterIndex: 0,
    // The process under test reconciles fx.ns; the fixture's own controller idles elsewhere.
    controller: { namespace: 'ui-server-idle' },
  });
  await fx.repo.writeFile('web/deploy.yaml', `${deployment('web')}---\n${hostile}`);
  await fx.repo.writeFile('warned/deploy.yaml', deployment('warned'));
  await fx.repo.commit('web and warned');
  await fx.repo.push();
  await fx.cluster.apply(fx.application('web', 'web'));
  const warned = fx.application('warned', 'warned', {
    // selfHeal is on, but drift: warn only reports: the UI must not say it heals.
    syncPolicy: { automated: { selfHeal: true }, drift: 'warn', interval: '1h' },
  });
  await fx.cluster.apply(warned);

  // viewer may read Applications and Events here; admin may do anything.
  await fx.kubectl('create', 'serviceaccount', 'viewer', '-n', fx.ns);
  await fx.kubectl('create', 'serviceaccount', 'admin', '-n', fx.ns);
  await fx.kubectl(
    'create',
    'role',
    'app-viewer',
    '-n',
    fx.ns,
    '--verb=get,list,watch',
    '--resource=applications.ballast.dev,events,deployments.apps,configmaps',
  );
  await fx.kubectl(
    'create',
    'rolebinding',
    'viewer',
    '-n',
    fx.ns,
    '--role=app-viewer',
    `--serviceaccount=${fx.ns}:viewer`,
  );
  await fx.kubectl(
    'create',
    'clusterrolebinding',
    `${fx.ns}-ui-admin`,
    '--clusterrole=cluster-admin',
    `--serviceaccount=${fx.ns}:admin`,
  );
  viewerToken = await serviceAccountToken(fx.cluster, fx.ns, 'viewer');
  adminToken = await serviceAccountToken(fx.cluster, fx.ns, 'admin');
  // stranger may do nothing at all.
  await fx.kubectl('create', 'serviceaccount', 'stranger', '-n', fx.ns);
  strangerToken = await serviceAccountToken(fx.cluster, fx.ns, 'stranger');
  // getter may get Applications by name but not list them; it may list web's objects.
  await fx.kubectl('create', 'serviceaccount', 'getter', '-n', fx.ns);
  await fx.kubectl(
    'create',
    'role',
    'app-getter',
    '-n',
    fx.ns,
    '--verb=get',
    '--resource=applications.ballast.dev',
  );
  await fx.kubectl(
    'create',
    'role',
    'deploy-lister',
    '-n',
    fx.ns,
    '--verb=get,list',
    '--resource=deployments.apps,configmaps',
  );
  for (const role of ['app-getter', 'deploy-lister'])
    await fx.kubectl(
      'create',
      'rolebinding',
      `getter-${role}`,
      '-n',
      fx.ns,
      `--role=${role}`,
      `--serviceaccount=${fx.ns}:getter`,
    );
  getterToken = await serviceAccountToken(fx.cluster, fx.ns, 'getter');

  controller = startControllerProcess(join(dir, 'controller.log'), [
    ...['--kubeconfig', fx.kubeconfig, '-n', fx.ns, '--cache-dir', join(dir, 'cache')],
    ...[
      '--port',
      '0',
      '--metrics-bind-address',
      '127.0.0.1',
      '--ledger',
      `sqlite:${join(dir, 'audit.db')}`,
      '--ui',
    ],
    ...['--log-level', 'debug'],
  ]);
  await eventually('the controller serves', 60_000, async () => {
    const line = (await controller.lines()).find((l) => typeof l['port'] === 'number');
    controllerPort = typeof line?.['port'] === 'number' ? line['port'] : 0;
    return controllerPort !== 0;
  });

  local = spawn(process.execPath, [cliMain, 'ui', '--kubeconfig', fx.kubeconfig, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const printed = await new Promise<string>((resolve, reject) => {
    let out = '';
    local?.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes('\n')) resolve(out);
    });
    local?.on('exit', (code) => {
      reject(new Error(`ballast ui exited ${String(code)}`));
    });
  });
  localPort = Number(/^Ballast UI: http:\/\/127\.0\.0\.1:(\d+)\/$/m.exec(printed)?.[1]);

  await eventually('both Applications are synced', 90_000, async () => {
    const ready = await Promise.all(['web', 'warned'].map((n) => fx.condition(n, 'Ready')));
    return ready.every((c) => c?.status === 'True');
  });
}, 240_000);

afterAll(async () => {
  local?.kill('SIGTERM');
  await controller.stop();
  await fx.kubectl('delete', 'clusterrolebinding', `${fx.ns}-ui-admin`).catch(() => '');
  await fx.stop();
  await removeTree(dir);
});

describe('ballast ui (local mode, the kubeconfig user)', () => {
  it('lists the synced Application with its revision, and refuses a Host header of another name', async () => {
    const r = await call<AppList>(localPort, 'GET', `/api/apps?namespace=${fx.ns}&sync=Synced`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const web = r.body.items.find((a) => a.name === 'web');
    expect(web).toMatchObject({ namespace: fx.ns, sync: 'Synced' });
    expect(web?.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(r.body.counts.sync.Synced).toBe(r.body.total);

    const rebound = await call<unknown>(localPort, 'GET', '/api/apps', {
      host: `attacker.example:${String(localPort)}`,
    });
    expect(rebound.status).toBe(421);
  });

  it('pages the resource tree: Application objects, their ReplicaSets and Pods, depth first', async () => {
    let page: ResourcePage | undefined;
    await eventually('the Pods of web are in the tree', 60_000, async () => {
      page = (
        await call<ResourcePage>(localPort, 'GET', `/api/apps/${fx.ns}/web/resources?limit=50`)
      ).body;
      return page.items.some((r) => r.kind === 'Pod');
    });
    const rows = page?.items ?? [];
    const deploy = rows.find((r) => r.kind === 'Deployment' && r.name === 'web');
    const rs = rows.find((r) => r.kind === 'ReplicaSet');
    const pod = rows.find((r) => r.kind === 'Pod');
    expect(deploy).toMatchObject({ depth: 0, sync: 'Synced', key: `apps|Deployment|${fx.ns}|web` });
    expect(rs).toMatchObject({ depth: 1, parent: deploy?.key });
    expect(pod).toMatchObject({ depth: 2, parent: rs?.key });
    expect(rows.findIndex((r) => r === deploy)).toBeLessThan(rows.findIndex((r) => r === pod));
    const onlyPods = await call<ResourcePage>(
      localPort,
      'GET',
      `/api/apps/${fx.ns}/web/resources?q=pod/&limit=1`,
    );
    expect(onlyPods.body.items.map((r) => r.kind)).toEqual(['Pod']);
    expect(onlyPods.body.total).toBeGreaterThanOrEqual(1);
  });

  it('answers the app shell with the CSP, and says to build when dist/web is missing', async () => {
    const r = await call<unknown>(localPort, 'GET', '/apps/x/y');
    expect(r.status).toBe(200);
    expect(r.headers['content-security-policy']).toBe(contentSecurityPolicy);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('ballast controller --ui (users sign in with their own token)', () => {
  it('signs a read-only ServiceAccount in: no action allowed, and a crafted POST with a valid CSRF token is refused by the apiserver', async () => {
    const { cookie, session } = await signIn(viewerToken);
    expect(session).toMatchObject({
      mode: 'cluster',
      user: `system:serviceaccount:${fx.ns}:viewer`,
    });
    const detail = await call<AppDetail>(controllerPort, 'GET', `/api/apps/${fx.ns}/web`, {
      cookie,
    });
    expect(detail.status).toBe(200);
    expect(detail.body.can).toEqual({
      sync: false,
      refresh: false,
      suspend: false,
      rollback: false,
    });
    expect(detail.body.selfHeal).toBe(true);
    // viewer may not list ReplicaSets or Pods: the tree still shows what it may read.
    const tree = await call<ResourcePage>(
      controllerPort,
      'GET',
      `/api/apps/${fx.ns}/web/resources?limit=50`,
      { cookie },
    );
    expect(tree.status).toBe(200);
    expect(tree.body.items.map((n) => n.kind)).toContain('Deployment');
    expect(tree.body.items.map((n) => n.kind)).not.toContain('ReplicaSet');

    const crafted = await call<ApiError>(
      controllerPort,
      'POST',
      `/api/apps/${fx.ns}/web/actions/sync`,
      { cookie, csrf: session.csrf, body: {} },
    );
    expect(crafted.status).toBe(403);
    expect(crafted.body.reason).toBe('Forbidden');
    // The apiserver's own words, naming the user it refused.
    expect(crafted.body.message).toContain(`system:serviceaccount:${fx.ns}:viewer`);
    expect(crafted.body.message).toContain('cannot patch resource "applications"');
  });

  it('shows the Application and its tree to a user who may get it but not list Applications', async () => {
    // The server reads an Application through a list narrowed to its name; this user's list is
    // refused, and the read falls back to the GET the user may make.
    const { cookie } = await signIn(getterToken);
    const detail = await call<AppDetail>(controllerPort, 'GET', `/api/apps/${fx.ns}/web`, {
      cookie,
    });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ namespace: fx.ns, name: 'web', sync: 'Synced' });
    const tree = await call<ResourcePage>(
      controllerPort,
      'GET',
      `/api/apps/${fx.ns}/web/resources?limit=50`,
      { cookie },
    );
    expect(tree.status).toBe(200);
    expect(tree.body.items.find((n) => n.kind === 'Deployment')).toMatchObject({
      name: 'web',
      health: 'Healthy',
    });
    const missing = await call<ApiError>(controllerPort, 'GET', `/api/apps/${fx.ns}/absent`, {
      cookie,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe(`Application ${fx.ns}/absent: not found`);
  });

  it("refuses a POST without the CSRF token before any apiserver call, and one with another session's token", async () => {
    const admin = await signIn(adminToken);
    const viewer = await signIn(viewerToken);
    const none = await call<ApiError>(
      controllerPort,
      'POST',
      `/api/apps/${fx.ns}/web/actions/refresh`,
      { cookie: admin.cookie, body: {} },
    );
    expect(none.status).toBe(403);
    expect(none.body.message).toBe('missing or wrong CSRF token');
    const crossed = await call<ApiError>(
      controllerPort,
      'POST',
      `/api/apps/${fx.ns}/web/actions/refresh`,
      { cookie: admin.cookie, csrf: viewer.session.csrf, body: {} },
    );
    expect(crossed.status).toBe(403);
    expect(crossed.body.message).toBe('missing or wrong CSRF token');
    const before = (await fx.app('web'))?.metadata.annotations?.['ballast.dev/refresh'];
    expect(before).toBeUndefined();

    const done = await call<ActionResult>(
      controllerPort,
      'POST',
      `/api/apps/${fx.ns}/web/actions/refresh`,
      { cookie: admin.cookie, csrf: admin.session.csrf, body: {} },
    );
    expect(done.status).toBe(200);
    const annotations = (await fx.app('web'))?.metadata.annotations ?? {};
    expect(annotations['ballast.dev/refresh']).toBeDefined();
    expect(annotations['ballast.dev/requested-by']).toBe(`system:serviceaccount:${fx.ns}:admin`);
  });

  it('refuses a token the apiserver does not accept, and answers 401 without a cookie', async () => {
    const bad = await call<ApiError>(controllerPort, 'POST', '/api/login', {
      body: { token: 'not-a-real-token' },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    const anonymous = await call<ApiError>(controllerPort, 'GET', '/api/session');
    expect(anonymous.status).toBe(401);
  });

  it('returns an annotation holding <script> as a JSON string, with the CSP header', async () => {
    const { cookie } = await signIn(adminToken);
    const r = await call<ObjectDetail>(
      controllerPort,
      'GET',
      `/api/apps/${fx.ns}/web/object?group=&kind=ConfigMap&namespace=${fx.ns}&name=hostile`,
      { cookie },
    );
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.headers['content-security-policy']).toBe(contentSecurityPolicy);
    expect(r.body.yaml).toContain("<script>alert('x')</script>");
    expect(r.text).not.toContain('<script>alert');
    expect(r.text).toContain('\\u003cscript\\u003e');
  });

  it('streams a change of a managed object made by another manager as app-changed, and the diff names that manager', async () => {
    const { cookie } = await signIn(adminToken);
    const stream = openStream(controllerPort, cookie, `?namespace=${fx.ns}`);
    await eventually('the stream has listed the Applications', 30_000, () =>
      Promise.resolve(stream.listed()),
    );
    const startedAt = performance.now();
    await fx.kubectl('scale', 'deployment', 'web', '-n', fx.ns, '--replicas=3');
    await fx.kubectl(
      'patch',
      'deployment',
      'warned',
      '-n',
      fx.ns,
      '--field-manager=intruder',
      '-p',
      '{"spec":{"replicas":4}}',
    );
    const key =
      (name: string) =>
      (m: StreamMessage): boolean =>
        m.type === 'app-changed' && m.key.namespace === fx.ns && m.key.name === name;
    await eventually('web changed on the stream', 30_000, () =>
      Promise.resolve(stream.messages.some((x) => x.at > startedAt && key('web')(x.m))),
    );
    const first = stream.messages.find((x) => x.at > startedAt && key('web')(x.m));
    process.stdout.write(
      `ui-server: kubectl scale → app-changed on /api/stream in ${Math.round((first?.at ?? 0) - startedAt)} ms (kubectl's own run included)\n`,
    );
    await eventually('web is healed back to 1 replica', 30_000, async () => {
      const d = await fx.get('apps/v1', 'Deployment', 'web');
      return (d?.spec as { replicas?: number } | undefined)?.replicas === 1;
    });

    await eventually(
      'warned reports the drift',
      30_000,
      async () => ((await fx.app('warned'))?.status?.drift ?? []).length > 0,
    );
    const detail = await call<AppDetail>(controllerPort, 'GET', `/api/apps/${fx.ns}/warned`, {
      cookie,
    });
    expect(detail.body.drift[0]).toMatchObject({
      kind: 'Deployment',
      name: 'warned',
      healed: false,
    });
    expect(detail.body.selfHeal).toBe(false);
    const diff = await call<ObjectDetail>(
      controllerPort,
      'GET',
      `/api/apps/${fx.ns}/warned/object?group=apps&kind=Deployment&namespace=${fx.ns}&name=warned`,
      { cookie },
    );
    expect(diff.status).toBe(200);
    expect(diff.body.diff.state).toBe('different');
    const replicas = diff.body.diff.lines.find((l) => l.path === '.spec.replicas');
    expect(replicas).toMatchObject({ op: 'changed', desired: '1', live: '4', manager: 'intruder' });
    stream.close();
  });

  it("rolls back through the API with a reason, recorded in the controller's ledger under the user's name, and shows the ledger only to those who may get the Application", async () => {
    const admin = await signIn(adminToken);
    await fx.repo.writeFile(
      'web/deploy.yaml',
      `${deployment('web')}---\n${hostile.replace('a: b', 'a: c')}`,
    );
    await fx.repo.commit('web: a is c');
    await fx.repo.push();
    const post = (path: string, body: object): Promise<Answer<ActionResult | ApiError>> =>
      call(controllerPort, 'POST', path, { cookie: admin.cookie, csrf: admin.session.csrf, body });
    expect((await post(`/api/apps/${fx.ns}/web/actions/sync`, {})).status).toBe(200);
    let history: AppDetail['history'] = [];
    await eventually('web synced the second commit', 60_000, async () => {
      const d = await call<AppDetail>(controllerPort, 'GET', `/api/apps/${fx.ns}/web`, {
        cookie: admin.cookie,
      });
      history = d.body.history;
      return new Set(history.map((h) => h.revision)).size >= 2;
    });
    const oldest = history.at(-1);
    expect(oldest).toBeDefined();
    const noReason = await post(`/api/apps/${fx.ns}/web/actions/rollback`, {
      historyId: oldest?.id,
    });
    expect(noReason.status).toBe(400);
    const rolled = await post(`/api/apps/${fx.ns}/web/actions/rollback`, {
      historyId: oldest?.id,
      reason: 'a: c broke checkout',
    });
    expect(rolled.status).toBe(200);

    const auditPath = `/api/audit?app=${fx.ns}/web&kind=rollback`;
    let page: AuditPage | undefined;
    await eventually('the rollback is in the ledger', 60_000, async () => {
      page = (await call<AuditPage>(controllerPort, 'GET', auditPath, { cookie: admin.cookie }))
        .body;
      return page.records.length > 0;
    });
    expect(page?.available).toBe(true);
    expect(page?.verify).toEqual({ state: 'intact' });
    expect(page?.records[0]).toMatchObject({
      kind: 'rollback',
      app: `${fx.ns}/web`,
      actor: `system:serviceaccount:${fx.ns}:admin`,
    });
    expect(page?.records[0]?.summary).toContain('a: c broke checkout');
    const detail = await call<AppDetail>(controllerPort, 'GET', `/api/apps/${fx.ns}/web`, {
      cookie: admin.cookie,
    });
    expect(detail.body.pinnedTo).toMatchObject({
      historyId: oldest?.id,
      reason: 'a: c broke checkout',
    });

    const stranger = await signIn(strangerToken);
    const hidden = await call<AuditPage>(controllerPort, 'GET', auditPath, {
      cookie: stranger.cookie,
    });
    expect(hidden.status).toBe(200);
    expect(hidden.body.records).toEqual([]);
    const refused = await call<ApiError>(controllerPort, 'GET', `/api/apps/${fx.ns}/web`, {
      cookie: stranger.cookie,
    });
    expect(refused.status).toBe(403);
  });

  it('never writes a token to the controller log', async () => {
    const log = await readFile(join(dir, 'controller.log'), 'utf8');
    expect(log).toContain('ui: signed in');
    expect(log).not.toContain(viewerToken);
    expect(log).not.toContain(adminToken);
    expect(log).not.toContain(strangerToken);
  });

  // Last: it leaves this address refused for a minute.
  it('refuses sign-ins from an address after 10 failures in a minute, with Retry-After, even with a good token', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await call<ApiError>(controllerPort, 'POST', '/api/login', {
        body: { token: `guess-${i}` },
      });
      statuses.push(r.status);
    }
    // One failure came from an earlier test; a window holds 10.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.at(-1)).toBe(429);
    const good = await call<ApiError>(controllerPort, 'POST', '/api/login', {
      body: { token: viewerToken },
    });
    expect(good.status).toBe(429);
    expect(good.body.reason).toBe('TooManyRequests');
    expect(Number(good.headers['retry-after'])).toBeGreaterThan(0);
    expect(good.headers['set-cookie']).toBeUndefined();
  });
});
