import type { Application } from '../api/application.js';
import { parseDuration } from '../api/schema-duration.js';
import type { Cluster } from '../cluster/cluster.js';
import type { RenderedObject } from '../render/index.js';
import {
  formatVaultRef,
  VaultRequestError,
  type VaultAccess,
  type VaultLogin,
  type VaultRef,
  vaultAddressAllowed,
  VaultValues,
} from '../vault/index.js';
import type { AppKey } from '../api/app-key.js';
import type { AuditSink } from './audit.js';
import { StageError } from './errors.js';
import { identityOf } from './identity.js';
import { recordEvent } from './status.js';

/** What the controller lends every Application that reads Vault. */
export interface VaultDeps {
  /** The values read, per Application, in memory only. */
  values: VaultValues;
  /** `--vault-address`: the address of an Application whose spec.vault names none. */
  defaultAddress?: string | undefined;
  /** `--vault-allowed-address`: the other addresses a spec.vault.address may name. */
  allowedAddresses?: readonly string[] | undefined;
}

const defaultRefreshMs = 300_000;

/** How often the Application's Vault values are read again; undefined without spec.vault. */
export function vaultRefreshMs(app: Application): number | undefined {
  const v = app.spec.vault;
  return v === undefined ? undefined : (parseDuration(v.refreshInterval) ?? defaultRefreshMs);
}

interface ActingDeps {
  /** Our own client: the TokenRequest for the Application's ServiceAccount is ours to make. */
  cluster: Cluster;
  defaultServiceAccount?: string | undefined;
  vault?: VaultDeps | undefined;
}

/** One entry of a Secret of the Application's namespace, read as the Application. */
async function secretEntry(
  asApp: Cluster,
  app: Application,
  ref: { name: string; key: string },
  what: string,
): Promise<string> {
  const ns = app.metadata.namespace ?? '';
  const secret = await asApp.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ref.name, namespace: ns },
  });
  const value = (secret?.data as Record<string, string> | undefined)?.[ref.key];
  if (value === undefined)
    throw new StageError(
      `${ns}/${app.metadata.name}`,
      'VaultUnresolved',
      `spec.vault: ${what}: Secret ${ns}/${ref.name} ${secret === undefined ? 'not found' : `has no key ${ref.key}`}`,
    );
  return Buffer.from(value, 'base64').toString('utf8');
}

/**
 * A short-lived token of the Application's own ServiceAccount, for Vault's kubernetes auth. The
 * account is the one every request of the Application already acts as (identityOf), so a tenant
 * can present no identity but its own namespace's.
 */
async function serviceAccountToken(
  deps: ActingDeps,
  app: Application,
  audience: string,
): Promise<string> {
  const subject = `${app.metadata.namespace ?? ''}/${app.metadata.name}`;
  const identity = identityOf(app, deps.defaultServiceAccount);
  if (identity.kind !== 'serviceAccount')
    throw new StageError(
      subject,
      'VaultUnresolved',
      "spec.vault.auth.kubernetes logs in as the Application's ServiceAccount; set spec.serviceAccountName (or run the controller with --default-service-account)",
    );
  const path = `/api/v1/namespaces/${encodeURIComponent(identity.namespace)}/serviceaccounts/${encodeURIComponent(identity.name)}/token`;
  const body = {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 600, audiences: [audience] },
  };
  const r = await deps.cluster.http.request('POST', path, JSON.stringify(body), {
    'content-type': 'application/json',
  });
  const token =
    r.status === 201 || r.status === 200
      ? (JSON.parse(r.body) as { status?: { token?: unknown } }).status?.token
      : undefined;
  if (typeof token !== 'string')
    throw new StageError(
      subject,
      'VaultUnavailable',
      `spec.vault.auth.kubernetes: a token for ServiceAccount ${identity.namespace}/${identity.name} could not be requested (HTTP ${String(r.status)})`,
    );
  return token;
}

function accessFor(
  deps: ActingDeps,
  asApp: Cluster,
  app: Application,
  spec: NonNullable<Application['spec']['vault']>,
  address: string,
): VaultAccess {
  const login = async (): Promise<VaultLogin> => {
    const k8s = spec.auth.kubernetes;
    if (k8s !== undefined)
      return {
        kind: 'kubernetes',
        mountPath: k8s.mountPath,
        role: k8s.role,
        jwt: await serviceAccountToken(deps, app, k8s.audience),
      };
    const ref = spec.auth.token;
    if (ref === undefined) throw new Error('spec.vault.auth: the parser requires one method');
    return { kind: 'token', token: (await secretEntry(asApp, app, ref, 'auth.token')).trim() };
  };
  return {
    server: { address: address.replace(/\/$/, '') },
    login,
    defaults: { mount: spec.mount, kvVersion: spec.kvVersion },
    refreshMs: vaultRefreshMs(app) ?? defaultRefreshMs,
  };
}

/**
 * The rendered objects with their `<vault:…>` placeholders filled in, and the values that
 * rotated since the last read. Nothing is applied when this throws: a placeholder that cannot
 * be resolved stops the pass before the sync, so the live Secrets keep their values.
 */
export async function resolveVault(
  deps: ActingDeps,
  asApp: Cluster,
  app: Application,
  key: AppKey,
  objects: RenderedObject[],
): Promise<{ objects: RenderedObject[]; rotated: VaultRef[] }> {
  const values = deps.vault?.values ?? new VaultValues();
  const spec = app.spec.vault;
  const defaults = { mount: spec?.mount ?? 'secret', kvVersion: spec?.kvVersion ?? '2' };
  const needs = values.needs(objects, defaults);
  if (needs.kind === 'error') throw new StageError(key, 'VaultUnresolved', needs.error.message);
  if (needs.kind === 'none') {
    values.forget(key);
    return { objects, rotated: [] };
  }
  if (spec === undefined)
    throw new StageError(
      key,
      'VaultUnresolved',
      'the rendered Secrets hold <vault:…> placeholders but spec.vault is unset',
    );
  const address = spec.address ?? deps.vault?.defaultAddress;
  if (address === undefined)
    throw new StageError(
      key,
      'VaultUnresolved',
      'spec.vault.address is unset and the controller has no --vault-address',
    );
  const allowed = [
    ...(deps.vault?.defaultAddress === undefined ? [] : [deps.vault.defaultAddress]),
    ...(deps.vault?.allowedAddresses ?? []),
  ];
  if (!vaultAddressAllowed(address, allowed))
    throw new StageError(
      key,
      'VaultUnresolved',
      `spec.vault.address ${address} is not a Vault this controller may use; nothing was sent to it. ` +
        'The controller allows only its --vault-address and --vault-allowed-address: ask the platform team to add it',
    );
  const access = accessFor(deps, asApp, app, spec, address);
  if (spec.caBundle !== undefined)
    access.server.ca = await secretEntry(asApp, app, spec.caBundle, 'caBundle');
  try {
    const r = await values.resolve(key, objects, needs.found, access);
    if (r.kind === 'error') throw new StageError(key, 'VaultUnresolved', r.error.message);
    return r.value;
  } catch (e) {
    if (!(e instanceof VaultRequestError)) throw e;
    throw new StageError(
      key,
      'VaultUnavailable',
      `${e.message}; nothing was applied, the live Secrets keep their values`,
      { cause: e },
    );
  }
}

/** A rotation applied: the ledger and an Event name each path and key, never a value. */
export async function recordRotations(
  deps: { cluster: Cluster; audit?: AuditSink | undefined },
  app: Application,
  revision: string,
  rotated: readonly VaultRef[],
): Promise<void> {
  if (rotated.length === 0) return;
  const paths = rotated.map(formatVaultRef);
  await deps.audit?.({
    kind: 'secret-rotated',
    app: { namespace: app.metadata.namespace ?? '', name: app.metadata.name },
    actor: 'ballast',
    revision,
    source: 'vault',
    paths,
  });
  await recordEvent(
    deps,
    app,
    'Normal',
    'SecretRotated',
    `secret rotated from vault: ${paths.join(', ')}`,
  );
}
