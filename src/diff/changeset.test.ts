import { describe, expect, it } from 'vitest';
import { refKey, refOf, type KubeObject, type ObjectRef } from '../api/object.js';
import {
  changeSetText,
  configureEntry,
  countByAction,
  defaultDiffOptions,
  diffObject,
  driftOf,
  isChange,
  needsSync,
  pruneEntry,
  skipEntry,
  unchangedEntry,
} from './changeset.js';
import type { IgnoreRule } from '../api/ignore-rules.js';
import configmapDryRunCoowned from './testdata/configmap-dryrun-coowned-label-dropped.json' with { type: 'json' };
import configmapDryRunDropped from './testdata/configmap-dryrun-label-dropped.json' with { type: 'json' };
import configmapCoowned from './testdata/configmap-live-coowned-label.json' with { type: 'json' };
import configmapSharedLabel from './testdata/configmap-live-shared-label.json' with { type: 'json' };
import configmapLive from './testdata/configmap-live.json' with { type: 'json' };
import corpusDryRun from './testdata/corpus-dryrun.json' with { type: 'json' };
import corpusLive from './testdata/corpus-live.json' with { type: 'json' };
import configmapDryRunTerminating from './testdata/configmap-dryrun-terminating.json' with { type: 'json' };
import configmapTerminating from './testdata/configmap-live-terminating.json' with { type: 'json' };
import deploymentImage from './testdata/deployment-dryrun-image.json' with { type: 'json' };
import deploymentNoop from './testdata/deployment-dryrun-noop.json' with { type: 'json' };
import deploymentEdited from './testdata/deployment-live-edited.json' with { type: 'json' };
import deploymentScaled from './testdata/deployment-live-scaled.json' with { type: 'json' };
import deploymentLive from './testdata/deployment-live.json' with { type: 'json' };

const options = defaultDiffOptions();
const deployment = { group: 'apps', kind: 'Deployment' };

/** A fixture to vary without touching the shared, imported one. */
function copyOf<T>(fixture: T): T {
  return structuredClone(fixture);
}

describe('diffObject', () => {
  it('reports an object just applied as unchanged against its dry-run re-apply', () => {
    const entry = diffObject(deploymentNoop, deploymentLive, options);
    expect(entry).toEqual({
      subject: { group: 'apps', kind: 'Deployment', namespace: 'web', name: 'api' },
      action: 'unchanged',
      changedPaths: [],
      diff: '',
    });
  });

  it('reports every object of real installs unchanged right after applying them', () => {
    // Captured from kube-apiserver v1.36: the ingress-nginx install, kube-prometheus Secrets
    // (applied with stringData), a DaemonSet and an APIService, a StatefulSet with
    // volumeClaimTemplates and a LoadBalancer Service, each GET next to its dry-run re-apply.
    const live = new Map(corpusLive.items.map((o: KubeObject) => [refKey(refOf(o)), o]));
    const entries = corpusDryRun.items.map((o: KubeObject) =>
      diffObject(o, live.get(refKey(refOf(o))), options),
    );
    expect(entries).toHaveLength(27);
    expect(entries.filter((e) => e.action !== 'unchanged')).toEqual([]);
  });

  it('reports a label dropped from Git as configure when no other manager owns it', () => {
    // `kubectl label` with the value already there is a no-op and takes no ownership, so the
    // apiserver removes the label once Ballast stops applying it.
    expect(diffObject(configmapDryRunDropped, configmapSharedLabel, options).changedPaths).toEqual([
      '/metadata/labels/team',
    ]);
  });

  it('reports unchanged when dropping a co-owned label changes only who owns it', () => {
    // Another applier set the same label, so it stays; only managedFields differ.
    expect(diffObject(configmapDryRunCoowned, configmapCoowned, options).action).toBe('unchanged');
  });

  it('ignores status, managedFields, generation and controller annotations when comparing', () => {
    const live = copyOf(deploymentLive) as KubeObject;
    live.metadata['generation'] = 7;
    live.metadata['resourceVersion'] = '99999';
    live['status'] = { observedGeneration: 7, replicas: 1 };
    live.metadata.annotations = { 'deployment.kubernetes.io/revision': '4' };
    expect(diffObject(deploymentNoop, live, options).action).toBe('unchanged');
  });

  it('reports a changed image as configure with its JSON pointer', () => {
    const entry = diffObject(deploymentImage, deploymentLive, options);
    expect(entry.action).toBe('configure');
    expect(entry.changedPaths).toEqual(['/spec/template/spec/containers/0/image']);
  });

  it('reports the same paths without rendering a diff text when the controller asks for none', () => {
    const entry = diffObject(deploymentImage, deploymentLive, { ...options, text: false });
    expect(entry.action).toBe('configure');
    expect(entry.changedPaths).toEqual(['/spec/template/spec/containers/0/image']);
    expect(entry.diff).toBe('');
  });
  it('reports a missing object as create of the whole object', () => {
    const entry = diffObject(deploymentNoop, undefined, options);
    expect(entry.action).toBe('create');
    expect(entry.changedPaths).toEqual(['']);
    expect(entry.diff).toContain('--- Deployment.apps/web/api (absent)\n');
    expect(entry.diff).toContain('+  name: api\n');
  });

  it('reports a terminating live object as create, with the reason', () => {
    const entry = diffObject(configmapDryRunTerminating, configmapTerminating, options);
    expect(entry).toMatchObject({ action: 'create', changedPaths: [''] });
    expect(entry.action === 'create' && entry.reason).toMatch(/being deleted/);
  });

  it('skips, with a typed error naming the object, when live is a different object', () => {
    const entry = diffObject(deploymentNoop, configmapLive, options);
    expect(entry.action).toBe('skip');
    if (entry.action !== 'skip') return;
    expect(entry.error?.message).toBe(
      'Deployment.apps/web/api: live object ConfigMap/web/nginx is not the desired object',
    );
    expect(entry.error?.subject).toEqual(entry.subject);
  });

  it('reports label additions and removals as paths with escaped slashes', () => {
    const desired = copyOf(deploymentNoop) as KubeObject;
    desired.metadata.labels = { 'app.kubernetes.io/name': 'api', 'team.example.com/owner': 'pay' };
    expect(diffObject(desired, deploymentLive, options).changedPaths).toEqual([
      '/metadata/labels/ballast.dev~1application',
      '/metadata/labels/team.example.com~1owner',
    ]);
  });
});

describe('ignoreDifferences', () => {
  const byManager = (managers: string[]): IgnoreRule => ({
    type: 'managedFieldsManagers',
    match: deployment,
    managers,
  });

  it('hides replicas the autoscaler set through the scale subresource', () => {
    expect(diffObject(deploymentNoop, deploymentScaled, options).changedPaths).toEqual([
      '/spec/replicas',
    ]);
    const ignoring = { ...options, ignoreDifferences: [byManager(['kube-controller-manager'])] };
    expect(diffObject(deploymentNoop, deploymentScaled, ignoring).action).toBe('unchanged');
  });

  it('hides fields a kubectl edit took over inside a keyed container', () => {
    expect(diffObject(deploymentNoop, deploymentEdited, options).changedPaths).toEqual([
      '/spec/template/spec/containers/0/image',
      '/spec/template/spec/containers/0/resources/requests/memory',
    ]);
    const ignoring = { ...options, ignoreDifferences: [byManager(['kubectl-edit'])] };
    expect(diffObject(deploymentNoop, deploymentEdited, ignoring).action).toBe('unchanged');
  });

  it('still reports our annotations when the controller that created the map is ignored', () => {
    const desired = copyOf(deploymentNoop) as KubeObject;
    desired.metadata.annotations = { ...desired.metadata.annotations, team: 'payments' };
    const live = copyOf(deploymentLive) as KubeObject;
    live.metadata.annotations = { ...live.metadata.annotations, team: 'billing' };
    const ignoring = { ...options, ignoreDifferences: [byManager(['kube-controller-manager'])] };
    expect(diffObject(desired, live, ignoring).changedPaths).toEqual([
      '/metadata/annotations/team',
    ]);
  });

  it('hides a JSON pointer only on the kinds and names the rule matches', () => {
    const rule = (name: string): IgnoreRule => ({
      type: 'jsonPointers',
      match: { ...deployment, namespace: 'web', name },
      pointers: ['/spec/template/spec/containers/0/image'],
    });
    const hidden = { ...options, ignoreDifferences: [rule('api')] };
    expect(diffObject(deploymentImage, deploymentLive, hidden).action).toBe('unchanged');
    const other = { ...options, ignoreDifferences: [rule('worker')] };
    expect(diffObject(deploymentImage, deploymentLive, other).action).toBe('configure');
  });

  it('skips an object whose rule has a malformed pointer instead of guessing', () => {
    const broken: IgnoreRule = { type: 'jsonPointers', match: deployment, pointers: ['spec'] };
    const entry = diffObject(deploymentImage, deploymentLive, {
      ...options,
      ignoreDifferences: [broken],
    });
    expect(entry.action === 'skip' && entry.reason).toMatch(/must start with "\/"/);
  });

  it('skips an object whose live managedFields cannot be read', () => {
    const live = copyOf(deploymentScaled) as KubeObject;
    live.metadata['managedFields'] = [
      { manager: 'kube-controller-manager', fieldsV1: { 'x:y': {} } },
    ];
    const entry = diffObject(deploymentNoop, live, {
      ...options,
      ignoreDifferences: [byManager(['kube-controller-manager'])],
    });
    expect(entry.action === 'skip' && entry.reason).toMatch(/unknown path element "x:y"/);
  });
});

describe('driftOf', () => {
  it('finds no drift in an object that matches its dry-run', () => {
    expect(driftOf(deploymentNoop, deploymentLive, [])).toEqual({ kind: 'none' });
  });

  it('finds the changed paths of an edit, and the whole object when it is missing or terminating', () => {
    expect(driftOf(deploymentImage, deploymentLive, [])).toEqual({
      kind: 'drifted',
      changedPaths: ['/spec/template/spec/containers/0/image'],
    });
    expect(driftOf(deploymentImage, undefined, [])).toEqual({
      kind: 'drifted',
      changedPaths: [''],
    });
    expect(driftOf(configmapDryRunTerminating, configmapTerminating, [])).toEqual({
      kind: 'drifted',
      changedPaths: [''],
    });
  });

  it('finds no drift when the object cannot be compared, so self-heal does not loop on it', () => {
    const broken: IgnoreRule = { type: 'jsonPointers', match: deployment, pointers: ['~'] };
    expect(driftOf(deploymentImage, deploymentLive, [broken])).toEqual({ kind: 'none' });
  });

  it('agrees with the change set entry of the same comparison, paths included', () => {
    const pairs: [KubeObject, KubeObject | undefined][] = [
      [deploymentNoop, deploymentLive],
      [deploymentImage, deploymentLive],
      [deploymentImage, undefined],
      [configmapDryRunTerminating, configmapTerminating],
      [deploymentNoop, deploymentScaled],
    ];
    for (const [desired, live] of pairs) {
      const entry = diffObject(desired, live, { ...options, text: false });
      const found = driftOf(desired, live, []);
      expect(found.kind === 'drifted' ? found.changedPaths : []).toEqual(entry.changedPaths);
      expect(found.kind === 'drifted').toBe(isChange(entry));
    }
  });
});

describe('change set summaries', () => {
  const subject = (name: string): ObjectRef => ({
    group: '',
    kind: 'ConfigMap',
    namespace: 'web',
    name,
  });

  it('counts each action once, and needs a sync for a configure or a prune', () => {
    const changeSet = {
      entries: [
        diffObject(deploymentImage, deploymentLive, options),
        diffObject(configmapLive, configmapLive, options),
        pruneEntry(subject('old-nginx'), ''),
        skipEntry(subject('kept'), 'annotated ballast.dev/prune: disabled'),
      ],
    };
    expect(changeSet.entries.map((e) => [e.action, e.subject.name])).toEqual([
      ['configure', 'api'],
      ['unchanged', 'nginx'],
      ['prune', 'old-nginx'],
      ['skip', 'kept'],
    ]);
    expect(countByAction(changeSet)).toEqual({
      create: 0,
      configure: 1,
      unchanged: 1,
      prune: 1,
      skip: 1,
    });
    expect(needsSync(changeSet)).toBe(true);
    expect(needsSync({ entries: [pruneEntry(subject('old-nginx'), '')] })).toBe(true);
  });

  it('needs no sync when everything is unchanged or skipped', () => {
    const changeSet = {
      entries: [
        diffObject(deploymentNoop, deploymentLive, options),
        unchangedEntry(subject('x')),
        skipEntry(subject('y'), 'dry-run refused'),
      ],
    };
    expect(needsSync(changeSet)).toBe(false);
  });

  it('shows a prune as its note, never as the values of the object it deletes', () => {
    const entry = pruneEntry(subject('old-nginx'), 'ConfigMap/web/old-nginx would be pruned');
    expect(entry).toEqual({
      subject: subject('old-nginx'),
      action: 'prune',
      changedPaths: [''],
      diff: 'ConfigMap/web/old-nginx would be pruned',
    });
    const text = changeSetText({
      entries: [diffObject(deploymentImage, deploymentLive, options), entry],
    });
    expect(text).toMatch(/^--- Deployment\.apps\/web\/api \(live\)\n/);
    expect(text.endsWith('ConfigMap/web/old-nginx would be pruned')).toBe(true);
  });

  it('keeps the paths and text of an entry configured for a reason the comparison cannot see', () => {
    const image = diffObject(deploymentImage, deploymentLive, options);
    expect(configureEntry(image, 'recreated: an immutable field changed')).toEqual({
      ...image,
      reason: 'recreated: an immutable field changed',
    });
    const same = configureEntry(unchangedEntry(subject('x')), 'fields owned by kubectl');
    expect(same).toEqual({
      subject: subject('x'),
      action: 'configure',
      changedPaths: [],
      diff: '',
      reason: 'fields owned by kubectl',
    });
  });
});
