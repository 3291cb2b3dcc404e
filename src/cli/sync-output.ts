import { formatRef } from '../api/object.js';
import { groupedErrors } from '../apply/errors.js';
import type { RefusalEffects, SyncResult } from '../apply/sync.js';
import type { HealthReport } from '../health/index.js';
import { countByAction } from '../diff/index.js';

/** How `sync` and `diff` print: text for people, JSON for scripts. */
export interface OutputFlags {
  output: 'text' | 'json';
  dryRun: boolean;
}

export const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
};
export const err = (s: string): void => {
  process.stderr.write(s.endsWith('\n') ? s : s + '\n');
};

/** What a refused sync did and undid, or that it changed nothing. */
export function refusalAftermath(effects: RefusalEffects): string {
  const parts: string[] = [];
  if (effects.namespaceCreated !== undefined)
    parts.push(`namespace ${effects.namespaceCreated} was created and kept`);
  const { rolledBack, leftBehind } = effects;
  const objects = (count: number, one: string, many: string): string =>
    count === 1
      ? `1 object created by this sync ${one}`
      : `${count} objects created by this sync ${many}`;
  if (rolledBack.length > 0)
    parts.push(objects(rolledBack.length, 'was deleted again', 'were deleted again'));
  if (leftBehind.length > 0)
    parts.push(
      `${objects(leftBehind.length, 'could not be deleted and remains', 'could not be deleted and remain')}: ${leftBehind.map(formatRef).join(', ')}`,
    );
  return parts.length === 0 ? 'nothing was changed' : parts.join('; ');
}

/** Text groups the errors by cause; JSON lists every object, so nothing is lost either way. */
export function printRefused(
  f: Pick<OutputFlags, 'output'>,
  result: Extract<SyncResult, { kind: 'refused' }>,
): void {
  err(
    `refused: ${result.errors.length} object(s) cannot be synced; ${refusalAftermath(result.effects)}`,
  );
  if (f.output === 'json')
    out(
      JSON.stringify(
        {
          refused: true,
          errors: result.errors.map((e) => e.message),
          namespaceCreated: result.effects.namespaceCreated ?? null,
          rolledBack: result.effects.rolledBack.map(formatRef),
          leftBehind: result.effects.leftBehind.map(formatRef),
        },
        null,
        2,
      ),
    );
  else for (const line of groupedErrors(result.errors)) err(`  ${line}`);
}

export function printSyncResult(
  f: OutputFlags,
  result: Extract<SyncResult, { kind: 'done' }>,
  health: HealthReport | undefined,
): void {
  const n = countByAction(result.changeSet);
  const summary = {
    created: n.create,
    configured: n.configure,
    unchanged: n.unchanged,
    pruned: result.pruned.filter((p) => p.kind === 'deleted').length,
    ...(health === undefined ? {} : { health: health.status }),
  };
  if (f.output === 'json') {
    out(
      JSON.stringify(
        {
          dryRun: f.dryRun,
          summary,
          entries: result.changeSet.entries.map(({ diff: _d, ...e }) => e),
          errors: result.errors.map((e) => e.message),
        },
        null,
        2,
      ),
    );
    return;
  }
  const verb = (a: string): string =>
    ({ create: 'created', configure: 'configured', prune: 'pruned' })[a] ?? a;
  for (const e of result.changeSet.entries) {
    if (e.action !== 'unchanged')
      out(`${formatRef(e.subject)} ${verb(e.action)}${f.dryRun ? ' (dry run)' : ''}`);
  }
  for (const line of groupedErrors(result.errors)) err(`error: ${line}`);
  const h =
    health === undefined
      ? ''
      : `; health: ${health.status}${health.status === 'Healthy' ? '' : ` (${health.message})`}`;
  out(
    `${summary.created} created, ${summary.configured} configured, ${summary.unchanged} unchanged, ${summary.pruned} pruned${h}`,
  );
}
