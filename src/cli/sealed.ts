import { readFile, writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { parse, stringify } from 'yaml';
import type { KubeObject } from '../api/object.js';
import type { Cluster } from '../cluster/cluster.js';
import { createSealingKey, readSealingKeys } from '../reconcile/sealing-keys.js';
import {
  newestPublicKey,
  publicKeyOfCert,
  resealSecret,
  sealingScopes,
  sealSecret,
  type SealingKeys,
  type SealingScope,
} from '../secrets/sealed/index.js';
import { kubeOptions, withCluster, type KubeFlags } from './options.js';
import { UsageError } from './parse.js';

/**
 * `ballast secrets seal|cert|reseal|seal-keygen`: SealedSecrets as bitnami-labs/sealed-secrets
 * writes them, sealed to the keys the controller keeps in its own namespace.
 */

interface KeysFlags extends KubeFlags {
  /** The controller's namespace, where its sealing keys are. */
  controllerNamespace: string;
}

interface SealFlags extends KeysFlags {
  scope: SealingScope;
  cert?: string;
  controller: boolean;
}

const out = (s: string): void => {
  process.stdout.write(s);
};

async function readInput(file: string | undefined): Promise<string> {
  if (file !== undefined && file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseObject(text: string, from: string): KubeObject {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UsageError(
      `${from}: not YAML or JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const o = doc as Partial<KubeObject> | null;
  if (o === null || typeof o !== 'object' || typeof o.kind !== 'string' || o.metadata === undefined)
    throw new UsageError(`${from}: expects one Kubernetes object`);
  return o as KubeObject;
}

async function clusterKeys(cluster: Cluster, namespace: string): Promise<SealingKeys> {
  const { keys, problems } = await readSealingKeys(cluster, namespace);
  for (const p of problems) process.stderr.write(`warning: ${p}\n`);
  if (keys.keys.length === 0)
    throw new UsageError(
      `no sealing keys in namespace ${namespace}; make one with \`ballast secrets seal-keygen\``,
    );
  return keys;
}

async function sealCommand(file: string | undefined, f: SealFlags): Promise<void> {
  if ((f.cert === undefined) === !f.controller)
    throw new UsageError('give exactly one of --cert FILE and --controller');
  const from = file ?? 'stdin';
  const secret = parseObject(await readInput(file), from);
  const publicKey =
    f.cert !== undefined
      ? publicKeyOfCert(await readFile(f.cert, 'utf8'))
      : await withCluster(f, async (c) =>
          newestPublicKey(await clusterKeys(c, f.controllerNamespace)),
        );
  if (publicKey === undefined) throw new UsageError('no sealing key to seal to');
  const r = sealSecret(secret, publicKey, f.scope);
  if (r.kind === 'error') throw new UsageError(`${from}: ${r.problem}`);
  out(stringify(r.sealed));
}

async function certCommand(f: KeysFlags): Promise<void> {
  const keys = await withCluster(f, (c) => clusterKeys(c, f.controllerNamespace));
  out(keys.keys[0]?.certPem ?? '');
}

async function resealCommand(file: string, f: KeysFlags & { inPlace: boolean }): Promise<void> {
  const sealed = parseObject(await readFile(file, 'utf8'), file);
  const keys = await withCluster(f, (c) => clusterKeys(c, f.controllerNamespace));
  const publicKey = newestPublicKey(keys);
  if (publicKey === undefined) throw new UsageError('no sealing key to seal to');
  const r = resealSecret(sealed, keys, publicKey);
  if (r.kind === 'error') throw new UsageError(`${file}: ${r.problem}`);
  if (f.inPlace) await writeFile(file, stringify(r.sealed));
  else out(stringify(r.sealed));
}

async function keygenCommand(f: KeysFlags): Promise<void> {
  const made = await withCluster(f, (c) => createSealingKey(c, f.controllerNamespace));
  process.stderr.write(`created Secret ${f.controllerNamespace}/${made.name}\n`);
  out(made.certPem);
}

const controllerNamespace = (): Option =>
  new Option(
    '--controller-namespace <ns>',
    "the controller's namespace, which holds its sealing keys",
  ).default('ballast-system');

export function registerSealed(secrets: Command): void {
  const seal = secrets
    .command('seal')
    .description('seal a Secret manifest (FILE or stdin) into a SealedSecret and print it')
    .argument('[file]', 'a v1 Secret in YAML or JSON; stdin when absent or -')
    .addOption(
      new Option('--scope <scope>', 'where the SealedSecret may be unsealed')
        .choices(sealingScopes)
        .default('strict'),
    )
    .option('--cert <file>', 'seal to this certificate (PEM), offline')
    .option('--controller', "seal to the newest key in the controller's namespace", false)
    .addOption(controllerNamespace());
  kubeOptions(seal, 'with --controller').action((file: string | undefined, f: SealFlags) =>
    sealCommand(file, f),
  );
  const cert = secrets
    .command('cert')
    .description('print the certificate of the newest sealing key (for --cert and kubeseal)')
    .addOption(controllerNamespace());
  kubeOptions(cert).action((f: KeysFlags) => certCommand(f));
  const reseal = secrets
    .command('reseal')
    .description('re-encrypt a SealedSecret to the newest sealing key, in memory, and print it')
    .argument('<file>', 'a SealedSecret')
    .option('-i, --in-place', 'replace FILE instead of printing', false)
    .addOption(controllerNamespace());
  kubeOptions(reseal).action((file: string, f: KeysFlags & { inPlace: boolean }) =>
    resealCommand(file, f),
  );
  const keygen = secrets
    .command('seal-keygen')
    .description(
      'make a sealing key (a kubernetes.io/tls Secret, as sealed-secrets stores one) and print its certificate',
    )
    .addOption(controllerNamespace());
  kubeOptions(keygen).action((f: KeysFlags) => keygenCommand(f));
}
