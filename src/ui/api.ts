/**
 * The UI's JSON API: every route, its query and its answer. The server (src/ui/) and the browser
 * app (web/) both import these types, so the two cannot disagree. Types only: no imports, no
 * values, so the browser bundle pulls in nothing from the server.
 *
 * Every read and write behind these routes reaches the apiserver with the signed-in user's own
 * identity (the kubeconfig of `ballast ui`, or the bearer token of the session cookie under
 * `ballast controller --ui`). An apiserver refusal is answered as an ApiError with its status.
 */

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Unknown';
export type HealthStatus =
  'Healthy' | 'Suspended' | 'Progressing' | 'Unknown' | 'Missing' | 'Degraded';

/** Any non-2xx answer. `status` is the apiserver's when it refused (403, 404, 409, 422). */
export interface ApiError {
  status: number;
  /** One sentence for a human, e.g. the apiserver's message for a 403. */
  message: string;
  /** The apiserver's reason (Forbidden, NotFound, …), when it gave one. */
  reason?: string;
}

// ---------------------------------------------------------------- session

/** GET /api/session: who the user is. 401 when signed out (cluster mode only). */
export interface Session {
  mode: 'local' | 'cluster';
  /** From a SelfSubjectReview: what the apiserver calls the user. */
  user: string;
  groups: string[];
  /** Sent back as the `x-ballast-csrf` header on every POST; tied to this session. */
  csrf: string;
  /** Whether the fleet API (Cluster, FleetApplication) is installed. */
  fleet: boolean;
}

/** POST /api/login with a bearer token (cluster mode). Sets the HttpOnly session cookie. */
export interface LoginRequest {
  token: string;
}
// POST /api/logout clears the cookie; both answer Session or ApiError (logout: 401 "signed out").

// ---------------------------------------------------------------- applications

export interface AppKey {
  namespace: string;
  name: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** One row of the Applications view. */
export interface AppSummary extends AppKey {
  labels: Record<string, string>;
  sync: SyncStatus;
  health: HealthStatus;
  /** The commit last synced, full SHA; the view shortens it. */
  revision?: string;
  signer?: string;
  readyReason?: string;
  readyMessage?: string;
  /** When the last sync finished (RFC 3339). */
  lastSyncTime?: string;
  suspended: boolean;
}

/** GET /api/apps: filtered and paged on the server. */
export interface AppListQuery {
  namespace?: string;
  sync?: SyncStatus;
  health?: HealthStatus;
  /** A label selector, as kubectl's -l takes it. */
  label?: string;
  /** Free text matched against namespace/name, revision, signer and the Ready message. */
  q?: string;
  offset?: number;
  /** At most 500. */
  limit?: number;
}

export interface AppList {
  items: AppSummary[];
  /** Matches of the filters, before paging. */
  total: number;
  /** Counts over the filtered set, before paging. */
  counts: {
    sync: Partial<Record<SyncStatus, number>>;
    health: Partial<Record<HealthStatus, number>>;
  };
}

/** What the signed-in user may do to one object, from SelfSubjectAccessReviews. */
export interface AppActions {
  sync: boolean;
  refresh: boolean;
  suspend: boolean;
  rollback: boolean;
}

export interface HistoryEntry {
  id: number;
  revision: string;
  signer?: string;
  time: string;
  result: 'Succeeded' | 'Failed';
  counts: { created: number; configured: number; unchanged: number; pruned: number };
}

export interface DriftEntry extends ObjectRef {
  paths: string[];
  manager?: string;
  detectedAt: string;
  /** Healed when self-heal is on, otherwise only reported. */
  healed: boolean;
}

/** GET /api/apps/:namespace/:name */
export interface AppDetail extends AppSummary {
  source: { repoURL: string; path: string; targetRevision: string };
  /** spec.rollback when pinned to an earlier entry; Resume follows the target again. */
  pinnedTo?: { historyId: number; revision: string; reason?: string };
  verification: { mode: 'none' | 'head' | 'all'; result?: string; fingerprint?: string };
  selfHeal: boolean;
  conditions: Condition[];
  lastSync?: HistoryEntry;
  history: HistoryEntry[];
  drift: DriftEntry[];
  /** Recent Events of the Application itself, newest first. */
  events: EventItem[];
  can: AppActions;
}

// ---------------------------------------------------------------- resources

export interface ObjectRef {
  /** "" for the core group. */
  group: string;
  kind: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** One node of the resource tree, in depth-first order. */
export interface ResourceNode extends ObjectRef {
  /** `group|kind|namespace|name`. */
  key: string;
  /** The parent's key; absent for objects the Application manages directly. */
  parent?: string;
  depth: number;
  /** Absent for objects Ballast does not manage (ReplicaSets, Pods). */
  sync?: SyncStatus;
  health: HealthStatus;
  healthMessage?: string;
}

/** GET /api/apps/:namespace/:name/resources?offset&limit&q: paged, so 5,000 objects stay cheap. */
export interface ResourcePage {
  items: ResourceNode[];
  total: number;
  /** Counts by health over every node, before paging. */
  counts: Partial<Record<HealthStatus, number>>;
}

export interface EventItem {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  lastTime: string;
  /** The component that reported it, e.g. ballast-controller. */
  source: string;
}

/** One line of a diff, for side-by-side and unified views alike. */
export interface DiffLine {
  op: 'same' | 'added' | 'removed' | 'changed';
  /** The field path, e.g. .spec.replicas. */
  path: string;
  desired?: string;
  live?: string;
  /** The field manager that owns this field on the live object, from managedFields. */
  manager?: string;
  /** The field is ignored by spec.ignoreDifferences: shown, marked, never hidden. */
  ignored: boolean;
  /** The value was masked (a Secret's data): neither side holds it. */
  masked: boolean;
}

/** GET /api/apps/:namespace/:name/object?group&kind&namespace&name */
export interface ObjectDetail {
  ref: ObjectRef;
  /** Live YAML with Secret values masked; absent when the object is missing. */
  yaml?: string;
  events: EventItem[];
  diff: {
    state: 'same' | 'different' | 'missing' | 'unknown';
    lines: DiffLine[];
    message?: string;
  };
}

// ---------------------------------------------------------------- actions

export type AppAction = 'sync' | 'refresh' | 'suspend' | 'resume' | 'rollback';

/** POST /api/apps/:namespace/:name/actions/:action, with the x-ballast-csrf header. */
export interface ActionRequest {
  /** Required by rollback. */
  historyId?: number;
  /** Required by rollback; recorded in the ledger with the user's name. */
  reason?: string;
}

/** POST /api/fleet/apps/:namespace/:name/actions/:action */
export type FleetAction = 'pause' | 'resume' | 'promote';

export interface ActionResult {
  action: AppAction | FleetAction;
  message: string;
}

// ---------------------------------------------------------------- audit

/** GET /api/audit?app=ns/name&kind&since&until&limit */
export interface AuditQuery {
  app?: string;
  kind?: string;
  since?: string;
  until?: string;
  limit?: number;
}

export interface AuditRecordView {
  seq: number;
  time: string;
  kind: string;
  app?: string;
  revision?: string;
  actor?: string;
  summary: string;
}

export interface AuditPage {
  /** False when no ledger is configured (ballast ui without --ledger). */
  available: boolean;
  records: AuditRecordView[];
  verify:
    | { state: 'intact' }
    | { state: 'broken'; firstBroken: number; message: string }
    | { state: 'unavailable'; message: string };
}

// ---------------------------------------------------------------- fleet

export interface ClusterView {
  name: string;
  ready: boolean;
  readyReason?: string;
  lastHeartbeatTime?: string;
  labels: Record<string, string>;
  apps: { total: number; synced: number; healthy: number };
}

export interface FleetAppSummary extends AppKey {
  targetRevision: string;
  paused: boolean;
  clusters: number;
  synced: number;
  healthy: number;
  failed: number;
}

/** GET /api/fleet: 404 when the fleet API is not installed. */
export interface FleetOverview {
  clusters: ClusterView[];
  applications: FleetAppSummary[];
}

export interface FleetCell {
  cluster: string;
  group?: string;
  revision?: string;
  sync: SyncStatus;
  health: HealthStatus;
  message?: string;
}

/** GET /api/fleet/apps/:namespace/:name: the cluster × status matrix. */
export interface FleetAppDetail extends FleetAppSummary {
  groups: { name: string; state: string; clusters: string[] }[];
  cells: FleetCell[];
  can: { pause: boolean; promote: boolean };
}
// POST /api/fleet/apps/:namespace/:name/actions/(pause|resume|promote) answers ActionResult.

// ---------------------------------------------------------------- live updates

/**
 * GET /api/stream (Server-Sent Events), fed by the server's watches with the user's identity;
 * `?namespace=<ns>` watches one namespace, for a user who may not watch them all.
 * The `event:` field is the `type`; `data:` is the JSON of the whole message.
 */
export type StreamMessage =
  | { type: 'app'; app: AppSummary }
  | { type: 'app-deleted'; key: AppKey }
  /** Something under this Application changed (status, an object, an Event): refetch if open. */
  | { type: 'app-changed'; key: AppKey }
  | { type: 'fleet-changed' };
