import { Option, type Command } from 'commander';
import { defaultFleetNamespace } from '../fleet/index.js';
import { clusterNameRegex, maxClusterNameLength } from '../fleet/names.js';
import {
  createRegistrationToken,
  deregisterCluster,
  parseTokenTtl,
} from '../fleet/registration/index.js';
import { kubeOptions, withCluster, type KubeFlags } from './options.js';
import { UsageError } from './parse.js';

/** What the registration commands share. */
interface RegistrationFlags extends KubeFlags {
  /** `--fleet-namespace`: where Clusters and the registrar ServiceAccount live. */
  fleetNamespace: string;
}

interface TokenFlags extends RegistrationFlags {
  /** `--ttl`, in seconds, parsed and checked against the 10 minute minimum. */
  ttl: number;
}

const err = (s: string): void => {
  process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
};

function fleetNamespaceOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--fleet-namespace <ns>',
      'where Clusters and the registrar live on the hub',
    ).default(defaultFleetNamespace),
  );
}

function parseTtlFlag(value: string): number {
  try {
    return parseTokenTtl(value);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

function parseClusterName(value: string): string {
  if (value.length <= maxClusterNameLength && new RegExp(clusterNameRegex).test(value))
    return value;
  throw new UsageError(
    `cluster "${value}": not a Cluster name (a DNS label of at most ${maxClusterNameLength} characters); see \`ballast fleet clusters\``,
  );
}

async function tokenCreate(f: TokenFlags): Promise<void> {
  await withCluster(f, async (hub) => {
    const t = await createRegistrationToken(hub, {
      ttlSeconds: f.ttl,
      fleetNamespace: f.fleetNamespace,
    });
    // Only the token goes to stdout, so `> token` captures exactly it.
    process.stdout.write(`${t.token}\n`);
    err(
      `Registration token for the hub ${hub.http.server}, valid until ${t.expiresAt}. It can only register clusters.\n` +
        `Revoke it early: kubectl -n ${f.fleetNamespace} delete secret ${t.secret}\n` +
        `On each spoke: ballast agent --hub-url ${hub.http.server} --token-file FILE --cluster-name NAME ` +
        "(with the hub's CA, the certificate-authority-data of this kubeconfig, unless the hub's certificate is publicly trusted)",
    );
  });
}

async function deregister(cluster: string, f: RegistrationFlags): Promise<void> {
  await withCluster(f, async (hub) => {
    const r = await deregisterCluster(hub, cluster, f.fleetNamespace);
    if (r.deleted.length === 0)
      throw new UsageError(
        `cluster "${cluster}": nothing registered under that name in ${f.fleetNamespace}; see \`ballast fleet clusters\``,
      );
    process.stdout.write(
      `cluster "${cluster}" deregistered: its identity has no rights on the hub any more; deleted ${r.deleted.join(', ')}\n` +
        'Its agent stops at its next hub request; workloads on the spoke keep running.\n',
    );
  });
}

/** `ballast fleet token create` and `ballast fleet deregister`, added to the `fleet` group. */
export function addRegistrationCommands(fleet: Command): void {
  const token = fleet.command('token').description('registration tokens for spoke agents');
  const create = token
    .command('create')
    .description('print a token that can only register clusters with this hub')
    .addOption(
      new Option('--ttl <duration>', 'how long the token is valid (at least 10m)')
        .argParser(parseTtlFlag)
        .default(3600, '1h'),
    );
  kubeOptions(fleetNamespaceOption(create)).action(tokenCreate);
  const dereg = fleet
    .command('deregister')
    .description(
      "remove a cluster's hub identity (its RBAC), its namespace and its Cluster; its agent stops, workloads stay",
    )
    .argument('<cluster>', 'the Cluster name', parseClusterName);
  kubeOptions(fleetNamespaceOption(dereg)).action(deregister);
}
