import { createHash } from 'node:crypto';
import { formatAppKey, parseAppKey, sameApplication, type ApplicationId } from './app-key.js';
import type { KubeObject } from './object.js';

/**
 * The tracking label, and the one place that builds it or reads an owner back from it.
 *
 * The rule:
 * - When `<namespace>.<name>` fits a label value (at most 63 characters, which every valid
 *   namespace and name do up to that length), that is the value. Objects tracked before this
 *   rule carry exactly it, so they stay tracked with no migration. A namespace has no dots,
 *   so the first dot splits the value back into the identity.
 * - Otherwise (a namespace may hold 63 characters and a name 253) the value is the first 46
 *   characters of `<namespace>.<name>`, `_`, and 16 hex digits of the SHA-256 of
 *   `<namespace>/<name>`: 63 characters at most. No plain value holds `_` (neither a namespace
 *   nor a name may), so the two forms never meet. Such an object also carries the annotation
 *   `ballast.dev/application-id: <namespace>/<name>`.
 * - Ownership is decided by the full identity, never by a hashed value alone: a hashed label
 *   names its owner only when the annotation parses as an identity whose value is that label.
 *   Two identities whose hashed values collide (or a tenant who copies another app's label
 *   onto an object) therefore never own each other's objects: neither prunes nor takes over.
 */

/** The label that marks an object as created by one Application. */
export const TRACKING_LABEL = 'ballast.dev/application';

/** The full identity, `<namespace>/<name>`, on objects whose tracking label is hashed. */
export const APPLICATION_ID_ANNOTATION = 'ballast.dev/application-id';

/** A tracking label value: built only by `formatTrackingValue`. */
export type TrackingValue = string & { readonly __brand: 'TrackingValue' };

const labelValueLimit = 63;
const hashChars = 16;
const prefixChars = labelValueLimit - 1 - hashChars;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const plainValue = (app: ApplicationId): string => `${app.namespace}.${app.name}`;

/** Whether the plain `<namespace>.<name>` is a valid label value, so no hash is needed. */
export function fitsPlainValue(app: ApplicationId): boolean {
  const plain = plainValue(app);
  return plain.length <= labelValueLimit && labelValue.test(plain) && !plain.includes('_');
}

/** The tracking label value for an Application, by the rule above. */
export function formatTrackingValue(app: ApplicationId): TrackingValue {
  const plain = plainValue(app);
  if (fitsPlainValue(app)) return plain as TrackingValue;
  const hash = createHash('sha256').update(formatAppKey(app)).digest('hex').slice(0, hashChars);
  // A prefix ending in `-` or `.` is still valid: only the value's ends must be alphanumeric.
  const prefix = plain.slice(0, prefixChars).replace(/[^A-Za-z0-9]+$/, '');
  return `${prefix === '' ? 'x' : prefix}_${hash}` as TrackingValue;
}

/** What a tracking label value says by itself. */
export type ParsedTrackingValue =
  /** The plain form: the value names its Application. */
  | { kind: 'plain'; id: ApplicationId }
  /** The hashed form: the owner is named by the annotation, checked against the value. */
  | { kind: 'hashed' };

/** What a tracking label value says, or undefined when it is no value this rule builds. */
export function parseTrackingValue(value: unknown): ParsedTrackingValue | undefined {
  if (typeof value !== 'string' || value.length > labelValueLimit || !labelValue.test(value))
    return undefined;
  if (value.includes('_')) return /_[0-9a-f]{16}$/.test(value) ? { kind: 'hashed' } : undefined;
  const dot = value.indexOf('.');
  if (dot <= 0) return undefined;
  const id = parseAppKey(`${value.slice(0, dot)}/${value.slice(dot + 1)}`);
  return id === undefined ? undefined : { kind: 'plain', id };
}

/** The label, and the annotation when the label is hashed, that mark an object as `app`'s. */
export function trackingMetadata(app: ApplicationId): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const value = formatTrackingValue(app);
  const annotations = fitsPlainValue(app) ? {} : { [APPLICATION_ID_ANNOTATION]: formatAppKey(app) };
  return { labels: { [TRACKING_LABEL]: value }, annotations };
}

/**
 * The Application an object belongs to, or undefined when it carries no tracking label or one
 * that names no Application: a hashed label without a matching identity annotation names none.
 */
export function ownerOf(obj: Pick<KubeObject, 'metadata'>): ApplicationId | undefined {
  const value = obj.metadata.labels?.[TRACKING_LABEL];
  const parsed = parseTrackingValue(value);
  if (parsed === undefined) return undefined;
  if (parsed.kind === 'plain') return parsed.id;
  const claimed = obj.metadata.annotations?.[APPLICATION_ID_ANNOTATION];
  const id = claimed === undefined ? undefined : parseAppKey(claimed);
  return id !== undefined && formatTrackingValue(id) === value ? id : undefined;
}

/** Whether the object carries the tracking label at all, whoever it names. */
export function hasTrackingLabel(obj: Pick<KubeObject, 'metadata'>): boolean {
  return obj.metadata.labels?.[TRACKING_LABEL] !== undefined;
}

/**
 * How an Application is named in messages about tracked objects: the plain label value, as
 * messages always said, or the full `<namespace>/<name>` when the label is hashed.
 */
export function ownerName(app: ApplicationId): string {
  return fitsPlainValue(app) ? plainValue(app) : formatAppKey(app);
}

/**
 * How an object's owner is named to a person: `ownerName` when the owner is known, else the
 * raw label value (a hashed value whose annotation is missing or wrong, or a hand-written one).
 */
export function describeOwner(obj: Pick<KubeObject, 'metadata'>): string | undefined {
  const owner = ownerOf(obj);
  return owner === undefined ? obj.metadata.labels?.[TRACKING_LABEL] : ownerName(owner);
}

/** Whether `obj` belongs to `app` by its full identity. */
export function isOwnedBy(obj: Pick<KubeObject, 'metadata'>, app: ApplicationId): boolean {
  const owner = ownerOf(obj);
  return owner !== undefined && sameApplication(owner, app);
}
