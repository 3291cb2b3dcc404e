export { buildTree, type TreeNode } from '../health/tree.js';
import { formatRef, refOf } from '../api/object.js';
import type { HealthReport } from '../health/index.js';
import type { TreeNode } from '../health/tree.js';
import { table } from './table.js';

/** The tree as kubectl-style rows, with box-drawing prefixes in the NAME column. */
export function treeTable(
  root: { name: string; sync: string; health: HealthReport },
  nodes: readonly TreeNode[],
): string {
  const rows: string[][] = [[root.name, root.sync, root.health.status, root.health.message]];
  const walk = (list: readonly TreeNode[], indent: string): void => {
    list.forEach((n, i) => {
      const last = i === list.length - 1;
      const message = n.health.status === 'Healthy' ? '' : n.health.message;
      rows.push([
        `${indent}${last ? '└── ' : '├── '}${formatRef(refOf(n.object))}`,
        n.sync ?? '-',
        n.health.status,
        message,
      ]);
      walk(n.children, `${indent}${last ? '    ' : '│   '}`);
    });
  };
  walk(nodes, '');
  return table(['NAME', 'SYNC', 'HEALTH', 'MESSAGE'], rows);
}
