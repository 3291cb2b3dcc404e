import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { RequestOptions } from 'node:https';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
// Erased at compile time: the package itself is imported only for plugin users (see pluginCredentials).
import type { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import {
  InClusterConfigError,
  KubeconfigContextError,
  KubeconfigCredentialFileError,
  KubeconfigParseError,
  KubeconfigPluginError,
  KubeconfigReadError,
  type KubeconfigOrigin,
  KubeconfigReferenceError,
  KubeconfigServerError,
  KubeconfigUserError,
  NoKubeconfigError,
} from './errors.js';

/** What one request needs to authenticate: node:https options and headers. */
export interface KubeCredentials {
  options: Pick<
    RequestOptions,
    'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername' | 'auth'
  >;
  headers: Record<string, string>;
}

/** What a request needs to reach and authenticate to the apiserver. */
export interface KubeAuth {
  /** The apiserver's URL, without a trailing slash. */
  server: string;
  /** The context's name, or `in-cluster`; for messages. */
  context: string;
  /**
   * The context's namespace, or in a Pod its own: what kubectl uses when `-n` is not given.
   * Undefined when the context names none (kubectl then uses `default`).
   */
  namespace: string | undefined;
  /** Reads the files again on each call, so rotated tokens and certificates are honoured. */
  credentials(): Promise<KubeCredentials>;
}

/** Where loadKubeAuth looks; tests point it elsewhere. */
export interface KubeconfigEnvironment {
  env: Record<string, string | undefined>;
  home: string;
  serviceAccountDir: string;
}

type Fields = Record<string, unknown>;

/** A named cluster, user or context, with the file that defined it: its relative paths start there. */
interface Entry {
  name: string;
  fields: Fields;
  file: string;
}

/** Several kubeconfig files seen as one, as kubectl merges $KUBECONFIG. */
interface Merged {
  files: string[];
  current: string | undefined;
  clusters: Map<string, Entry>;
  users: Map<string, Entry>;
  contexts: Map<string, Entry>;
}

/** Where a certificate, key or token comes from: inline, or a file read on every use. */
type Source =
  { data: Buffer } | { path: string; what: string; kubeconfig: string | undefined; trim?: boolean };

/** Everything needed to build credentials, resolved once when the kubeconfig is loaded. */
interface Plan {
  ca?: Source;
  cert?: Source;
  key?: Source;
  token?: Source;
  insecure: boolean;
  servername?: string;
  basic?: string;
  impersonate?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const isFields = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const fieldsOf = (v: unknown): Fields => (isFields(v) ? v : {});

function readDoc(file: string, origin: KubeconfigOrigin): Fields {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KubeconfigReadError([file], origin, e);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new KubeconfigParseError(file, e);
  }
  // An empty file is an empty kubeconfig, as for kubectl.
  if (doc === null || doc === undefined) return {};
  if (!isFields(doc))
    throw new KubeconfigParseError(file, new Error('the top level is not a mapping'));
  return doc;
}

/** kubectl's merge: the first file to define a name (or the current-context) wins. */
function merge(files: readonly string[], origin: KubeconfigOrigin): Merged {
  const m: Merged = {
    files: [...files],
    current: undefined,
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  for (const file of files) {
    const doc = readDoc(file, origin);
    m.current ??= str(doc['current-context']);
    const sections = [
      ['clusters', 'cluster', m.clusters],
      ['users', 'user', m.users],
      ['contexts', 'context', m.contexts],
    ] as const;
    for (const [section, inner, into] of sections) {
      const list = doc[section] ?? [];
      if (!Array.isArray(list))
        throw new KubeconfigParseError(file, new Error(`${section} is not a list`));
      for (const item of list as unknown[]) {
        const name = str(fieldsOf(item).name);
        if (name !== undefined && !into.has(name))
          into.set(name, { name, fields: fieldsOf(fieldsOf(item)[inner]), file });
      }
    }
  }
  return m;
}

/** The context's cluster and user; a context may name no user, then requests are anonymous. */
function select(
  m: Merged,
  wanted: string | undefined,
): { context: string; namespace: string | undefined; cluster: Entry; user?: Entry } {
  const context = wanted ?? m.current;
  const ctx = context === undefined ? undefined : m.contexts.get(context);
  if (context === undefined || ctx === undefined)
    throw new KubeconfigContextError(m.files, context, [...m.contexts.keys()]);
  const clusterName = str(ctx.fields.cluster);
  const cluster = clusterName === undefined ? undefined : m.clusters.get(clusterName);
  if (cluster === undefined)
    throw new KubeconfigReferenceError(m.files, context, 'cluster', clusterName);
  const namespace = str(ctx.fields.namespace);
  const userName = str(ctx.fields.user);
  if (userName === undefined) return { context, namespace, cluster };
  const user = m.users.get(userName);
  if (user === undefined) throw new KubeconfigReferenceError(m.files, context, 'user', userName);
  return { context, namespace, cluster, user };
}

/** Inline base64 `<field>-data` wins over the `<field>` path, as in kubectl. */
function sourceOf(entry: Entry, kind: string, field: string): Source | undefined {
  const data = str(entry.fields[`${field}-data`]);
  if (data !== undefined) return { data: Buffer.from(data, 'base64') };
  const path = str(entry.fields[field]);
  if (path === undefined) return undefined;
  return {
    path: isAbsolute(path) ? path : resolve(dirname(entry.file), path),
    what: `${kind} "${entry.name}" ${field}`,
    kubeconfig: entry.file,
  };
}

function tokenOf(user: Entry): Source | undefined {
  const token = str(user.fields.token);
  if (token !== undefined) return { data: Buffer.from(token, 'utf8') };
  // kubectl spells it tokenFile; client-node, which read our kubeconfigs before, token-file.
  const field = str(user.fields.tokenFile) === undefined ? 'token-file' : 'tokenFile';
  const source = sourceOf(user, 'user', field);
  return source === undefined || 'data' in source ? source : { ...source, trim: true };
}

function planFor(cluster: Entry, user: Entry | undefined): Plan {
  const plan: Plan = { insecure: cluster.fields['insecure-skip-tls-verify'] === true };
  const set = <K extends keyof Plan>(k: K, v: Plan[K] | undefined): void => {
    if (v !== undefined) plan[k] = v;
  };
  set('ca', sourceOf(cluster, 'cluster', 'certificate-authority'));
  set('servername', str(cluster.fields['tls-server-name']));
  if (user === undefined) return plan;
  set('cert', sourceOf(user, 'user', 'client-certificate'));
  set('key', sourceOf(user, 'user', 'client-key'));
  if ((plan.cert === undefined) !== (plan.key === undefined))
    throw new KubeconfigUserError(
      user.file,
      user.name,
      'has a client certificate or a client key but not both; give client-certificate(-data) and client-key(-data) together',
    );
  set('token', tokenOf(user));
  const username = str(user.fields.username);
  if (username !== undefined) plan.basic = `${username}:${str(user.fields.password) ?? ''}`;
  set('impersonate', str(user.fields.as));
  return plan;
}

/** Fails at load, not at the first request, when a named file is missing or unreadable. */
function checkReadable(plan: Plan): void {
  for (const s of [plan.ca, plan.cert, plan.key, plan.token]) {
    if (s === undefined || 'data' in s) continue;
    try {
      accessSync(s.path, constants.R_OK);
    } catch (e) {
      throw new KubeconfigCredentialFileError(s.kubeconfig, s.what, s.path, e);
    }
  }
}

async function load(s: Source | undefined): Promise<Buffer | undefined> {
  if (s === undefined || 'data' in s) return s?.data;
  try {
    return await readFile(s.path);
  } catch (e) {
    throw new KubeconfigCredentialFileError(s.kubeconfig, s.what, s.path, e);
  }
}

async function credentialsOf(plan: Plan): Promise<KubeCredentials> {
  const [ca, cert, key, token] = await Promise.all(
    [plan.ca, plan.cert, plan.key, plan.token].map(load),
  );
  const options: KubeCredentials['options'] = {};
  const headers: Record<string, string> = {};
  if (ca !== undefined) options.ca = ca;
  if (cert !== undefined && key !== undefined) Object.assign(options, { cert, key });
  if (plan.insecure) options.rejectUnauthorized = false;
  if (plan.servername !== undefined) options.servername = plan.servername;
  if (plan.basic !== undefined) options.auth = plan.basic;
  // A token file ends with a newline more often than not; it is no part of the token.
  if (token !== undefined) headers.authorization = `Bearer ${token.toString('utf8').trim()}`;
  if (plan.impersonate !== undefined) headers['impersonate-user'] = plan.impersonate;
  return { options, headers };
}

/** kubectl runs a plugin given by a relative path (one with a slash) from the kubeconfig's folder. */
function execOf(user: Entry): Fields | undefined {
  const exec = user.fields.exec;
  if (!isFields(exec)) return undefined;
  const command = str(exec.command);
  if (command === undefined || !command.includes('/') || isAbsolute(command)) return exec;
  return { ...exec, command: resolve(dirname(user.file), command) };
}

async function clientNodeFor(user: Entry): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  // Only the user's plugin is client-node's business; TLS to the cluster is ours, so the cluster
  // here is a placeholder that is never dialled.
  kc.loadFromClusterAndUser(
    { name: 'plugin', server: 'https://plugin.invalid', skipTLSVerify: false },
    { name: user.name, exec: execOf(user), authProvider: user.fields['auth-provider'] },
  );
  return kc;
}

/**
 * Exec plugins and auth providers (OIDC, cloud logins) run client-node's code, imported only
 * then: the package costs ~80 MiB of RSS that certificates and tokens do not need. One
 * KubeConfig is kept, so client-node's cache of unexpired plugin tokens works.
 */
function pluginCredentials(user: Entry, plan: Plan): KubeAuth['credentials'] {
  let kc: Promise<KubeConfig> | undefined;
  return async () => {
    const own = await credentialsOf(plan);
    const scratch: RequestOptions = { headers: {} };
    try {
      kc ??= clientNodeFor(user);
      await (await kc).applyToHTTPSOptions(scratch);
    } catch (e) {
      throw new KubeconfigPluginError(user.file, user.name, e);
    }
    const headers = { ...own.headers };
    const got = scratch.headers;
    if (got !== undefined && !Array.isArray(got))
      for (const [k, v] of Object.entries(got))
        if (typeof v === 'string') headers[k.toLowerCase()] = v;
    // A plugin may answer with a client certificate instead of a token.
    const { cert, key } = scratch;
    const options = {
      ...own.options,
      ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
    };
    return { options, headers };
  };
}

function fromFiles(
  files: readonly string[],
  origin: KubeconfigOrigin,
  wanted: string | undefined,
): KubeAuth {
  const m = merge(files, origin);
  const { context, namespace, cluster, user } = select(m, wanted);
  const server = str(cluster.fields.server);
  if (server === undefined || !/^https?:\/\/./.test(server))
    throw new KubeconfigServerError(cluster.file, cluster.name, server);
  const plan = planFor(cluster, user);
  checkReadable(plan);
  const plugin =
    user !== undefined &&
    (user.fields.exec !== undefined || user.fields['auth-provider'] !== undefined);
  return {
    server: server.replace(/\/+$/, ''),
    context,
    namespace,
    credentials: plugin ? pluginCredentials(user, plan) : () => credentialsOf(plan),
  };
}

/** The Pod's namespace, as client-go's in-cluster config reads it; undefined when unreadable. */
function podNamespace(serviceAccountDir: string): string | undefined {
  try {
    return str(readFileSync(join(serviceAccountDir, 'namespace'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** A Pod's own service account, as client-go's InClusterConfig: always https, token re-read. */
function inCluster(where: KubeconfigEnvironment): KubeAuth {
  const host = where.env.KUBERNETES_SERVICE_HOST;
  const port = where.env.KUBERNETES_SERVICE_PORT;
  if (host === undefined || host === '' || port === undefined || port === '')
    throw new InClusterConfigError();
  const file = (name: string, what: string): Source => ({
    path: join(where.serviceAccountDir, name),
    what: `service account ${what}`,
    kubeconfig: undefined,
  });
  const plan: Plan = { insecure: false, ca: file('ca.crt', 'CA'), token: file('token', 'token') };
  checkReadable(plan);
  return {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    context: 'in-cluster',
    namespace: podNamespace(where.serviceAccountDir),
    credentials: () => credentialsOf(plan),
  };
}

/**
 * client-node's loadFromDefault order, which is kubectl's: the given file, $KUBECONFIG,
 * ~/.kube/config, then the Pod's service account.
 */
export function loadKubeAuth(
  opts: { kubeconfig?: string; context?: string },
  environment: Partial<KubeconfigEnvironment> = {},
): KubeAuth {
  const where: KubeconfigEnvironment = {
    env: process.env,
    home: homedir(),
    serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
    ...environment,
  };
  if (opts.kubeconfig !== undefined)
    return fromFiles([opts.kubeconfig], '--kubeconfig', opts.context);
  const listed = (where.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  if (listed.length > 0) {
    // As kubectl does, entries that do not exist are skipped: one $KUBECONFIG can then serve
    // machines that lack some of its files.
    const present = listed.filter((p) => existsSync(p));
    if (present.length === 0)
      throw new KubeconfigReadError(listed, '$KUBECONFIG', new Error('none of its files exists'));
    return fromFiles(present, '$KUBECONFIG', opts.context);
  }
  const home = join(where.home, '.kube', 'config');
  if (existsSync(home)) return fromFiles([home], '~/.kube/config', opts.context);
  // A context can only be looked up in a file; dialling the Pod's own cluster instead could
  // apply to the wrong cluster.
  if (opts.context !== undefined || !existsSync(join(where.serviceAccountDir, 'token')))
    throw new NoKubeconfigError(home, opts.context);
  return inCluster(where);
}
