import { randomBytes } from 'node:crypto';
import { parseDuration } from '../../api/schema-duration.js';
import type { Cluster } from '../../cluster/cluster.js';
import { defaultFleetNamespace } from '../names.js';
import { TokenTtlError } from './errors.js';
import { call, secretPath } from './kube.js';
import { registrationManifests } from './manifests.js';
import { registrarServiceAccount, tokenSecretLabel } from './names.js';

/** A TokenRequest may not be shorter than 10 minutes: the apiserver refuses it. */
export const minTokenTtlSeconds = 600;

/** How `fleet token create` makes a token. */
export interface TokenOptions {
  /** Lifetime of the token; at least 10 minutes. */
  ttlSeconds: number;
  /** Where the registrar ServiceAccount lives on the hub. */
  fleetNamespace: string;
}

export function defaultTokenOptions(): TokenOptions {
  return { ttlSeconds: 3600, fleetNamespace: defaultFleetNamespace };
}

/** Seconds in a `--ttl` flag (`10m`, `1h`, `24h`); refuses what the apiserver would. */
export function parseTokenTtl(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new TokenTtlError(text, 'not a duration; write e.g. 30m, 1h or 24h');
  const seconds = Math.floor(ms / 1000);
  if (seconds < minTokenTtlSeconds)
    throw new TokenTtlError(
      text,
      'a registration token must live at least 10m (the apiserver issues no shorter TokenRequest); revoke it early with `kubectl delete secret` instead',
    );
  return seconds;
}

/** A token, and how to revoke it. */
export interface RegistrationToken {
  token: string;
  /** The Secret it is bound to, in the fleet namespace: deleting it revokes the token. */
  secret: string;
  expiresAt: string;
}

/**
 * A token of the registrar ServiceAccount, bound to a Secret made for it, so deleting that
 * Secret revokes it before it expires. The ServiceAccount and its RBAC are applied first, so
 * the first token works on a hub where only the CRDs are installed.
 */
export async function createRegistrationToken(
  hub: Cluster,
  partial: Partial<TokenOptions> = {},
): Promise<RegistrationToken> {
  const opts = { ...defaultTokenOptions(), ...partial };
  const ns = opts.fleetNamespace;
  await hub.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const obj of registrationManifests(ns)) await hub.apply(obj);
  const name = `ballast-registration-token-${randomBytes(4).toString('hex')}`;
  const secret = await call(hub, {
    method: 'POST',
    path: secretPath(ns),
    subject: `Secret ${ns}/${name}`,
    verb: 'create',
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns, labels: { [tokenSecretLabel]: 'true' } },
      type: 'Opaque',
    },
  });
  const uid = (secret.body as { metadata: { uid: string } } | undefined)?.metadata.uid ?? '';
  const sa = registrarServiceAccount;
  const r = await call(hub, {
    method: 'POST',
    path: `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`,
    subject: `ServiceAccount ${ns}/${sa}`,
    verb: 'create token',
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        expirationSeconds: opts.ttlSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name, uid },
      },
    },
  });
  const status = (r.body as { status: { token: string; expirationTimestamp: string } } | undefined)
    ?.status;
  if (status === undefined)
    throw new Error(`ServiceAccount ${ns}/${sa}: TokenRequest returned no token`);
  return { token: status.token, secret: name, expiresAt: status.expirationTimestamp };
}
