import { describe, expect, it } from 'vitest';
import { rulesCover, type PolicyRule } from './grants.js';
import { clusterRbac, registrarControllerRole } from './manifests.js';

const input = {
  cluster: 'store-1',
  identity: 'ballast:cluster:store-1:0123456789abcdef',
  registrationId: '0123456789abcdef',
  fleetNamespace: 'fleet-x',
};

const rulesOf = (o: object): PolicyRule[] => (o as { rules?: PolicyRule[] }).rules ?? [];
const held = rulesOf(registrarControllerRole());

describe("the registrar's role and the rights it grants a cluster", () => {
  it('every rule clusterRbac grants, resourceNames included, is one the registrar holds', () => {
    const granted = clusterRbac(input)
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .flatMap(rulesOf);
    expect(granted.length).toBeGreaterThan(0);
    for (const rule of granted) expect(rulesCover(held, rule), JSON.stringify(rule)).toBe(true);
  });

  it('holds no bind, no escalate, no impersonate and no wildcard', () => {
    const words = held.flatMap((r) => [...r.apiGroups, ...r.resources, ...r.verbs]);
    for (const w of ['bind', 'escalate', 'impersonate', '*']) expect(words).not.toContain(w);
  });

  it('the coverage check refuses a rule the registrar does not hold', () => {
    const wanted = (r: Partial<PolicyRule>): PolicyRule => ({
      apiGroups: ['ballast.dev'],
      resources: ['assignments'],
      verbs: ['get'],
      ...r,
    });
    expect(rulesCover(held, wanted({}))).toBe(true);
    expect(rulesCover(held, wanted({ verbs: ['get', 'delete'] }))).toBe(false);
    expect(rulesCover(held, wanted({ resources: ['secrets'], apiGroups: [''] }))).toBe(false);
    const lease = { apiGroups: ['coordination.k8s.io'], resources: ['leases'] };
    // Its Lease rights are held for the agent's Lease name only.
    expect(
      rulesCover(held, { ...lease, verbs: ['update'], resourceNames: ['ballast-agent'] }),
    ).toBe(true);
    expect(
      rulesCover(held, { ...lease, verbs: ['update'], resourceNames: ['kube-scheduler'] }),
    ).toBe(false);
    expect(rulesCover(held, { ...lease, verbs: ['update'] })).toBe(false);
  });
});
