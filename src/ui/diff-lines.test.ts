import { describe, expect, it } from 'vitest';
import type { IgnoreRule } from '../api/ignore-rules.js';
import { parseIgnoreRules } from '../api/ignore-rules.js';
import type { KubeObject } from '../api/object.js';
import { diffLinesOf, formatFieldPath } from './diff-lines.js';

const deployment = (replicas: number, managers: object[] = []): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', managedFields: managers },
  spec: { replicas, paused: false },
});

const rules = (r: object[]): IgnoreRule[] => {
  const parsed = parseIgnoreRules(r);
  if (parsed.kind !== 'ok') throw new Error('bad rules');
  return parsed.value;
};

describe('the Diff tab’s lines', () => {
  it('names the manager owning a changed line, and marks unchanged lines same', () => {
    const live = deployment(4, [
      {
        manager: 'intruder',
        operation: 'Update',
        time: '2026-01-01T00:00:00Z',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
    ]);
    const d = diffLinesOf(deployment(1), live, []);
    expect(d.state).toBe('different');
    expect(d.lines.find((l) => l.path === '.spec.replicas')).toEqual({
      op: 'changed',
      path: '.spec.replicas',
      desired: '1',
      live: '4',
      manager: 'intruder',
      ignored: false,
      masked: false,
    });
    expect(d.lines.find((l) => l.path === '.spec.paused')?.op).toBe('same');
  });

  it('marks a field of ignoreDifferences as ignored, shows it, and counts the object the same', () => {
    const d = diffLinesOf(
      deployment(1),
      deployment(4),
      rules([{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]),
    );
    expect(d.lines.find((l) => l.path === '.spec.replicas')).toMatchObject({
      op: 'changed',
      ignored: true,
    });
    expect(d.state).toBe('same');
  });

  it('masks every value of a Secret: lines say changed or same, and hold neither value', () => {
    const secret = (v: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'shop' },
      data: { password: Buffer.from(v).toString('base64'), user: 'YWRtaW4=' },
    });
    const d = diffLinesOf(secret('new-plaintext'), secret('old-plaintext'), []);
    const text = JSON.stringify(d);
    expect(text).not.toContain(Buffer.from('new-plaintext').toString('base64'));
    expect(text).not.toContain(Buffer.from('old-plaintext').toString('base64'));
    expect(text).not.toContain('YWRtaW4=');
    expect(d.lines.find((l) => l.path === '.data.password')).toMatchObject({
      op: 'changed',
      masked: true,
    });
    expect(d.lines.find((l) => l.path === '.data.user')).toMatchObject({
      op: 'same',
      masked: true,
    });
  });

  it('shows a missing object as lines to add', () => {
    const d = diffLinesOf(deployment(1), undefined, []);
    expect(d.state).toBe('missing');
    expect(d.lines.every((l) => l.op === 'added')).toBe(true);
  });

  it('spells paths as people read them', () => {
    expect(formatFieldPath(['spec', 'containers', 0, 'image'])).toBe('.spec.containers[0].image');
    expect(formatFieldPath(['metadata', 'annotations', 'a.b/c'])).toBe(
      '.metadata.annotations["a.b/c"]',
    );
  });
});
