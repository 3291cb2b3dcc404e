import { Option, type Command } from 'commander';
import { Cluster } from '../cluster/cluster.js';
import { parseDurationMs, parseNamespace } from './parse.js';

/**
 * The flags more than one command takes, declared once here so that they are spelled, parsed
 * and described alike everywhere. A command adds them with the functions below and never
 * declares `--kubeconfig`, `--context`, `-n`, `-o` or a Git credential flag itself; a unit test
 * walks the whole program to keep it so.
 */

const declaredHere = new WeakSet<Option>();

function shared(option: Option): Option {
  declaredHere.add(option);
  return option;
}

/** Whether `option` was made by this module; the test that keeps declarations here asks. */
export function isSharedOption(option: Option): boolean {
  return declaredHere.has(option);
}

/** The long names only this module may declare. */
export const sharedLongNames: readonly string[] = [
  '--kubeconfig',
  '--context',
  '--namespace',
  '--output',
  '--git-username',
  '--git-password-file',
  '--git-token-file',
  '--ssh-key-file',
  '--known-hosts-file',
  '--ca-file',
  '--insecure-allow-http-credentials',
];

/** Which cluster a command talks to. */
export interface KubeFlags {
  /** `--kubeconfig`: else $KUBECONFIG, ~/.kube/config, then the Pod's service account. */
  kubeconfig?: string;
  /** `--context`: else the kubeconfig's current-context. */
  context?: string;
}

/**
 * `--kubeconfig` and `--context`. `purpose` says when a command that mostly works offline
 * reads the cluster at all, e.g. "for --keys-secret".
 */
export function kubeOptions(cmd: Command, purpose?: string): Command {
  const when = purpose === undefined ? '' : ` (${purpose})`;
  return cmd
    .addOption(
      shared(
        new Option(
          '--kubeconfig <file>',
          `kubeconfig file${when}; else $KUBECONFIG, ~/.kube/config, in a Pod its service account`,
        ).helpGroup('Cluster options:'),
      ),
    )
    .addOption(
      shared(
        new Option('--context <name>', `kubeconfig context${when}; else the current one`).helpGroup(
          'Cluster options:',
        ),
      ),
    );
}

/** How `-n` behaves when it is not given. */
export type NamespaceDefault =
  /** kubectl's rule: the kubeconfig context's namespace, else `default` (see namespaceOf). */
  | { kind: 'context' }
  /** A fixed namespace, e.g. where `ballast install` puts the controller. */
  | { kind: 'fixed'; namespace: string }
  /** No namespace: the command means every namespace, as the controller does. */
  | { kind: 'all' }
  /** Another flag's value, e.g. `--fleet-namespace`; the command reads it when `-n` is unset. */
  | { kind: 'flag'; flag: string };

/** `-n, --namespace`; `what` says what the namespace is of, e.g. "namespace of the Application". */
export function namespaceOption(cmd: Command, what: string, when: NamespaceDefault): Command {
  // Commander shows no default that is undefined, so the fallbacks are spelled out here.
  const fallback =
    when.kind === 'flag'
      ? ` (default: ${when.flag})`
      : {
          context: " (default: the kubeconfig context's namespace)",
          all: ' (default: every namespace)',
          fixed: '',
        }[when.kind];
  const option = new Option('-n, --namespace <ns>', `${what}${fallback}`)
    .argParser(parseNamespace)
    .helpGroup('Cluster options:');
  if (when.kind === 'fixed') option.default(when.namespace);
  return cmd.addOption(shared(option));
}

/** `-o, --output`: one of `formats`, the first being the default. */
export function outputOption(cmd: Command, formats: readonly [string, ...string[]]): Command {
  return cmd.addOption(
    shared(
      new Option('-o, --output <format>', 'output format').choices(formats).default(formats[0]),
    ),
  );
}

/** A duration as kubectl spells it (`90s`, `5m`, `1h30m`), parsed to milliseconds. */
export function durationOption(
  cmd: Command,
  flags: string,
  description: string,
  defaultMs?: number,
  { zero = false }: { zero?: boolean } = {},
): Command {
  // `zero`: the description gives 0 a meaning (never, off), so 0 must be accepted.
  const parse = zero
    ? (text: string): number => (/^0+(ms|s|m|h)?$/.test(text) ? 0 : parseDurationMs(text))
    : parseDurationMs;
  const option = new Option(flags, description).argParser(parse);
  if (defaultMs !== undefined) option.default(defaultMs, formatDuration(defaultMs));
  return cmd.addOption(option);
}

/** Milliseconds as the shortest duration flag that gives them: 20s, 5m, 1h30m, 500ms. */
export function formatDuration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  const parts = [h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', sec > 0 ? `${sec}s` : ''];
  return parts.join('') || '0s';
}

/** The Git credential flags: secrets come from files, never from flag values (shell history). */
export interface GitCredentialFlags {
  gitUsername?: string;
  gitPasswordFile?: string;
  gitTokenFile?: string;
  sshKeyFile?: string;
  knownHostsFile?: string;
  caFile?: string;
  /** Send the credentials over a plain http:// --repo. */
  insecureAllowHttpCredentials?: boolean;
}

/** The flags of GitCredentialFlags, for a command that fetches `--repo`. */
export function gitCredentialOptions(cmd: Command): Command {
  const group = 'Git credentials (for --repo):';
  const options = [
    new Option('--git-username <name>', 'user for HTTPS basic auth'),
    new Option('--git-password-file <file>', 'file holding the HTTPS password'),
    new Option('--git-token-file <file>', 'file holding an HTTPS token'),
    new Option('--ssh-key-file <file>', 'SSH private key file'),
    new Option('--known-hosts-file <file>', 'known_hosts for SSH (required with --ssh-key-file)'),
    new Option('--ca-file <file>', 'extra CA bundle for HTTPS'),
    new Option(
      '--insecure-allow-http-credentials',
      'send the Git credentials over a plain http:// --repo (readable on the network)',
    ),
  ];
  for (const o of options) cmd.addOption(shared(o.helpGroup(group)));
  return cmd;
}

/** The cluster the flags name. */
export function connect(f: KubeFlags): Cluster {
  return Cluster.connect({
    ...(f.kubeconfig === undefined ? {} : { kubeconfig: f.kubeconfig }),
    ...(f.context === undefined ? {} : { context: f.context }),
  });
}

/**
 * The namespace a command works in when `-n` falls back to the context, as kubectl picks it:
 * `-n`, else the kubeconfig context's namespace (a Pod's own in a cluster), else `default`.
 */
export function namespaceOf(f: { namespace?: string | undefined }, cluster: Cluster): string {
  return f.namespace ?? cluster.http.namespace ?? 'default';
}

/** Runs `fn` with the flags' cluster and closes it after, whatever happens. */
export async function withCluster<T>(f: KubeFlags, fn: (c: Cluster) => Promise<T>): Promise<T> {
  const cluster = connect(f);
  try {
    return await fn(cluster);
  } finally {
    cluster.close();
  }
}
