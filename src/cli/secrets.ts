import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Option, type Command } from 'commander';
import type { Cluster } from '../cluster/cluster.js';
import {
  decryptionKeysFromSecretData,
  decryptSops,
  defaultEncryptOptions,
  encryptSops,
  formatOf,
  keysFromNamedText,
  loadAge,
  mergeKeys,
  parseAgeKeys,
  type DecryptionKeys,
  type EncryptionRules,
  type SopsFormat,
} from '../secrets/index.js';
import { kubeOptions, withCluster, type KubeFlags } from './options.js';
import { registerSealed } from './sealed.js';
import { collect, parseObjectRef, UsageError, type ObjectRef } from './parse.js';

const out = (s: string): void => {
  process.stdout.write(s);
};
const note = (s: string): void => {
  process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
};

async function unwrap(
  r: Promise<import('../secrets/index.js').KeysResult>,
): Promise<DecryptionKeys> {
  const k = await r;
  if (k.kind === 'error') throw k.error;
  return k.keys;
}

/** Keys from one file: `.asc` is OpenPGP, anything else an age keys file. */
async function keysFromFile(file: string): Promise<DecryptionKeys> {
  const text = await readFile(file, 'utf8');
  const name = basename(file);
  const named = await keysFromNamedText(name, text);
  return unwrap(Promise.resolve(named ?? (await parseAgeKeys(name, text))));
}

/** Keys from a file, or from every `*.agekey` and `*.asc` file in a directory (a mounted Secret). */
export async function keysFromPath(path: string): Promise<DecryptionKeys> {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file or directory`);
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (entries === undefined) return keysFromFile(path);
  const sets: DecryptionKeys[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    const named = await keysFromNamedText(e.name, await readFile(join(path, e.name), 'utf8'));
    if (named !== undefined) sets.push(await unwrap(Promise.resolve(named)));
  }
  const keys = mergeKeys(...sets);
  if (keys.age.length + keys.pgp.length === 0) {
    throw new UsageError(`${path}: holds no *.agekey or *.asc file`);
  }
  return keys;
}

/** Keys from a Secret's `*.agekey` and `*.asc` entries, as the controller reads them. */
export async function keysFromSecret(cluster: Cluster, ref: ObjectRef): Promise<DecryptionKeys> {
  const { namespace, name } = ref;
  const secret = await cluster.get({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
  });
  if (secret === undefined)
    throw new UsageError(`--decryption-secret: no Secret ${namespace}/${name}`);
  const r = await decryptionKeysFromSecretData(secret.data as Record<string, string> | undefined);
  if (r.kind === 'error') throw new UsageError(`Secret ${namespace}/${name}: ${r.error.message}`);
  return r.keys;
}

/** sops' default age keys file: $XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt. */
function defaultAgeKeysFile(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'sops', 'age', 'keys.txt');
}

/** Keys found the way sops finds them: --key files, then SOPS_AGE_KEY_FILE, SOPS_AGE_KEY and the default file. */
async function operatorKeys(keyFiles: readonly string[]): Promise<DecryptionKeys> {
  const sets: DecryptionKeys[] = [];
  for (const f of keyFiles) sets.push(await keysFromFile(f));
  const envFile = process.env.SOPS_AGE_KEY_FILE;
  if (envFile !== undefined && envFile !== '') sets.push(await keysFromFile(envFile));
  const envKey = process.env.SOPS_AGE_KEY;
  if (envKey !== undefined && envKey !== '')
    sets.push(await unwrap(parseAgeKeys('SOPS_AGE_KEY', envKey)));
  const fallback = defaultAgeKeysFile();
  if (existsSync(fallback)) sets.push(await keysFromFile(fallback));
  return mergeKeys(...sets);
}

function formatFor(file: string, forced: SopsFormat | undefined): SopsFormat {
  const f = forced ?? formatOf(file);
  if (f === undefined)
    throw new UsageError(`${file}: cannot tell the format; pass --input-type yaml|json|dotenv`);
  return f;
}

interface EncryptFlags {
  age: string[];
  pgp: string[];
  encryptedRegex?: string;
  unencryptedRegex?: string;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
  macOnlyEncrypted: boolean;
  inputType?: SopsFormat;
  inPlace: boolean;
}

function rulesFrom(f: EncryptFlags, format: SopsFormat): EncryptionRules {
  const given = {
    encryptedRegex: f.encryptedRegex,
    unencryptedRegex: f.unencryptedRegex,
    encryptedSuffix: f.encryptedSuffix,
    unencryptedSuffix: f.unencryptedSuffix,
  };
  const set = Object.entries(given).filter(([, v]) => v !== undefined);
  if (set.length > 1)
    throw new UsageError('give at most one of the --*-regex and --*-suffix options');
  if (set.length === 1) return { ...given, macOnlyEncrypted: f.macOnlyEncrypted };
  // A manifest keeps only Secret data and stringData secret; a dotenv file is all values.
  const base = format === 'dotenv' ? { macOnlyEncrypted: false } : defaultEncryptOptions().rules;
  return { ...base, macOnlyEncrypted: f.macOnlyEncrypted };
}

async function encryptCommand(file: string, f: EncryptFlags): Promise<void> {
  const format = formatFor(file, f.inputType);
  const pgp = await Promise.all(f.pgp.map((p) => readFile(p, 'utf8')));
  const text = await readFile(file, 'utf8');
  const r = await encryptSops(
    { path: file, text, format },
    { age: f.age, pgp },
    { rules: rulesFrom(f, format) },
  );
  if (r.kind === 'error') throw r.error;
  if (f.inPlace) await writeFile(file, r.text);
  else out(r.text);
}

async function decryptCommand(
  file: string,
  f: { key: string[]; inputType?: SopsFormat },
): Promise<void> {
  const format = formatFor(file, f.inputType);
  const keys = await operatorKeys(f.key);
  const r = await decryptSops({ path: file, text: await readFile(file, 'utf8'), format }, keys);
  if (r.kind === 'error') throw r.error;
  out(r.text);
}

interface KeygenFlags extends KubeFlags {
  out?: string;
  secret?: ObjectRef;
}

async function keygenCommand(f: KeygenFlags): Promise<void> {
  const { generateX25519Identity, identityToRecipient } = await loadAge();
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const file = `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`;
  if (f.out !== undefined) {
    // 'wx' refuses to replace an existing key file; 0600 keeps it the owner's.
    await writeFile(f.out, file, { mode: 0o600, flag: 'wx' });
    note(`wrote the identity to ${f.out}`);
  }
  if (f.secret !== undefined) await createKeySecret(f, f.secret, file);
  if (f.out === undefined && f.secret === undefined) {
    // Like age-keygen: the identity is the output, the recipient goes to stderr as well.
    out(file);
    note(`Public key: ${recipient}`);
    return;
  }
  out(`${recipient}\n`);
}

async function createKeySecret(f: KeygenFlags, ref: ObjectRef, file: string): Promise<void> {
  const { namespace, name } = ref;
  await withCluster(f, async (cluster) => {
    const existing = await cluster.get({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
    });
    if (existing !== undefined)
      throw new UsageError(`Secret ${namespace}/${name} exists already; not replacing its key`);
    await cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
      type: 'Opaque',
      data: { 'age.agekey': Buffer.from(file, 'utf8').toString('base64') },
    });
    note(`created Secret ${namespace}/${name} with the entry age.agekey`);
  });
}

const inputType = (): Option =>
  new Option('--input-type <format>', 'format of FILE when its name does not say').choices([
    'yaml',
    'json',
    'dotenv',
  ]);

export function registerSecrets(program: Command): void {
  const secrets = program
    .command('secrets')
    .description('SOPS-encrypted files and age keys; SealedSecrets and their sealing keys');
  secrets
    .command('encrypt')
    .description(
      'encrypt FILE as sops does (by default only Secret data and stringData) and print it',
    )
    .argument('<file>', 'a YAML, JSON or dotenv file')
    .option('--age <recipient>', 'age recipient, age1… (repeatable)', collect, [])
    .option('--pgp <file>', 'armored OpenPGP public key file (repeatable)', collect, [])
    .option('--encrypted-regex <re>', 'encrypt only values under keys matching this')
    .option('--unencrypted-regex <re>', 'leave values under keys matching this in clear')
    .option('--encrypted-suffix <s>', 'encrypt only values under keys ending with this')
    .option('--unencrypted-suffix <s>', 'leave values under keys ending with this in clear')
    .option('--mac-only-encrypted', 'compute the MAC over encrypted values only', false)
    .option('-i, --in-place', 'replace FILE instead of printing', false)
    .addOption(inputType())
    .action((file: string, f: EncryptFlags) => encryptCommand(file, f));
  secrets
    .command('decrypt')
    .description('decrypt FILE on this machine and print the plaintext (the MAC is always checked)')
    .argument('<file>', 'a SOPS-encrypted YAML, JSON or dotenv file')
    .option(
      '--key <file>',
      'age keys file or .asc PGP private key (repeatable); then SOPS_AGE_KEY_FILE, SOPS_AGE_KEY and ~/.config/sops/age/keys.txt',
      collect,
      [],
    )
    .addOption(inputType())
    .action((file: string, f: { key: string[]; inputType?: SopsFormat }) =>
      decryptCommand(file, f),
    );
  const keygen = secrets
    .command('keygen')
    .description('make an age identity and print its recipient; optionally store it in a Secret')
    .option('--out <file>', 'write the identity here (mode 0600; never overwrites)')
    .option(
      '--secret <namespace/name>',
      'create this Secret with the identity as age.agekey, for spec.decryption.secretRef',
      parseObjectRef,
    );
  kubeOptions(keygen, 'with --secret').action((f: KeygenFlags) => keygenCommand(f));
  registerSealed(secrets);
}
