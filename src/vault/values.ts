import type { Result } from '../api/errors.js';
import {
  defaultVaultClientOptions,
  VaultClient,
  type VaultClientOptions,
  type VaultLogin,
  type VaultServer,
} from './client.js';
import type { VaultPlaceholderError } from './errors.js';
import {
  documentKey,
  fillPlaceholders,
  findPlaceholders,
  type Found,
  type MountDefaults,
  type Placed,
  type VaultRef,
} from './placeholder.js';

/** Where and how one Application reads Vault. `login` is called only when a read is due. */
export interface VaultAccess {
  server: VaultServer;
  login: () => Promise<VaultLogin>;
  defaults: MountDefaults;
  /** How long a value read is used before it is read again. */
  refreshMs: number;
  client?: Partial<VaultClientOptions>;
}

interface Document {
  /** The document's data; undefined when Vault had nothing at the path. */
  data: Record<string, unknown> | undefined;
  readAt: number;
}

export interface Resolved<P> {
  objects: P[];
  /**
   * The values in use whose text changed since an earlier read and that no applied sync has
   * carried yet (see `applied`): paths and keys, no values.
   */
  rotated: VaultRef[];
}

/** What a resolve needs before it can fill anything in. */
export type Needs =
  | { kind: 'none' }
  | { kind: 'vault'; found: Found[] }
  | { kind: 'error'; error: VaultPlaceholderError };

const text = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v);

/**
 * The Vault values each Application uses, in memory only, with when they were read. Nothing here
 * is ever written to disk, logged or put in an error: messages name paths and keys.
 */
export class VaultValues {
  private readonly apps = new Map<string, Map<string, Document>>();
  /** Rotations read but not yet applied (a pass that only compared, or failed after reading). */
  private readonly pending = new Map<string, Map<string, VaultRef>>();

  /** The placeholders of the rendered objects, or why they are refused; no I/O. */
  needs(objects: readonly Placed[], defaults: MountDefaults): Needs {
    const found = findPlaceholders(objects, defaults);
    if (found.kind === 'error') return found;
    return found.value.length === 0 ? { kind: 'none' } : { kind: 'vault', found: found.value };
  }

  /**
   * The objects with their placeholders filled in. Values younger than `refreshMs` are used as
   * they are; older ones are read again, with one login for the pass. Throws VaultRequestError
   * when Vault cannot answer; a missing key is a result, so nothing is applied.
   */
  async resolve<P extends Placed>(
    app: string,
    objects: readonly P[],
    found: readonly Found[],
    access: VaultAccess,
    now = Date.now(),
  ): Promise<Result<Resolved<P>, VaultPlaceholderError>> {
    const before = this.apps.get(app) ?? new Map<string, Document>();
    const after = new Map<string, Document>();
    const due = new Map<string, VaultRef>();
    for (const { ref } of found) {
      const k = documentKey(ref);
      const doc = before.get(k);
      // Passes come every refreshInterval less up to a tenth of jitter: a value read by the
      // previous pass must count as due, or a rotation would wait two intervals.
      if (doc !== undefined && now - doc.readAt < access.refreshMs * 0.8) after.set(k, doc);
      else due.set(k, ref);
    }
    if (due.size > 0) {
      const client = new VaultClient(access.server, {
        ...defaultVaultClientOptions(),
        ...access.client,
      });
      const token = await client.token(await access.login());
      for (const [k, ref] of due) {
        const r = await client.read(token, ref.path, ref.version);
        after.set(k, { data: r.kind === 'ok' ? r.data : undefined, readAt: now });
      }
    }
    const lookup = (ref: VaultRef): string | undefined =>
      text(after.get(documentKey(ref))?.data?.[ref.key]);
    const filled = fillPlaceholders(objects, found, access.defaults, lookup);
    if (filled.kind === 'error') return filled;
    const pending = this.pending.get(app) ?? new Map<string, VaultRef>();
    for (const ref of rotations(found, before, after))
      pending.set(`${documentKey(ref)}#${ref.key}`, ref);
    if (pending.size > 0) this.pending.set(app, pending);
    this.apps.set(app, after);
    return { kind: 'ok', value: { objects: filled.value, rotated: [...pending.values()] } };
  }

  /** The rotations `resolve` reported reached the cluster: report them no more. */
  applied(app: string): void {
    this.pending.delete(app);
  }

  /** Drops what an Application read: it is gone, or no longer uses Vault. */
  forget(app: string): void {
    this.apps.delete(app);
    this.pending.delete(app);
  }
}

/** The refs whose value differs from the one read before; a first read rotates nothing. */
function rotations(
  found: readonly Found[],
  before: ReadonlyMap<string, Document>,
  after: ReadonlyMap<string, Document>,
): VaultRef[] {
  const seen = new Set<string>();
  const out: VaultRef[] = [];
  for (const { ref } of found) {
    const k = documentKey(ref);
    const old = before.get(k);
    const id = `${k}#${ref.key}`;
    if (old === undefined || seen.has(id)) continue;
    seen.add(id);
    if (text(old.data?.[ref.key]) !== text(after.get(k)?.data?.[ref.key])) out.push(ref);
  }
  return out;
}
