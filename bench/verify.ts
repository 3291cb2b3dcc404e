import { createHash, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { run, runOrThrow } from '../src/exec/run.js';
import { parseAllowedSigners } from '../src/source/verify/allowed-signers.js';
import { parseCommit } from '../src/source/verify/object.js';
import { OpenPgpVerifier } from '../src/source/verify/openpgp.js';
import { verifyRevision } from '../src/source/verify/policy.js';
import { signedData, SshVerifier } from '../src/source/verify/ssh.js';
import { wireString } from '../src/source/verify/sshwire.js';
import type { SignatureVerifier, TrustedKeys } from '../src/source/verify/types.js';
import { benchCommitPolicy } from './verify-commit-policy.js';

const perCommitRuns = Number(process.env.BALLAST_BENCH_VERIFY_RUNS ?? '300');
const walkLength = Number(process.env.BALLAST_BENCH_VERIFY_COMMITS ?? '1000');

type Sign = (payload: Buffer) => Promise<string>;

export interface BenchSigner {
  name: string;
  sign: Sign;
  keys: TrustedKeys;
  verifier: SignatureVerifier;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const ms = (n: number): string => `${n.toFixed(2)} ms`;

function armor(label: string, body: Buffer): string {
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

/** The SSH public key blob of a node key, as `ssh-keygen` writes it. */
function sshBlob(key: KeyObject, type: string): Buffer {
  const jwk = key.export({ format: 'jwk' });
  const b = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');
  const mpint = (x: Buffer): Buffer =>
    (x[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.alloc(1), x]) : x;
  if (type === 'ssh-ed25519') return Buffer.concat([wireString(type), wireString(b(jwk.x))]);
  if (type === 'ssh-rsa')
    return Buffer.concat([
      wireString(type),
      wireString(mpint(b(jwk.e))),
      wireString(mpint(b(jwk.n))),
    ]);
  const q = Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]);
  return Buffer.concat([wireString(type), wireString('nistp256'), wireString(q)]);
}

/** An in-process `ssh-keygen -Y sign -n git` (what git runs for gpg.format=ssh). */
export function sshSigner(type: 'ssh-ed25519' | 'ecdsa-sha2-nistp256' | 'ssh-rsa'): BenchSigner {
  const pair =
    type === 'ssh-ed25519'
      ? generateKeyPairSync('ed25519')
      : type === 'ssh-rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 3072 })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const blob = sshBlob(pair.publicKey, type);
  const fields = { namespace: 'git', reserved: Buffer.alloc(0), hashAlgorithm: 'sha512' };
  const sigType = type === 'ssh-rsa' ? 'rsa-sha2-512' : type;
  const sign: Sign = (payload) => {
    const data = signedData(fields, payload);
    let raw: Buffer;
    if (type === 'ssh-ed25519') raw = cryptoSign(null, data, pair.privateKey);
    else if (type === 'ssh-rsa') raw = cryptoSign('sha512', data, pair.privateKey);
    else {
      const rs = cryptoSign('sha256', data, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' });
      const mp = (x: Buffer): Buffer =>
        wireString((x[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.alloc(1), x]) : x);
      raw = Buffer.concat([mp(rs.subarray(0, 32)), mp(rs.subarray(32))]);
    }
    const body = Buffer.concat([
      Buffer.from('SSHSIG'),
      Buffer.from([0, 0, 0, 1]),
      wireString(blob),
      wireString(fields.namespace),
      wireString(fields.reserved),
      wireString(fields.hashAlgorithm),
      wireString(Buffer.concat([wireString(sigType), wireString(raw)])),
    ]);
    return Promise.resolve(armor('SSH SIGNATURE', body));
  };
  const line = `bench@example.com namespaces="git" ${type} ${blob.toString('base64')}\n`;
  const parsed = parseAllowedSigners(line, 'bench');
  if (parsed.kind !== 'ok') throw new Error(parsed.problem);
  const keys = { openpgp: [], ssh: parsed.value };
  return { name: `SSH ${type}`, sign, keys, verifier: new SshVerifier(keys.ssh) };
}

/** An ed25519 OpenPGP key like `gpg --quick-gen-key … ed25519` makes, signing detached as git asks gpg to. */
async function openpgpSigner(): Promise<BenchSigner> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name: 'Bench', email: 'bench@example.com' }],
    format: 'object',
  });
  const sign: Sign = async (payload) => {
    const message = await openpgp.createMessage({ binary: payload });
    const armored: unknown = await openpgp.sign({
      message,
      signingKeys: privateKey,
      detached: true,
    });
    if (typeof armored !== 'string') throw new Error('bench: openpgp.sign did not armor');
    return armored;
  };
  const keys = { openpgp: [publicKey], ssh: [] };
  return { name: 'OpenPGP ed25519', sign, keys, verifier: new OpenPgpVerifier(keys.openpgp) };
}

/** A commit object with `gpgsig` inserted after the committer line, as git writes it. */
function commitObject(
  tree: string,
  parent: string | undefined,
  i: number,
  signature: string | undefined,
): Buffer {
  const head = [`tree ${tree}`, ...(parent === undefined ? [] : [`parent ${parent}`])];
  const who = `Bench <bench@example.com> ${1_700_000_000 + i} +0000`;
  const people = [`author ${who}`, `committer ${who}`];
  const sig =
    signature === undefined ? [] : [`gpgsig ${signature.trimEnd().split('\n').join('\n ')}`];
  return Buffer.from([...head, ...people, ...sig, '', `change ${i}`, ''].join('\n'));
}

const objectId = (body: Buffer): string =>
  createHash('sha1').update(`commit ${body.length}\0`).update(body).digest('hex');

/**
 * Writes a chain of `n` signed commits into a fresh bare repo; returns it with the first and
 * last SHA. `trees` writes the trees first (into the same repo) and returns one per commit;
 * without it every commit has the empty tree.
 */
export async function signedChain(
  signer: BenchSigner,
  n: number,
  trees?: (git: (args: string[], stdin?: string) => Promise<Buffer>) => Promise<string[]>,
): Promise<{ gitDir: string; first: string; tip: string }> {
  const gitDir = await mkdtemp(join(tmpdir(), 'ballast-bench-verify-'));
  const git = (args: string[], stdin?: string): Promise<Buffer> =>
    runOrThrow('git', 'git', ['--git-dir', gitDir, ...args], {
      timeoutMs: 300_000,
      ...(stdin === undefined ? {} : { stdin }),
    });
  // The caller removes gitDir once it has the chain; until then, a failure here must.
  try {
    await git(['init', '--quiet', '--bare']);
    const empty = (await git(['mktree'], '')).toString().trim();
    const perCommit = trees === undefined ? [] : await trees(git);
    const files: string[] = [];
    const shas: string[] = [];
    let parent: string | undefined;
    for (let i = 0; i < n; i++) {
      const tree = perCommit[i] ?? empty;
      const unsigned = commitObject(tree, parent, i, undefined);
      const body = commitObject(tree, parent, i, await signer.sign(unsigned));
      const file = join(gitDir, `c${i}`);
      await writeFile(file, body);
      files.push(file);
      parent = objectId(body);
      shas.push(parent);
    }
    const written = (
      await git(['hash-object', '-t', 'commit', '-w', '--stdin-paths'], files.join('\n') + '\n')
    )
      .toString()
      .trim()
      .split('\n');
    if (written.at(-1) !== parent) throw new Error('bench: computed commit ids differ from git');
    await run('rm', ['-f', ...files], { timeoutMs: 60_000 });
    return { gitDir, first: shas[0] ?? '', tip: parent ?? '' };
  } catch (e) {
    await rm(gitDir, { recursive: true, force: true });
    throw e;
  }
}

async function perCommit(signer: BenchSigner): Promise<void> {
  const payload = commitObject('4b825dc642cb6eb9a060e54bf8d69288fbee4904', undefined, 0, undefined);
  const body = commitObject(
    '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    undefined,
    0,
    await signer.sign(payload),
  );
  const times: number[] = [];
  for (let i = 0; i < perCommitRuns; i++) {
    const t0 = performance.now();
    const parsed = parseCommit(body);
    if (parsed.kind !== 'ok' || parsed.value.signature === undefined)
      throw new Error('bench: bad commit');
    const r = await signer.verifier.verify(
      parsed.value.payload,
      parsed.value.signature,
      new Date(),
    );
    times.push(performance.now() - t0);
    if (r.kind !== 'trusted') throw new Error(`bench: ${signer.name} refused: ${r.detail}`);
  }
  process.stdout.write(
    `per commit, in process   ${signer.name.padEnd(28)} median ${ms(median(times))} (${perCommitRuns} runs)\n`,
  );
}

async function walk(signer: BenchSigner): Promise<void> {
  const t0 = performance.now();
  const chain = await signedChain(signer, walkLength);
  const built = performance.now() - t0;
  try {
    const head: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await verifyRevision(chain.gitDir, { mode: 'head', target: chain.tip, keys: signer.keys });
      head.push(performance.now() - t);
    }
    const all: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = await verifyRevision(chain.gitDir, {
        mode: 'all',
        target: chain.tip,
        since: chain.first,
        keys: signer.keys,
      });
      all.push(performance.now() - t);
      if (r.kind !== 'trusted' || r.commits.length !== walkLength - 1)
        throw new Error('bench: walk not trusted');
    }
    process.stdout.write(
      `head mode, with git      ${signer.name.padEnd(28)} median ${ms(median(head))} (10 runs)\n`,
    );
    process.stdout.write(
      `all mode, ${walkLength - 1} commits  ${signer.name.padEnd(28)} median ${ms(median(all))} (3 runs; ${ms(median(all) / (walkLength - 1))}/commit; chain built in ${ms(built)})\n`,
    );
  } finally {
    await rm(chain.gitDir, { recursive: true, force: true });
  }
}

/**
 * Signature verification cost: per commit in process (parse + verify, median), head mode
 * end to end (git cat-file included), and an `all`-mode walk over a chain of signed commits
 * (rev-list + one cat-file --batch + verify each).
 */
export async function benchVerify(): Promise<void> {
  const signers = [
    await openpgpSigner(),
    sshSigner('ssh-ed25519'),
    sshSigner('ecdsa-sha2-nistp256'),
    sshSigner('ssh-rsa'),
  ];
  for (const s of signers) await perCommit(s);
  for (const s of [signers[0], signers[1]]) if (s !== undefined) await walk(s);
  await benchCommitPolicy(walkLength);
}
