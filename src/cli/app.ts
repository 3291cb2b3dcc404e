import type { Command } from 'commander';
import { stringify } from 'yaml';
import { applicationApiVersion, applicationKind, type Application } from '../api/application.js';
import { registerAppOps } from './app-ops.js';
import { requestOnApp } from '../reconcile/app-requests.js';
import { getApp, say, withApp, withCommon, type AppFlags } from './app-common.js';
import { outputOption } from './options.js';
import { describeOwner, ownerOf } from './app-owner.js';
import { formatAppKey } from '../api/app-key.js';
import { parseNamespace } from './parse.js';
import { age, table } from './table.js';

export { age };

/** The rows of `ballast app list`, as `kubectl get applications.ballast.dev` prints them. */
export function listRows(
  apps: readonly Application[],
  withNamespace: boolean,
  now = Date.now(),
): string {
  const ready = (a: Application): string =>
    a.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '';
  const headers = [
    ...(withNamespace ? ['NAMESPACE'] : []),
    'NAME',
    'SYNC',
    'HEALTH',
    'REVISION',
    'READY',
    'AGE',
  ];
  const rows = apps.map((a) => [
    ...(withNamespace ? [a.metadata.namespace ?? ''] : []),
    a.metadata.name,
    a.status?.sync?.status ?? '',
    a.status?.health?.status ?? '',
    (a.status?.sync?.revision ?? '').slice(0, 12),
    ready(a),
    age(a.metadata.creationTimestamp, now),
  ]);
  return table(headers, rows);
}

export function registerApp(program: Command): void {
  const app = program.command('app').description('operate on Application resources');
  outputOption(withCommon(app.command('list').description('list Applications')), ['table', 'json'])
    .option('-A, --all-namespaces', 'every namespace', false)
    .action((f: AppFlags) =>
      withApp(f, async ({ cluster, namespace }) => {
        const info = await cluster.discovery.resolve(applicationApiVersion, applicationKind);
        if (info === undefined)
          throw new Error('the Application CRD is not installed; run `ballast install`');
        const items = (await cluster.list(
          info,
          f.allNamespaces === true ? {} : { namespace },
        )) as unknown as Application[];
        if (f.output === 'json') say(JSON.stringify(items, null, 2));
        else if (items.length === 0)
          process.stderr.write(
            `No Applications found${f.allNamespaces === true ? '' : ` in namespace ${namespace}`}.\n`,
          );
        else say(listRows(items, f.allNamespaces === true));
      }),
    );
  outputOption(
    withCommon(app.command('get <name>').description('show one Application')).option(
      '--lease-namespace <ns>',
      "the controller's namespace: with a sharded controller, the replica working on the app is read from its shard's Lease there",
      parseNamespace,
      'ballast-system',
    ),
    ['yaml', 'json'],
  ).action((name: string, f: AppFlags & { leaseNamespace: string }) =>
    withApp(f, async ({ cluster, namespace }) => {
      const a = await getApp(cluster, namespace, name);
      if (f.output === 'json') {
        say(JSON.stringify(a, null, 2));
        return;
      }
      // Who works on it, when the controller is sharded: a YAML comment, so the output still
      // reads back as the object.
      const key = formatAppKey({ namespace, name });
      const owner = describeOwner(
        await ownerOf(cluster.http, f.leaseNamespace, 'ballast-controller', key),
      );
      say((owner === undefined ? '' : `# ${owner}\n`) + stringify(a));
    }),
  );
  withCommon(app.command('history <name>').description('the last syncs of an Application')).action(
    (name: string, f: AppFlags) =>
      withApp(f, async ({ cluster, namespace }) => {
        const a = await getApp(cluster, namespace, name);
        const rows = (a.status?.history ?? []).map((h) => [
          String(h.id),
          h.revision.slice(0, 12),
          h.signer ?? '-',
          h.time,
          h.result,
          String(h.counts.created),
          String(h.counts.configured),
          String(h.counts.unchanged),
          String(h.counts.pruned),
        ]);
        say(
          table(
            [
              'ID',
              'REVISION',
              'SIGNER',
              'TIME',
              'RESULT',
              'CREATED',
              'CONFIGURED',
              'UNCHANGED',
              'PRUNED',
            ],
            rows,
          ),
        );
      }),
  );
  for (const [verb, suspend] of [
    ['suspend', true],
    ['resume', false],
  ] as const) {
    withCommon(
      app
        .command(`${verb} <name>`)
        .description(
          suspend ? 'stop reconciling an Application' : 'reconcile it again; ends a rollback',
        ),
    ).action((name: string, f: AppFlags) =>
      withApp(f, async ({ cluster, namespace }) => {
        say(await requestOnApp(cluster, namespace, name, { kind: verb }));
      }),
    );
  }
  registerAppOps(app);
  withCommon(
    app.command('sync <name>').description('ask the controller to reconcile it now'),
  ).action((name: string, f: AppFlags) =>
    withApp(f, async ({ cluster, namespace }) => {
      say(await requestOnApp(cluster, namespace, name, { kind: 'sync' }));
    }),
  );
}
