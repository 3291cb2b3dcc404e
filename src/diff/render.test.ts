import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/object.js';
import { defaultDiffOptions, diffObject } from './changeset.js';
import { unifiedDiff, yamlLines } from './render.js';
import configmapDryRun from './testdata/configmap-dryrun.json' with { type: 'json' };
import configmapLive from './testdata/configmap-live.json' with { type: 'json' };
import secretRotated from './testdata/secret-dryrun-rotated.json' with { type: 'json' };
import secretLive from './testdata/secret-live.json' with { type: 'json' };

const options = defaultDiffOptions();
const plaintexts = [
  'hunter2-old-password',
  's3cr3t-NEW-password',
  'tok_live_4f9a8b7c',
  'orders_rw',
];

/** Every way a Secret value could leak into text: as stored (base64) and decoded. */
function leaks(text: string, secret: { data: Record<string, string> }): string[] {
  const stored = Object.values(secret.data);
  return [...stored, ...plaintexts].filter((value) => text.includes(value));
}

describe('diff text', () => {
  it('renders a ConfigMap change as a unified diff of its YAML, multi-line values as blocks', () => {
    expect(diffObject(configmapDryRun, configmapLive, options).diff).toBe(
      [
        '--- ConfigMap/web/nginx (live)',
        '+++ ConfigMap/web/nginx (desired)',
        '@@ -13,7 +13,7 @@',
        '     }',
        '     http {',
        '       server {',
        '-        listen 8080;',
        '+        listen 8443 ssl;',
        '         location / {',
        '           proxy_pass http://api:8080;',
        '         }',
        '',
      ].join('\n'),
    );
  });

  it('colours the diff for a terminal only when asked', () => {
    const plain = diffObject(configmapDryRun, configmapLive, options).diff;
    expect(plain).not.toContain('\x1b[');
    const coloured = diffObject(configmapDryRun, configmapLive, { ...options, color: 'ansi' }).diff;
    expect(coloured).toContain('\x1b[31m-        listen 8080;\x1b[0m\n');
    expect(coloured).toContain('\x1b[32m+        listen 8443 ssl;\x1b[0m\n');
    expect(coloured).toContain('\x1b[36m@@ -13,7 +13,7 @@\x1b[0m\n');
  });

  it('puts apiVersion, kind and metadata first and sorts the rest', () => {
    const lines = yamlLines({
      spec: { b: 1, a: 2 },
      kind: 'X',
      apiVersion: 'v1',
      data: { '80': 'x' },
    });
    expect(lines).toEqual([
      'apiVersion: v1',
      'kind: X',
      'data:',
      '  "80": x',
      'spec:',
      '  a: 2',
      '  b: 1',
    ]);
  });

  it('merges nearby changes into one hunk and keeps far ones apart', () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i}`);
    const after = before.map((l, i) => (i === 5 || i === 9 || i === 25 ? `${l} changed` : l));
    const text = unifiedDiff(
      before,
      after,
      { before: 'a', after: 'b' },
      { ...options, contextLines: 2 },
    );
    expect(text.split('\n').filter((l) => l.startsWith('@@'))).toEqual([
      '@@ -4,9 +4,9 @@',
      '@@ -24,5 +24,5 @@',
    ]);
  });

  it('is empty for equal texts', () => {
    expect(unifiedDiff(['a'], ['a'], { before: 'a', after: 'b' }, options)).toBe('');
  });
});

describe('Secret masking', () => {
  it('marks each key changed, added or unchanged without any value in the text', () => {
    const entry = diffObject(secretRotated, secretLive, options);
    expect(entry.changedPaths).toEqual(['/data/api-token', '/data/password']);
    expect(entry.diff).toContain('-  password: "*** (previous)"\n');
    expect(entry.diff).toContain('+  password: "*** (changed)"\n');
    expect(entry.diff).toContain('+  api-token: "*** (added)"\n');
    expect(entry.diff).toContain('   username: "*** (unchanged)"\n');
    expect(leaks(entry.diff, secretRotated)).toEqual([]);
    expect(leaks(entry.diff, secretLive)).toEqual([]);
  });

  it('treats stringData in a desired Secret as the data the apiserver would store', () => {
    const desired = structuredClone(secretLive) as KubeObject;
    const data = desired['data'] as Record<string, string>;
    delete data['password'];
    desired['stringData'] = { password: 'hunter2-old-password' };
    expect(diffObject(desired, secretLive, options).action).toBe('unchanged');

    desired['stringData'] = { password: 's3cr3t-NEW-password' };
    const entry = diffObject(desired, secretLive, options);
    expect(entry.changedPaths).toEqual(['/data/password']);
    expect(entry.diff).not.toContain('stringData');
    expect(leaks(entry.diff, secretLive)).toEqual([]);
  });

  it('masks a Secret that is created', () => {
    const created = diffObject(secretRotated, undefined, options).diff;
    expect(created).toContain('+  password: "*** (added)"\n');
    expect(leaks(created, secretRotated)).toEqual([]);
  });

  it('keeps plaintext out of the text even when it sits in last-applied-configuration', () => {
    const live = structuredClone(secretLive) as KubeObject;
    live.metadata.annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
        stringData: { password: 'hunter2-old-password' },
      }),
    };
    const entry = diffObject(secretRotated, live, options);
    expect(leaks(entry.diff, secretLive)).toEqual([]);
  });
});
