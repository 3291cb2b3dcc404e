import { ballastGroup } from '../../api/resource.js';
import { agentLeaseName } from '../names.js';
import { renewalCsrName } from './names.js';

/** One RBAC policy rule, as a Role or ClusterRole lists it. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Where a grant to a registered cluster's identity applies. */
export type GrantScope =
  /** Its own `ballast-cluster-<name>` namespace. */
  | 'clusterNamespace'
  /** The fleet namespace, where its Cluster lives. */
  | 'fleetNamespace'
  /** Cluster-scoped (CSRs). */
  | 'clusterWide';

/**
 * Which objects a grant names: all of them, a name fixed for every cluster, or names that
 * depend on the cluster (its Cluster, its renewal CSR).
 */
export type GrantNames =
  | { kind: 'any' }
  | { kind: 'fixed'; names: string[] }
  | { kind: 'perCluster'; names: (cluster: GrantTarget) => string[] };

/** What a per-cluster name is made from. */
export interface GrantTarget {
  cluster: string;
  registrationId: string;
}

/** One right a registered cluster's identity gets. */
export interface AgentGrant {
  scope: GrantScope;
  apiGroup: string;
  resources: string[];
  verbs: string[];
  names: GrantNames;
}

const any: GrantNames = { kind: 'any' };

/**
 * Every right of a registered cluster's identity, declared once: `clusterRbac` grants them to
 * the agent and `registrarControllerRole` holds them (per-cluster names widened to all), since
 * Kubernetes lets the registrar grant only what it holds when it has no `bind` or `escalate`.
 */
export const agentGrants: readonly AgentGrant[] = [
  {
    scope: 'clusterNamespace',
    apiGroup: ballastGroup,
    resources: ['assignments'],
    verbs: ['get', 'list', 'watch'],
    names: any,
  },
  {
    scope: 'clusterNamespace',
    apiGroup: ballastGroup,
    resources: ['assignments/status'],
    verbs: ['get', 'update', 'patch'],
    names: any,
  },
  // create cannot be limited to a name (RBAC sees no name on create).
  {
    scope: 'clusterNamespace',
    apiGroup: 'coordination.k8s.io',
    resources: ['leases'],
    verbs: ['create'],
    names: any,
  },
  {
    scope: 'clusterNamespace',
    apiGroup: 'coordination.k8s.io',
    resources: ['leases'],
    verbs: ['get', 'update', 'patch'],
    names: { kind: 'fixed', names: [agentLeaseName] },
  },
  {
    scope: 'fleetNamespace',
    apiGroup: ballastGroup,
    resources: ['clusters'],
    verbs: ['get'],
    names: { kind: 'perCluster', names: (t) => [t.cluster] },
  },
  {
    scope: 'fleetNamespace',
    apiGroup: ballastGroup,
    resources: ['clusters/status'],
    verbs: ['get', 'update', 'patch'],
    names: { kind: 'perCluster', names: (t) => [t.cluster] },
  },
  {
    scope: 'clusterWide',
    apiGroup: 'certificates.k8s.io',
    resources: ['certificatesigningrequests'],
    verbs: ['create'],
    names: any,
  },
  {
    scope: 'clusterWide',
    apiGroup: 'certificates.k8s.io',
    resources: ['certificatesigningrequests'],
    verbs: ['get', 'delete'],
    names: { kind: 'perCluster', names: (t) => [renewalCsrName(t.cluster, t.registrationId)] },
  },
];

function rule(grant: AgentGrant, resourceNames: string[] | undefined): PolicyRule {
  return {
    apiGroups: [grant.apiGroup],
    resources: [...grant.resources],
    ...(resourceNames === undefined ? {} : { resourceNames }),
    verbs: [...grant.verbs],
  };
}

/** The rules one cluster's identity gets in `scope`. */
export function agentRules(scope: GrantScope, target: GrantTarget): PolicyRule[] {
  return agentGrants
    .filter((g) => g.scope === scope)
    .map((g) =>
      rule(
        g,
        g.names.kind === 'any'
          ? undefined
          : g.names.kind === 'fixed'
            ? [...g.names.names]
            : g.names.names(target),
      ),
    );
}

/**
 * What the registrar must hold, everywhere, to grant any cluster its rules: each grant, with
 * per-cluster names widened to all names (a name fixed for every cluster stays fixed).
 */
export function registrarHeldRules(): PolicyRule[] {
  return agentGrants.map((g) => rule(g, g.names.kind === 'fixed' ? [...g.names.names] : undefined));
}

const covers = (held: string[], wanted: string[]): boolean =>
  held.includes('*') || wanted.every((w) => held.includes(w));

/**
 * Whether `held` rules allow every request `wanted` allows, as Kubernetes' escalation check
 * judges it: for each group, resource, verb and name of `wanted`, some held rule allows it.
 */
export function rulesCover(held: readonly PolicyRule[], wanted: PolicyRule): boolean {
  const names: (string | undefined)[] =
    wanted.resourceNames === undefined || wanted.resourceNames.length === 0
      ? [undefined]
      : wanted.resourceNames;
  return wanted.apiGroups.every((group) =>
    wanted.resources.every((resource) =>
      wanted.verbs.every((verb) =>
        names.every((name) =>
          held.some(
            (h) =>
              covers(h.apiGroups, [group]) &&
              covers(h.resources, [resource]) &&
              covers(h.verbs, [verb]) &&
              (h.resourceNames === undefined ||
                h.resourceNames.length === 0 ||
                (name !== undefined && h.resourceNames.includes(name))),
          ),
        ),
      ),
    ),
  );
}
