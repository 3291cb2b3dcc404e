import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { KubeconfigError, KubeconfigPluginError } from './errors.js';
import { defaultConnectOptions, KubeHttp } from './http.js';
import { loadKubeAuth, type KubeconfigEnvironment } from './kubeconfig.js';

// Counts real imports of client-node: the factory runs once, when the module is first imported.
const clientNode = vi.hoisted(() => ({ imports: 0 }));
vi.mock('@kubernetes/client-node', async (importOriginal) => {
  clientNode.imports++;
  return await importOriginal<typeof import('@kubernetes/client-node')>();
});

type Fields = Record<string, unknown>;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ballast-kubeconfig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes a file under the test's folder and returns its path. */
async function put(name: string, content: string, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}

/** A kubeconfig with one cluster, user and context, all named `name`. */
function single(cluster: Fields, user: Fields, name = 'dev'): Fields {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: 'https://dev.example:6443', ...cluster } }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
}

const kubeconfig = (doc: Fields, name = 'config'): Promise<string> => put(name, stringify(doc));

/** Never the machine's own $KUBECONFIG, ~/.kube/config or service account. */
const isolated = (more: Partial<KubeconfigEnvironment> = {}): KubeconfigEnvironment => ({
  env: {},
  home: join(dir, 'home'),
  serviceAccountDir: join(dir, 'sa'),
  ...more,
});

const credentialsOf = async (doc: Fields) =>
  loadKubeAuth({ kubeconfig: await kubeconfig(doc) }, isolated()).credentials();

describe('client-node', () => {
  // First in the file on purpose: once imported, a module stays imported for the whole file.
  it('is imported only for an exec plugin user, whose plugin path is relative to the kubeconfig', async () => {
    for (const user of [
      { 'client-certificate-data': b64('C'), 'client-key-data': b64('K') },
      { token: 't' },
      { username: 'u', password: 'p' },
    ])
      await credentialsOf(single({}, user));
    expect(clientNode.imports).toBe(0);

    await put(
      'bin/plugin.sh',
      '#!/bin/sh\nprintf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}\' "$1"\n',
      0o755,
    );
    const exec = {
      apiVersion: 'client.authentication.k8s.io/v1',
      command: './bin/plugin.sh',
      args: ['from-plugin'],
    };
    const got = await credentialsOf(single({ 'tls-server-name': 'api' }, { exec }));
    expect(clientNode.imports).toBe(1);
    expect(got.headers).toEqual({ authorization: 'Bearer from-plugin' });
    expect(got.options).toEqual({ servername: 'api' });
  });

  it('reports a failing exec plugin with the user and the kubeconfig', async () => {
    await put('fail.sh', '#!/bin/sh\necho "login expired" >&2\nexit 1\n', 0o755);
    const path = await kubeconfig(single({}, { exec: { command: join(dir, 'fail.sh') } }, 'sso'));
    const auth = loadKubeAuth({ kubeconfig: path }, isolated());
    const err = await auth.credentials().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeconfigPluginError);
    expect(String(err)).toContain(
      `kubeconfig ${path}: user "sso": the credential plugin failed (login expired)`,
    );
  });
});

describe('loadKubeAuth', () => {
  it('reads the server without its trailing slash, and the current context', async () => {
    const path = await kubeconfig(single({ server: 'https://dev.example:6443/' }, {}));
    const auth = loadKubeAuth({ kubeconfig: path }, isolated());
    expect([auth.server, auth.context]).toEqual(['https://dev.example:6443', 'dev']);
  });

  it('reads a CA certificate given inline as base64', async () => {
    const got = await credentialsOf(single({ 'certificate-authority-data': b64('CA PEM') }, {}));
    expect(got.options.ca).toEqual(Buffer.from('CA PEM'));
  });

  it('reads a CA certificate given as a path relative to the kubeconfig', async () => {
    await put('pki/ca.crt', 'CA PEM');
    const got = await credentialsOf(single({ 'certificate-authority': 'pki/ca.crt' }, {}));
    expect(got.options.ca).toEqual(Buffer.from('CA PEM'));
  });

  it('reads a client certificate given as a path relative to the kubeconfig', async () => {
    await put('pki/admin.crt', 'CERT PEM');
    await put('pki/admin.key', 'KEY PEM');
    const user = { 'client-certificate': 'pki/admin.crt', 'client-key': './pki/admin.key' };
    const got = await credentialsOf(single({}, user));
    expect(got.options).toEqual({ cert: Buffer.from('CERT PEM'), key: Buffer.from('KEY PEM') });
    expect(got.headers).toEqual({});
  });

  it('reads a client certificate given inline, preferring data over a path as kubectl does', async () => {
    const user = {
      'client-certificate-data': b64('CERT'),
      'client-certificate': 'missing.crt',
      'client-key-data': b64('KEY'),
    };
    const got = await credentialsOf(single({}, user));
    expect(got.options).toEqual({ cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
  });

  it('sends a bearer token given inline', async () => {
    expect((await credentialsOf(single({}, { token: 'abc' }))).headers).toEqual({
      authorization: 'Bearer abc',
    });
  });

  it('reads a token file relative to the kubeconfig again on every call, so rotation is seen', async () => {
    await put('token', 'first\n');
    const path = await kubeconfig(single({}, { tokenFile: 'token' }));
    const auth = loadKubeAuth({ kubeconfig: path }, isolated());
    expect((await auth.credentials()).headers.authorization).toBe('Bearer first');
    await put('token', 'second\n');
    expect((await auth.credentials()).headers.authorization).toBe('Bearer second');
  });

  it("also takes client-node's token-file spelling", async () => {
    await put('t', 'tok');
    expect((await credentialsOf(single({}, { 'token-file': 't' }))).headers.authorization).toBe(
      'Bearer tok',
    );
  });

  it('sends basic auth for a username and password', async () => {
    const got = await credentialsOf(single({}, { username: 'ops', password: 's3cret' }));
    expect(got.options).toEqual({ auth: 'ops:s3cret' });
  });

  it('honours tls-server-name, insecure-skip-tls-verify and impersonation', async () => {
    const cluster = { 'tls-server-name': 'kubernetes', 'insecure-skip-tls-verify': true };
    const got = await credentialsOf(single(cluster, { token: 't', as: 'alice' }));
    expect(got.options).toEqual({ servername: 'kubernetes', rejectUnauthorized: false });
    expect(got.headers).toEqual({ authorization: 'Bearer t', 'impersonate-user': 'alice' });
  });

  it('sends no credentials for a context that names no user', async () => {
    const doc = { ...single({}, {}), contexts: [{ name: 'dev', context: { cluster: 'dev' } }] };
    expect(await credentialsOf(doc)).toEqual({ options: {}, headers: {} });
  });

  it('uses the context it is given over the current-context', async () => {
    const doc = single({}, {});
    doc.clusters = [
      ...(doc.clusters as Fields[]),
      { name: 'prod', cluster: { server: 'https://prod' } },
    ];
    doc.contexts = [...(doc.contexts as Fields[]), { name: 'prod', context: { cluster: 'prod' } }];
    const auth = loadKubeAuth({ kubeconfig: await kubeconfig(doc), context: 'prod' }, isolated());
    expect([auth.server, auth.context]).toEqual(['https://prod', 'prod']);
  });

  it("gives the context's namespace, kubectl's default for -n, and none when it names none", async () => {
    const doc = single({}, {});
    doc.contexts = [
      { name: 'dev', context: { cluster: 'dev', namespace: 'shop' } },
      { name: 'bare', context: { cluster: 'dev' } },
    ];
    const file = await kubeconfig(doc);
    expect(loadKubeAuth({ kubeconfig: file }, isolated()).namespace).toBe('shop');
    expect(loadKubeAuth({ kubeconfig: file, context: 'bare' }, isolated()).namespace).toBe(
      undefined,
    );
  });

  it('merges $KUBECONFIG files: the first to define a name or the current-context wins', async () => {
    const a = await kubeconfig(
      {
        ...single({ server: 'https://a' }, { token: 'from-a' }, 'shared'),
        contexts: [{ name: 'a', context: { cluster: 'shared', user: 'shared' } }],
        'current-context': 'a',
      },
      'a/config',
    );
    await put('b/token', 'from-b');
    const b = await kubeconfig(
      {
        clusters: [
          { name: 'shared', cluster: { server: 'https://ignored' } },
          { name: 'b', cluster: { server: 'https://b' } },
        ],
        users: [
          { name: 'shared', user: { token: 'ignored' } },
          { name: 'b', user: { tokenFile: 'token' } },
        ],
        contexts: [{ name: 'b', context: { cluster: 'b', user: 'b' } }],
        'current-context': 'b',
      },
      'b/config',
    );
    const env = isolated({ env: { KUBECONFIG: `${a}::${join(dir, 'absent')}:${b}` } });
    const first = loadKubeAuth({}, env);
    expect([first.context, first.server]).toEqual(['a', 'https://a']);
    expect((await first.credentials()).headers.authorization).toBe('Bearer from-a');
    // b's relative token file is taken from b's folder, not a's.
    const second = loadKubeAuth({ context: 'b' }, env);
    expect([second.server, (await second.credentials()).headers.authorization]).toEqual([
      'https://b',
      'Bearer from-b',
    ]);
  });

  it('takes the given kubeconfig over $KUBECONFIG, and $KUBECONFIG over ~/.kube/config', async () => {
    const given = await kubeconfig(single({ server: 'https://given' }, {}), 'given');
    const fromEnv = await kubeconfig(single({ server: 'https://env' }, {}), 'env');
    await kubeconfig(single({ server: 'https://home' }, {}), 'home/.kube/config');
    const env = isolated({ env: { KUBECONFIG: fromEnv } });
    expect(loadKubeAuth({ kubeconfig: given }, env).server).toBe('https://given');
    expect(loadKubeAuth({}, env).server).toBe('https://env');
    expect(loadKubeAuth({}, isolated()).server).toBe('https://home');
  });

  it("falls back to the Pod's service account, bracketing an IPv6 service host", async () => {
    await put('sa/token', 'sa-token\n');
    await put('sa/ca.crt', 'SA CA');
    const env = isolated({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
    });
    expect(loadKubeAuth({}, env).namespace).toBeUndefined();
    await put('sa/namespace', 'ballast-system\n');
    const auth = loadKubeAuth({}, env);
    expect([auth.server, auth.context]).toEqual(['https://[fd00::1]:443', 'in-cluster']);
    // In a Pod, kubectl's default namespace is the Pod's own.
    expect(auth.namespace).toBe('ballast-system');
    expect(await auth.credentials()).toEqual({
      options: { ca: Buffer.from('SA CA') },
      headers: { authorization: 'Bearer sa-token' },
    });
  });
});

describe('KubeHttp', () => {
  it("sends the kubeconfig's token and impersonation headers with each request", async () => {
    const seen: (string | string[] | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization, req.headers['impersonate-user']);
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const doc = single({ server: `http://127.0.0.1:${port}` }, { token: 'abc', as: 'alice' });
    const http = KubeHttp.connect({
      ...defaultConnectOptions(),
      kubeconfig: await kubeconfig(doc),
    });
    try {
      // stream(), not request(): request() speaks TLS only, and this fake server is plain HTTP.
      const lines: string[] = [];
      const end = await http.stream('/version', (l) => lines.push(l), {
        signal: new AbortController().signal,
        idleTimeoutMs: 5_000,
      });
      expect([end.kind, lines]).toEqual(['ended', ['{}']]);
      expect([http.server, http.context]).toEqual([`http://127.0.0.1:${port}`, 'dev']);
      expect(seen).toEqual(['Bearer abc', 'alice']);
    } finally {
      http.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('loadKubeAuth errors', () => {
  /** What the user sees of the error loading throws: `Name: message`. */
  async function failure(load: () => unknown): Promise<string> {
    try {
      await load();
    } catch (e) {
      expect(e).toBeInstanceOf(KubeconfigError);
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
    throw new Error('expected loading to fail');
  }
  const load = (kubeconfig: string, context?: string) => () =>
    loadKubeAuth({ kubeconfig, ...(context === undefined ? {} : { context }) }, isolated());
  const inPod = () => put('sa/token', 't');

  it('names a missing kubeconfig file and the flag to fix', async () => {
    const path = join(dir, 'nope');
    expect(await failure(load(path))).toMatch(
      `KubeconfigReadError: kubeconfig ${path}: cannot be read (ENOENT: no such file or directory`,
    );
    expect(await failure(load(path))).toMatch(/; check the --kubeconfig path$/);
  });

  it('names $KUBECONFIG when none of its files exists', async () => {
    const env = isolated({ env: { KUBECONFIG: join(dir, 'x') } });
    expect(await failure(() => loadKubeAuth({}, env))).toBe(
      `KubeconfigReadError: kubeconfig ${join(dir, 'x')} (from $KUBECONFIG): cannot be read (none of its files exists); fix or unset $KUBECONFIG`,
    );
  });

  it('says where it looked when there is no kubeconfig and no service account', async () => {
    expect(await failure(() => loadKubeAuth({}, isolated()))).toBe(
      `NoKubeconfigError: no kubeconfig: $KUBECONFIG is unset, ${join(dir, 'home/.kube/config')} does not exist and this is not a Pod with a service account; pass --kubeconfig or set KUBECONFIG`,
    );
  });

  it('refuses a context when only the in-cluster config exists, not to use the wrong cluster', async () => {
    await inPod();
    expect(await failure(() => loadKubeAuth({ context: 'prod' }, isolated()))).toMatch(
      /^NoKubeconfigError: context "prod" was asked for, but there is no kubeconfig/,
    );
  });

  it('needs the service host and port to use the in-cluster config', async () => {
    await inPod();
    expect(await failure(() => loadKubeAuth({}, isolated()))).toMatch(
      /^InClusterConfigError: .* KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT is unset/,
    );
  });

  it('names an unparsable kubeconfig and where it breaks', async () => {
    const path = await put('config', 'clusters: [\n  - name: x\n');
    expect(await failure(load(path))).toMatch(
      `KubeconfigParseError: kubeconfig ${path}: not a valid kubeconfig (Block collections are not allowed within flow collections at line 2, column 3); fix the file`,
    );
  });

  it('rejects a kubeconfig whose top level or sections have the wrong shape', async () => {
    expect(await failure(load(await put('list', '- a\n')))).toMatch(
      'not a valid kubeconfig (the top level is not a mapping)',
    );
    expect(await failure(load(await put('bad', 'clusters: {}\n')))).toMatch(
      'not a valid kubeconfig (clusters is not a list)',
    );
  });

  it('lists the contexts when the one asked for is unknown', async () => {
    const path = await kubeconfig(single({}, {}));
    expect(await failure(load(path, 'prod'))).toBe(
      `KubeconfigContextError: kubeconfig ${path}: no context "prod" (it has dev); pass --context with one of them`,
    );
  });

  it('says when no current-context is set', async () => {
    const path = await kubeconfig({ ...single({}, {}), 'current-context': '' });
    expect(await failure(load(path))).toMatch(
      `KubeconfigContextError: kubeconfig ${path}: no current-context is set (it has dev); pass --context`,
    );
  });

  it('names the cluster or user a context points at that is not defined', async () => {
    const doc = single({}, {});
    doc.contexts = [{ name: 'dev', context: { cluster: 'gone', user: 'dev' } }];
    const path = await kubeconfig(doc);
    expect(await failure(load(path))).toBe(
      `KubeconfigReferenceError: kubeconfig ${path}: context "dev" names cluster "gone", which is not defined; add it under clusters or fix the context`,
    );
    doc.contexts = [{ name: 'dev', context: { cluster: 'dev', user: 'ghost' } }];
    expect(await failure(load(await kubeconfig(doc)))).toMatch('names user "ghost", which is not');
  });

  it('names a cluster without a server, or with one that is not a URL', async () => {
    const path = await kubeconfig(single({ server: '' }, {}));
    expect(await failure(load(path))).toBe(
      `KubeconfigServerError: kubeconfig ${path}: cluster "dev" has no server; set it to the apiserver's URL, e.g. https://host:6443`,
    );
    const bare = await kubeconfig(single({ server: 'dev.example:6443' }, {}));
    expect(await failure(load(bare))).toMatch('server "dev.example:6443", which is not an http(s)');
  });

  it('names an unreadable certificate file as resolved from the kubeconfig folder, at load', async () => {
    const user = { 'client-certificate': 'pki/a.crt', 'client-key': 'pki/a.key' };
    const path = await kubeconfig(single({}, user));
    const message = await failure(load(path));
    expect(message).toMatch(
      `KubeconfigCredentialFileError: kubeconfig ${path}: user "dev" client-certificate ${join(dir, 'pki/a.crt')} cannot be read (ENOENT`,
    );
    expect(message).toMatch(
      /; fix the path; a relative one is taken from the kubeconfig's folder$/,
    );
  });

  it('fails a call when a token file disappears after loading', async () => {
    const token = await put('token', 't');
    const path = await kubeconfig(single({}, { tokenFile: token }));
    const auth = loadKubeAuth({ kubeconfig: path }, isolated());
    await rm(token);
    expect(await failure(() => auth.credentials())).toMatch(
      `KubeconfigCredentialFileError: kubeconfig ${path}: user "dev" tokenFile ${token} cannot be read`,
    );
  });

  it('refuses a client certificate without its key', async () => {
    const path = await kubeconfig(single({}, { 'client-certificate-data': b64('C') }));
    expect(await failure(load(path))).toBe(
      `KubeconfigUserError: kubeconfig ${path}: user "dev" has a client certificate or a client key but not both; give client-certificate(-data) and client-key(-data) together`,
    );
  });
});
