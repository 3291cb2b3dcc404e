import { describe, expect, it } from 'vitest';
import { refKey, refOf, type KubeObject } from '../api/object.js';
import {
  buildChangeSet,
  changeSetText,
  countByAction,
  defaultDiffOptions,
  diffObject,
  hasDrifted,
  needsSync,
  pruneEntry,
  skipEntry,
} from './changeset.js';
import type { IgnoreRule } from './ignore.js';
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

describe('hasDrifted', () => {
  it('answers no for an object that matches its dry-run', () => {
    expect(hasDrifted(deploymentNoop, deploymentLive, [])).toBe(false);
  });

  it('answers yes for a changed field, a missing object and a terminating one', () => {
    expect(hasDrifted(deploymentImage, deploymentLive, [])).toBe(true);
    expect(hasDrifted(deploymentImage, undefined, [])).toBe(true);
    expect(hasDrifted(configmapDryRunTerminating, configmapTerminating, [])).toBe(true);
  });

  it('answers no when the object cannot be compared, so self-heal does not loop on it', () => {
    const broken: IgnoreRule = { type: 'jsonPointers', match: deployment, pointers: ['~'] };
    expect(hasDrifted(deploymentImage, deploymentLive, [broken])).toBe(false);
  });
});

describe('buildChangeSet', () => {
  it('lists desired objects in order, then prunes, and counts them', () => {
    const stale = copyOf(configmapLive) as KubeObject;
    stale.metadata.name = 'old-nginx';
    const changeSet = buildChangeSet(
      {
        desired: [
          { dryRun: deploymentImage, live: deploymentLive },
          { dryRun: configmapLive, live: configmapLive },
        ],
        prune: [stale, configmapLive],
      },
      options,
    );
    expect(changeSet.entries.map((e) => [e.action, e.subject.name])).toEqual([
      ['configure', 'api'],
      ['unchanged', 'nginx'],
      ['prune', 'old-nginx'],
    ]);
    expect(countByAction(changeSet)).toEqual({
      create: 0,
      configure: 1,
      unchanged: 1,
      prune: 1,
      skip: 0,
    });
    expect(needsSync(changeSet)).toBe(true);
    expect(changeSetText(changeSet)).toContain('+++ ConfigMap/web/old-nginx (pruned)\n');
  });

  it('needs no sync when everything is unchanged or skipped', () => {
    const changeSet = {
      entries: [
        diffObject(deploymentNoop, deploymentLive, options),
        skipEntry({ group: '', kind: 'ConfigMap', namespace: 'web', name: 'x' }, 'dry-run refused'),
      ],
    };
    expect(needsSync(changeSet)).toBe(false);
  });

  it('renders a prune as the whole live object removed, without server noise', () => {
    const entry = pruneEntry(configmapLive, options);
    expect(entry.changedPaths).toEqual(['']);
    expect(entry.diff).toMatch(
      /^--- ConfigMap\/web\/nginx \(live\)\n\+\+\+ ConfigMap\/web\/nginx \(pruned\)\n@@ -1,\d+ \+0,0 @@\n-apiVersion: v1\n/,
    );
    expect(entry.diff).not.toMatch(/managedFields|resourceVersion|last-applied/);
  });
});
