import { Document, visit } from 'yaml';
import { byCodePoint } from '../api/object.js';
import type { Counts, Cluster as FleetCluster, FleetApplication } from '../fleet/index.js';
import { age, table } from './table.js';

/**
 * The tables of `ballast fleet list|get` and `ballast fleet clusters`, as `kubectl get` prints
 * them. Pure: the command reads the hub and passes the objects in.
 */

/** A table's width: kubectl's default columns, or its `-o wide` ones too. */
export type TableWidth = 'normal' | 'wide';

/**
 * C0 and C1 controls, and the Unicode marks that reorder text on screen. Messages in these
 * tables come from agents and from tenants' manifests: an escape sequence in one must not
 * reach the terminal of whoever runs `ballast fleet`, where it could rewrite what is shown.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const unprintable = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** `text` made safe for one table cell: line breaks become spaces, other controls `\uXXXX`. */
export function printable(text: string): string {
  return text.replace(unprintable, (c) =>
    c === '\n' || c === '\r' || c === '\t'
      ? ' '
      : `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * What JSON and YAML writers leave raw: C1 controls (U+009B starts an escape sequence on some
 * terminals) and the marks that reorder text. JSON.stringify and the yaml library escape C0.
 */
const rawInOutput = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const escapeRaw = (text: string): string =>
  text.replace(rawInOutput, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);

/** `-o json`: the same data, with every character a terminal could act on escaped. */
export function safeJson(data: unknown): string {
  // Such characters can only stand inside JSON strings, where \uXXXX means the same.
  return escapeRaw(JSON.stringify(data, null, 2));
}

/** `-o yaml`: the same data; strings holding such characters are double-quoted and escaped. */
export function safeYaml(data: unknown): string {
  const doc = new Document(data);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && node.value.search(rawInOutput) >= 0)
        node.type = 'QUOTE_DOUBLE';
    },
  });
  // Only double-quoted scalars hold them now, and there \uXXXX means the same.
  return escapeRaw(doc.toString());
}

/** `table` with every cell made printable. */
export function safeTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  return table(
    headers,
    rows.map((r) => r.map(printable)),
  );
}

/** A commit as the tables show it, the way `ballast app list` does: its first 12 characters. */
export const shortRevision = (revision: string | undefined): string =>
  (revision ?? '').slice(0, 12);

const count = (n: number | undefined): string => (n === undefined ? '' : String(n));

/** An object with metav1.Conditions; the type is any string, as a newer hub may add types. */
interface WithConditions {
  status?: {
    conditions?: readonly { type: string; status: string; reason: string; message: string }[];
  };
}

/** The Ready condition of a FleetApplication or Cluster. */
export const readyOf = (
  o: WithConditions,
): { status: string; reason: string; message: string } | undefined =>
  o.status?.conditions?.find((c) => c.type === 'Ready');

/** How `ballast fleet list` lays out its table. */
export interface ListLayout {
  /** `-A`: a NAMESPACE column first. */
  withNamespace: boolean;
  width: TableWidth;
  /** The time ages are measured to, in ms since the epoch. */
  now: number;
}

/**
 * The FleetApplications as `kubectl get fleetapplications` prints them: the CRD's printer
 * columns, Failing and Message only with `-o wide`.
 */
export function fleetAppTable(apps: readonly FleetApplication[], layout: ListLayout): string {
  const wide = layout.width === 'wide';
  const headers = [
    ...(layout.withNamespace ? ['NAMESPACE'] : []),
    'NAME',
    'CLUSTERS',
    'SYNCED',
    'HEALTHY',
    ...(wide ? ['FAILING'] : []),
    'REVISION',
    'READY',
    ...(wide ? ['MESSAGE'] : []),
    'AGE',
  ];
  const rows = apps.map((a) => {
    const summary = a.status?.summary;
    const ready = readyOf(a);
    return [
      ...(layout.withNamespace ? [a.metadata.namespace ?? ''] : []),
      a.metadata.name,
      count(summary?.total),
      count(summary?.sync.synced),
      count(summary?.health.healthy),
      ...(wide ? [count(summary?.failing)] : []),
      shortRevision(a.status?.revision),
      ready?.status ?? '',
      ...(wide ? [ready?.message ?? ''] : []),
      age(a.metadata.creationTimestamp, layout.now),
    ];
  });
  return safeTable(headers, rows);
}

/** A Cluster's labels as `kubectl get --show-labels` prints them: `k=v,…` by key, or `<none>`. */
export function labelsText(labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => byCodePoint(a, b));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/**
 * A Cluster's APPS: how many of its Assignments are synced and how many healthy. The status
 * counts sync and health apart, so "synced and healthy" together is not known and not shown.
 */
export function appsText(apps: Counts | undefined): string {
  if (apps === undefined) return '';
  if (apps.total === 0) return '0';
  return `${apps.sync.synced}/${apps.total} synced, ${apps.health.healthy}/${apps.total} healthy`;
}

/** LAST-SEEN: how long ago the hub last saw the agent's heartbeat, or `<never>`. */
export function lastSeen(heartbeat: string | undefined, now: number): string {
  return heartbeat === undefined ? '<never>' : age(heartbeat, now);
}

/**
 * The Clusters: NAME READY LABELS AGENT LAST-SEEN APPS; `-o wide` adds the spoke's Kubernetes
 * version, the Ready condition's message and the age.
 */
export function clusterTable(
  clusters: readonly FleetCluster[],
  layout: Omit<ListLayout, 'withNamespace'>,
): string {
  const wide = layout.width === 'wide';
  const headers = [
    'NAME',
    'READY',
    'LABELS',
    'AGENT',
    ...(wide ? ['K8S'] : []),
    'LAST-SEEN',
    'APPS',
    ...(wide ? ['MESSAGE', 'AGE'] : []),
  ];
  const rows = clusters.map((c) => {
    const ready = readyOf(c);
    return [
      c.metadata.name,
      ready?.status ?? '',
      labelsText(c.metadata.labels),
      c.status?.agentVersion ?? '',
      ...(wide ? [c.status?.kubernetesVersion ?? ''] : []),
      lastSeen(c.status?.lastHeartbeatTime, layout.now),
      appsText(c.status?.apps),
      ...(wide ? [ready?.message ?? '', age(c.metadata.creationTimestamp, layout.now)] : []),
    ];
  });
  return safeTable(headers, rows);
}

/** `-o name`: `<kind>.ballast.dev/<name>` per line, as kubectl prints it. */
export function nameLines(
  kind: string,
  objects: readonly { metadata: { name: string } }[],
): string {
  return objects.map((o) => `${kind.toLowerCase()}.ballast.dev/${o.metadata.name}`).join('\n');
}
