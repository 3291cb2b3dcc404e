import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { git, type GitRemote } from '../source/git.js';
import {
  checkDescends,
  describeRefusal,
  trustedKeysFromDir,
  trustedKeysFromSecretData,
  verifyRevision,
  type Descent,
  type TrustedKeys,
  type VerificationResult,
} from '../source/verify/index.js';
import {
  gitCredentialOptions,
  kubeOptions,
  outputOption,
  withCluster,
  type GitCredentialFlags,
  type KubeFlags,
} from './options.js';
import { parseObjectRef, UsageError, type ObjectRef } from './parse.js';
import { authFrom, cliGitSource } from './source-args.js';
import { table } from './table.js';

interface VerifyFlags extends GitCredentialFlags, KubeFlags {
  repo?: string;
  dir?: string;
  ref: string;
  keys?: string;
  keysSecret?: ObjectRef;
  mode: 'head' | 'all';
  since?: string;
  output: 'text' | 'json';
}

const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
};

async function keysFrom(f: VerifyFlags): Promise<TrustedKeys> {
  const ref = f.keysSecret;
  if (f.keys !== undefined && ref === undefined) {
    if (!existsSync(f.keys)) throw new UsageError(`--keys ${f.keys}: no such directory`);
    const r = await trustedKeysFromDir(f.keys);
    if (r.kind === 'error') throw new UsageError(`--keys ${f.keys}: ${r.error.problem}`);
    return r.value;
  }
  if (ref === undefined || f.keys !== undefined)
    throw new UsageError('give exactly one of --keys DIR or --keys-secret NAMESPACE/NAME');
  const { namespace, name } = ref;
  return withCluster(f, async (cluster) => {
    const secret = await cluster.get({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
    });
    if (secret === undefined) throw new UsageError(`--keys-secret: no Secret ${namespace}/${name}`);
    const data = secret.data as Record<string, string> | undefined;
    const r = await trustedKeysFromSecretData(data, `Secret ${namespace}/${name}`);
    if (r.kind === 'error') throw new UsageError(r.error.message);
    return r.value;
  });
}

/** `rev-parse` in a git dir; a revision that does not resolve is a usage error. */
export async function revParse(gitDir: string, rev: string, flag: string): Promise<string> {
  const r = await git(
    ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`],
    undefined,
    {
      timeoutMs: 60_000,
    },
  );
  if (r.kind !== 'ok') throw new UsageError(`${flag} ${rev}: not a commit in the repository`);
  return r.stdout.toString('utf8').trim();
}

/** Where a command reads commits: `--dir` or `--repo`, and `--ref` to resolve in it. */
export interface LocateFlags extends GitCredentialFlags {
  repo?: string;
  dir?: string;
  ref: string;
}

/** The git dir to read commits in and the target commit: a local clone, or the fetched mirror. */
export async function locate(
  f: LocateFlags,
): Promise<{ gitDir: string; target: string; describe: string }> {
  if ((f.dir === undefined) === (f.repo === undefined))
    throw new UsageError('give exactly one of --dir PATH or --repo URL');
  if (f.dir !== undefined) {
    const r = await git(['-C', resolve(f.dir), 'rev-parse', '--absolute-git-dir'], undefined, {
      timeoutMs: 60_000,
    });
    if (r.kind !== 'ok') throw new UsageError(`--dir ${f.dir}: not a git repository`);
    const gitDir = r.stdout.toString('utf8').trim();
    return { gitDir, target: await revParse(gitDir, f.ref, '--ref'), describe: resolve(f.dir) };
  }
  const remote: GitRemote = {
    url: f.repo ?? '',
    auth: await authFrom(f),
    ...(f.caFile === undefined ? {} : { caBundle: await readFile(f.caFile, 'utf8') }),
    insecureAllowHttpCredentials: f.insecureAllowHttpCredentials === true,
  };
  const src = cliGitSource();
  const gitDir = await src.fetch(remote);
  const { sha } = await src.resolve(remote, f.ref);
  return { gitDir, target: sha, describe: remote.url };
}

type Outcome =
  | { kind: 'verification'; result: VerificationResult }
  | { kind: 'non-fast-forward'; descent: Extract<Descent, { kind: 'not-descendant' }> };

function printText(o: Outcome, ref: string): void {
  if (o.kind === 'non-fast-forward') {
    out(`REFUSED (NonFastForward): ${o.descent.message}`);
    return;
  }
  const r = o.result;
  const short = r.target.slice(0, 12);
  if (r.kind === 'skipped') {
    out(`SKIPPED ${short} (${ref}): mode none`);
  } else if (r.kind === 'trusted') {
    const range = r.mode === 'all' && r.range === 'head-only' ? ' (no --since: target only)' : '';
    out(
      `TRUSTED ${short} (${ref}): mode ${r.mode}${range}, signed by ${r.signer} (${r.fingerprint}) via ${r.via}`,
    );
    const rows = [...(r.tag === undefined ? [] : [r.tag]), ...r.commits].map((c) => [
      c.sha.slice(0, 12),
      c.author,
      c.signer,
      c.fingerprint,
    ]);
    out(table(['OBJECT', 'AUTHOR', 'SIGNER', 'KEY'], rows));
  } else {
    out(
      `REFUSED (VerificationFailed) ${short} (${ref}): mode ${r.mode}, ${r.refused.length} of ${r.checked} refused`,
    );
    for (const x of r.refused) out(`  ${describeRefusal(x)}`);
  }
}

async function runVerify(f: VerifyFlags): Promise<number> {
  const keys = await keysFrom(f);
  const { gitDir, target } = await locate(f);
  const since = f.since === undefined ? undefined : await revParse(gitDir, f.since, '--since');
  let outcome: Outcome | undefined;
  if (since !== undefined) {
    const descent = await checkDescends(gitDir, since, target);
    if (descent.kind === 'not-descendant') outcome = { kind: 'non-fast-forward', descent };
  }
  outcome ??= {
    kind: 'verification',
    result: await verifyRevision(gitDir, {
      mode: f.mode,
      target,
      ref: f.ref,
      keys,
      ...(since === undefined ? {} : { since }),
    }),
  };
  if (f.output === 'json')
    out(JSON.stringify(outcome.kind === 'verification' ? outcome.result : outcome, null, 2));
  else printText(outcome, f.ref);
  const trusted = outcome.kind === 'verification' && outcome.result.kind !== 'refused';
  return trusted ? 0 : 1;
}

/** `ballast verify-commit`: exit 0 trusted, 1 refused, 2 error (usage errors included). */
export function registerVerify(program: Command): void {
  const cmd = program
    .command('verify-commit')
    .description(
      'check commit signatures as the controller does; exits 0 trusted, 1 refused, 2 error',
    )
    .option('--repo <url>', 'a Git repository (https://, ssh://, file://)')
    .option('--dir <path>', 'a local clone')
    .requiredOption('--ref <ref>', 'branch, tag or commit to verify')
    .option(
      '--keys <dir>',
      'directory of trusted keys: *.asc (OpenPGP), *.pub or allowed_signers (SSH)',
    )
    .option(
      '--keys-secret <ns/name>',
      'Secret holding the trusted keys, same entries as --keys',
      parseObjectRef,
    )
    .addOption(
      new Option('--mode <mode>', 'head: the target only; all: every commit since --since')
        .choices(['head', 'all'])
        .default('head'),
    )
    .option('--since <sha>', 'the last applied revision: the target must descend from it');
  gitCredentialOptions(cmd);
  kubeOptions(cmd, 'for --keys-secret');
  // Exit 1 means "refused"; main exits 2 on usage errors and failures, so neither looks like one.
  outputOption(cmd, ['text', 'json']).action(async (f: VerifyFlags) => {
    process.exitCode = await runVerify(f);
  });
}
