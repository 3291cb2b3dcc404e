import { describe, expect, it } from 'vitest';
import type { DiffLine } from '../../src/ui/api.js';
import { diffCounts, diffRows } from './diff.js';

const line = (l: Partial<DiffLine> & Pick<DiffLine, 'op' | 'path'>): DiffLine => ({
  ignored: false,
  masked: false,
  ...l,
});

describe('laying out a Deployment whose replicas kubectl changed', () => {
  const lines: DiffLine[] = [
    line({ op: 'same', path: '.metadata.name', desired: 'web', live: 'web', manager: 'ballast' }),
    line({ op: 'changed', path: '.spec.replicas', desired: '2', live: '5', manager: 'kubectl' }),
    line({ op: 'added', path: '.metadata.labels.tier', desired: 'front' }),
    line({ op: 'removed', path: '.metadata.labels.old', live: 'x', manager: 'kubectl-label' }),
  ];
  const rows = diffRows(lines);

  it('keeps one row per line, path and manager on the changed row', () => {
    expect(rows).toHaveLength(4);
    expect(rows[1]).toMatchObject({ path: '.spec.replicas', manager: 'kubectl' });
  });

  it('shows a changed line unified as the live value removed then the desired value added', () => {
    expect(rows[1]?.parts).toEqual([
      { sign: '-', text: '5' },
      { sign: '+', text: '2' },
    ]);
  });

  it('shows a changed line side by side with the desired value left and the live value right', () => {
    expect(rows[1]).toMatchObject({ desired: '2', live: '5' });
  });

  it('leaves the live side empty for a field only Git has, and the desired side for one only the cluster has', () => {
    expect(rows[2]).toMatchObject({ desired: 'front', parts: [{ sign: '+', text: 'front' }] });
    expect(rows[2]?.live).toBeUndefined();
    expect(rows[3]).toMatchObject({ live: 'x', parts: [{ sign: '-', text: 'x' }] });
    expect(rows[3]?.desired).toBeUndefined();
  });

  it('shows an unchanged line once with no sign', () => {
    expect(rows[0]?.parts).toEqual([{ sign: ' ', text: 'web' }]);
  });

  it('counts the differences', () => {
    expect(diffCounts(lines)).toEqual({ changed: 1, added: 1, removed: 1, ignored: 0 });
  });
});

describe('ignored and masked lines', () => {
  it('marks an ignored field with the word "ignored" and counts it apart', () => {
    const lines = [
      line({ op: 'changed', path: '.spec.replicas', desired: '1', live: '3', ignored: true }),
    ];
    expect(diffRows(lines)[0]?.notes).toEqual(['ignored']);
    expect(diffCounts(lines)).toEqual({ changed: 0, added: 0, removed: 0, ignored: 1 });
  });

  it('shows a masked Secret value as (masked) on both sides, never a value', () => {
    const [row] = diffRows([line({ op: 'changed', path: '.data.password', masked: true })]);
    expect(row).toMatchObject({ desired: '(masked)', live: '(masked)', notes: ['masked'] });
    expect(row?.parts.map((p) => p.text)).toEqual(['(masked)', '(masked)']);
  });
});
