import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { devStages } from './stages.js';

interface Stage {
  kind: string;
  metadata: { name: string };
  spec: {
    resourceRef: { apiGroup: string; kind: string };
    selector: { matchExpressions: { key: string; operator: string; values?: string[] }[] };
    weight: number;
    next: { statusTemplate: string };
  };
}

const stages = parseAllDocuments(devStages).map((d) => d.toJS() as Stage);
const byName = (name: string): Stage => {
  const s = stages.find((x) => x.metadata.name === name);
  if (s === undefined) throw new Error(`no Stage ${name}`);
  return s;
};
const expression = (s: Stage, key: string): { operator: string; values?: string[] } | undefined =>
  s.spec.selector.matchExpressions.find((e) => e.key === key);

describe('the Stages ballast dev adds to kwok', () => {
  it('are two Pod Stages, for Pods of Jobs and for the rest', () => {
    expect(stages.map((s) => [s.kind, s.spec.resourceRef.kind, s.metadata.name])).toEqual([
      ['Stage', 'Pod', 'ballast-pod-broken-image'],
      ['Stage', 'Pod', 'ballast-job-pod-broken-image'],
    ]);
    const owner = '.metadata.ownerReferences.[].kind';
    expect(expression(byName('ballast-pod-broken-image'), owner)?.operator).toBe('NotIn');
    expect(expression(byName('ballast-job-pod-broken-image'), owner)?.operator).toBe('In');
  });

  it.each(stages.map((s) => [s.metadata.name, s] as const))(
    '%s outweighs kwok’s pod-ready (weight 0) for Pending Pods of a :broken image only',
    (_name, s) => {
      expect(s.spec.weight).toBeGreaterThan(0);
      expect(expression(s, '.status.phase')?.values).toEqual(['Pending']);
      expect(expression(s, '.spec.containers.[].image | endswith(":broken")')?.values).toEqual([
        'true',
      ]);
      expect(expression(s, '.metadata.deletionTimestamp')?.operator).toBe('DoesNotExist');
    },
  );

  it('leave a Pod in a phase no Stage moves it from: Running and unready, or a Job’s Failed', () => {
    // Pending would be matched again; a Job's Running Pod would be completed by pod-complete.
    const phase = (s: Stage): string | undefined =>
      /^\s*phase: (\w+)\s*$/m.exec(s.spec.next.statusTemplate)?.[1];
    expect(phase(byName('ballast-pod-broken-image'))).toBe('Running');
    expect(phase(byName('ballast-job-pod-broken-image'))).toBe('Failed');
    expect(byName('ballast-pod-broken-image').spec.next.statusTemplate).toMatch(
      /reason: CrashLoopBackOff/,
    );
  });
});
