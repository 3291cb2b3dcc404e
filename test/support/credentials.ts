import { createPrivateKey, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Cluster } from '../../src/cluster/cluster.js';

/*
 * Credentials as an attacker holding the hub would find them, and requests made with nothing
 * else, for the fleet's least-privilege tests.
 */

/** A credential to try against an apiserver, and where it was found. */
export type Credential =
  | { kind: 'token'; from: string; token: string }
  | { kind: 'cert'; from: string; cert: string; key: string };

/** An apiserver's URL and the CA of its serving certificate. */
export interface Apiserver {
  server: string;
  ca: string;
}

/** The first cluster of a kubeconfig file. */
export async function apiserverOf(kubeconfig: string): Promise<Apiserver> {
  const kc = parse(await readFile(kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const c = kc.clusters[0]?.cluster;
  if (c === undefined) throw new Error(`no cluster in ${kubeconfig}`);
  return {
    server: c.server,
    ca: Buffer.from(c['certificate-authority-data'], 'base64').toString(),
  };
}

/** One request to an apiserver made with `cred` alone (no other identity). */
export function requestAs(
  s: Apiserver,
  cred: Credential,
  method: string,
  path: string,
  body: object,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, s.server),
      {
        method,
        ca: s.ca,
        ...(cred.kind === 'cert' ? { cert: cred.cert, key: cred.key } : {}),
        headers: {
          'content-type': 'application/json',
          ...(cred.kind === 'token' ? { authorization: `Bearer ${cred.token}` } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The status of a dry-run ConfigMap create with `cred`: a write attempt that stores nothing. */
export async function tryWrite(s: Apiserver, cred: Credential): Promise<number> {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-the-hub' } };
  return (await requestAs(s, cred, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm))
    .status;
}

/** Every credential-like value in a Secret or a kubeconfig: tokens, certificate-key pairs. */
export function credentialsIn(from: string, data: Record<string, string>): Credential[] {
  const out: Credential[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (/^[\x21-\x7e]{1,8192}$/.test(v))
      out.push({ kind: 'token', from: `${from}/${k}`, token: v });
    const doc = (() => {
      try {
        return parse(v) as unknown;
      } catch {
        return undefined;
      }
    })();
    const users = (doc as { users?: { user?: Record<string, string> }[] } | undefined)?.users;
    for (const u of Array.isArray(users) ? users : [])
      out.push(...credentialsIn(`${from}/${k}(kubeconfig)`, decodeKubeconfigUser(u.user ?? {})));
  }
  const cert = data['tls.crt'] ?? data['client-certificate-data'];
  const key = data['tls.key'] ?? data['client-key-data'];
  if (cert !== undefined && key !== undefined) out.push({ kind: 'cert', from, cert, key });
  return out;
}

function decodeKubeconfigUser(u: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (u['token'] !== undefined) out['token'] = u['token'];
  for (const k of ['client-certificate-data', 'client-key-data'])
    if (u[k] !== undefined) out[k] = Buffer.from(u[k], 'base64').toString();
  return out;
}

/**
 * A service-account token for the registrar of the hub (cluster-1 of the dev control plane in
 * `stateDir`), signed with the hub's own service-account key as its apiserver signs them, but `expSeconds` from now (negative: already expired):
 * TokenRequest issues none shorter than 10 minutes, so an expired token is made this way.
 */
export async function registrarToken(
  hub: Cluster,
  stateDir: string,
  expSeconds: number,
): Promise<string> {
  const sa = JSON.parse(
    (
      await hub.http.request(
        'GET',
        '/api/v1/namespaces/ballast-fleet/serviceaccounts/ballast-registrar',
      )
    ).body,
  ) as { metadata: { uid: string } };
  const issuer = 'https://kubernetes.default.svc.cluster.local';
  const now = Math.floor(Date.now() / 1000);
  const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = {
    iss: issuer,
    aud: [issuer],
    sub: 'system:serviceaccount:ballast-fleet:ballast-registrar',
    iat: now - 3600,
    nbf: now - 3600,
    exp: now + expSeconds,
    'kubernetes.io': {
      namespace: 'ballast-fleet',
      serviceaccount: { name: 'ballast-registrar', uid: sa.metadata.uid },
    },
  };
  const input = `${b64url({ alg: 'ES256', typ: 'JWT' })}.${b64url(claims)}`;
  const key = createPrivateKey(await readFile(join(stateDir, 'cluster-1', 'pki', 'sa.key')));
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}
