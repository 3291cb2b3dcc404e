import { describe, expect, it } from 'vitest';
import { parseAssignment } from './assignment.js';
import { AssignmentInputError, buildAssignment } from './assignment-build.js';
import { assignmentName, labelValueFor } from './names.js';
import { cluster, fleetApp, reparse, sha1 } from './testdata/fixtures.js';

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('buildAssignment', () => {
  it("writes the template pinned to the hub's commit, with the variables, in ballast-cluster-<name>", () => {
    const app = fleetApp();
    const a = buildAssignment({
      fleetApplication: app,
      cluster: cluster('store-1', { tier: 'store' }),
      revision: sha1,
      variables: { cluster_name: 'store-1', replicas: '2' },
    });
    expect(a.metadata).toEqual({
      name: 'retail.pos',
      namespace: 'ballast-cluster-store-1',
      labels: {
        'ballast.dev/cluster': 'store-1',
        'ballast.dev/fleet-namespace': 'retail',
        'ballast.dev/fleet-name': 'pos',
        'app.kubernetes.io/managed-by': 'ballast',
      },
      annotations: { 'ballast.dev/fleet-application': 'retail/pos' },
    });
    expect(a.spec.fleetApplication).toEqual({ namespace: 'retail', name: 'pos', uid: 'uid-1' });
    expect(a.spec.revision).toBe(sha1);
    expect(a.spec.application.source.targetRevision).toBe(sha1);
    expect(a.spec.application.source.path).toBe('deploy');
    expect(a.spec.variables).toEqual({ cluster_name: 'store-1', replicas: '2' });
    expect(app.spec.template.source.targetRevision).toBe('main');
  });

  it('builds an Assignment the agent parses back to the same object', () => {
    const a = buildAssignment({
      fleetApplication: fleetApp({ values: [{ clusterSelector: {}, variables: { x: '1' } }] }),
      cluster: cluster('store-1'),
      revision: sha1,
      variables: { x: '1' },
    });
    expect(reparse(a)).toEqual(a);
  });

  it('is deterministic, so writing it again changes nothing', () => {
    const input = {
      fleetApplication: fleetApp(),
      cluster: cluster('store-1'),
      revision: sha1,
      variables: { b: '2', a: '1' },
    };
    expect(JSON.stringify(buildAssignment(input))).toBe(JSON.stringify(buildAssignment(input)));
  });

  it('refuses, as a typed error, a revision that is not a full SHA or a FleetApplication without namespace', () => {
    const input = { cluster: cluster('store-1'), variables: {} };
    expect(() =>
      buildAssignment({ ...input, fleetApplication: fleetApp(), revision: 'main' }),
    ).toThrow(AssignmentInputError);
    const noNs = fleetApp({}, { namespace: undefined });
    expect(() => buildAssignment({ ...input, fleetApplication: noNs, revision: sha1 })).toThrow(
      /^FleetApplication \/pos: cannot build an Assignment: it has no metadata.namespace$/,
    );
  });

  it('keeps 60-character names whole: namespace.name, and the name as the label value', () => {
    const ns = `n${'s'.repeat(58)}1`;
    const name = `a${'p'.repeat(58)}1`;
    const a = buildAssignment({
      fleetApplication: fleetApp({}, { namespace: ns, name }),
      cluster: cluster('c'.repeat(47)),
      revision: sha1,
      variables: {},
    });
    expect(a.metadata.name).toBe(`${ns}.${name}`);
    expect(a.metadata.namespace).toBe(`ballast-cluster-${'c'.repeat(47)}`);
    expect(a.metadata.namespace).toHaveLength(63);
    expect(a.metadata.labels?.['ballast.dev/fleet-name']).toBe(name);
    expect(parseAssignment(a).kind).toBe('ok');
  });
});

describe('assignmentName', () => {
  it('cuts a name past 220 characters and appends a hash, ending at exactly 253, DNS-safe', () => {
    const long = `${'x'.repeat(200)}.${'y'.repeat(52)}`;
    const n = assignmentName('team-a', long);
    expect(n).toHaveLength(253);
    expect(n).toMatch(dnsSubdomain);
    expect(n).toMatch(/-[0-9a-f]{32}$/);
    expect(assignmentName('team-a', long)).toBe(n);
  });

  it('gives FleetApplications that differ only past the cut, or only in namespace, different names', () => {
    const base = 'x'.repeat(240);
    expect(assignmentName('a', `${base}1`)).not.toBe(assignmentName('a', `${base}2`));
    expect(assignmentName('a', base)).not.toBe(assignmentName('b', base));
    // a.b-c and a-b.c: the first dot is the namespace's end, so these never meet.
    expect(assignmentName('a', 'b-c')).not.toBe(assignmentName('a-b', 'c'));
  });

  it("cannot be forged: a tenant naming its FleetApplication after another's hashed name gets a different one", () => {
    const victim = assignmentName('bank', 'p'.repeat(250));
    const [ns, ...rest] = victim.split('.');
    const forged = assignmentName(ns ?? '', rest.join('.'));
    expect(victim).toHaveLength(253);
    expect(forged).not.toBe(victim);
  });

  it('ends the cut on a letter or digit when the cut falls on a dot, so the name stays DNS-safe', () => {
    const ns = 'a';
    // whole = "a." + name; put a dot at index 219 of the whole, where the cut ends.
    const name = `${'b'.repeat(217)}.${'c'.repeat(40)}`;
    const n = assignmentName(ns, name);
    expect(n).toMatch(dnsSubdomain);
  });
});

describe('labelValueFor', () => {
  it('keeps names up to 63 characters and hashes longer ones into a valid label value', () => {
    expect(labelValueFor('p'.repeat(63))).toBe('p'.repeat(63));
    const v = labelValueFor(`${'p'.repeat(45)}.${'q'.repeat(100)}`);
    expect(v.length).toBeLessThanOrEqual(63);
    expect(v).toMatch(labelValue);
    expect(labelValueFor(`${'p'.repeat(70)}1`)).not.toBe(labelValueFor(`${'p'.repeat(70)}2`));
  });
});
