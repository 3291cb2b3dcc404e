import {
  commitsBetween,
  defaultGitReadOptions,
  readObjects,
  tagRef,
  VerificationError,
  type GitReadOptions,
  type RawObject,
} from './gitobjects.js';
import { parseCommit, parseTag, type SignedObject } from './object.js';
import { OpenPgpVerifier } from './openpgp.js';
import { SshVerifier } from './ssh.js';
import type {
  RefusalReason,
  SignatureCheck,
  SignatureFormat,
  SignatureVerifier,
  TrustedKeys,
} from './types.js';

/**
 * `none`: nothing is checked. `head`: the target commit (or the annotated tag naming it) must be
 * signed by a trusted key. `all`: every commit after the last applied revision, merges
 * included, must be.
 */
export type VerificationMode = 'none' | 'head' | 'all';

export interface VerificationRequest {
  mode: VerificationMode;
  /** The commit about to be applied (full SHA). */
  target: string;
  /** The ref as asked for. When it names an annotated, signed tag, that signature counts too. */
  ref?: string;
  /** The last applied revision. In `all` mode without it (first sync), only the target is checked. */
  since?: string;
  keys: TrustedKeys;
}

export interface VerifyOptions extends GitReadOptions {
  /** The verification time: keys must be valid (not expired, not revoked) at it. */
  now: () => Date;
}

export function defaultVerifyOptions(): VerifyOptions {
  return { ...defaultGitReadOptions(), now: () => new Date() };
}

/** A commit (or tag) whose signature was accepted. */
export interface TrustedObject {
  sha: string;
  author: string;
  format: SignatureFormat;
  signer: string;
  fingerprint: string;
  signingSubkey?: string;
}

/** A commit (or tag) that was not accepted, and why. */
export interface RefusedObject {
  sha: string;
  /** `commit` or `tag`. */
  object: string;
  author: string;
  reason: RefusalReason;
  detail: string;
}

export type VerificationResult =
  | { kind: 'skipped'; mode: 'none'; target: string }
  | {
      kind: 'trusted';
      mode: 'head' | 'all';
      target: string;
      /** What vouched for the target: its own signature, or the signed tag naming it. */
      via: 'commit' | 'tag';
      signer: string;
      fingerprint: string;
      format: SignatureFormat;
      /** `since`: the range since the last applied revision; `head-only`: the target alone. */
      range: 'since' | 'head-only';
      /** Every commit checked, newest first; empty when a signed tag vouched alone. */
      commits: TrustedObject[];
      tag?: TrustedObject;
    }
  | {
      kind: 'refused';
      mode: 'head' | 'all';
      target: string;
      /** How many commits were checked, refused or not. */
      checked: number;
      refused: RefusedObject[];
    };

function verifiersFor(keys: TrustedKeys): SignatureVerifier[] {
  return [new OpenPgpVerifier(keys.openpgp), new SshVerifier(keys.ssh)];
}

type Verdict =
  { kind: 'trusted'; value: TrustedObject } | { kind: 'refused'; value: RefusedObject };

async function judge(
  sha: string,
  object: 'commit' | 'tag',
  parsed: SignedObject,
  verifiers: readonly SignatureVerifier[],
  at: Date,
): Promise<Verdict> {
  const refuse = (reason: RefusalReason, detail: string): Verdict => ({
    kind: 'refused',
    value: { sha, object, author: parsed.author, reason, detail },
  });
  if (parsed.signature === undefined) return refuse('unsigned', `the ${object} is not signed`);
  const signature = parsed.signature;
  const v = verifiers.find((x) => x.accepts(signature));
  if (v === undefined) return refuse('unsupported', 'the signature is neither OpenPGP nor SSH');
  const check: SignatureCheck = await v.verify(parsed.payload, signature, at);
  if (check.kind === 'refused') return refuse(check.reason, check.detail);
  const value: TrustedObject = {
    sha,
    author: parsed.author,
    format: check.format,
    signer: check.signer,
    fingerprint: check.fingerprint,
    ...(check.signingSubkey === undefined ? {} : { signingSubkey: check.signingSubkey }),
  };
  return { kind: 'trusted', value };
}

function parsedOrThrow(gitDir: string, sha: string, obj: RawObject | undefined): SignedObject {
  if (obj === undefined) throw new VerificationError(`${gitDir} ${sha}`, 'object was not read');
  const p = obj.type === 'tag' ? parseTag(obj.raw) : parseCommit(obj.raw);
  if (p.kind === 'malformed') throw new VerificationError(`${gitDir} ${sha}`, p.problem);
  return p.value;
}

/** The signed annotated tag behind `ref`, when there is one; undefined for branches, SHAs, lightweight tags. */
async function tagVerdict(
  gitDir: string,
  req: VerificationRequest,
  verifiers: readonly SignatureVerifier[],
  at: Date,
  opts: GitReadOptions,
): Promise<Verdict | undefined> {
  if (req.ref === undefined) return undefined;
  const name = await tagRef(gitDir, req.ref, opts);
  if (name === undefined) return undefined;
  const obj = (await readObjects(gitDir, [name], opts)).get(name);
  if (obj?.type !== 'tag') return undefined;
  const tag = parsedOrThrow(gitDir, name, obj);
  if (tag.signature === undefined) return undefined;
  if (tag.links[0] !== req.target)
    return {
      kind: 'refused',
      value: {
        sha: name,
        object: 'tag',
        author: tag.author,
        reason: 'tag-mismatch',
        detail: `tag ${req.ref} names ${tag.links[0] ?? '?'}, not the target ${req.target}`,
      },
    };
  return judge(name, 'tag', tag, verifiers, at);
}

/**
 * Checks the signatures a policy asks for on a commit in a local repository (a bare mirror or a
 * clone's git dir). Refusals are values; only a failure to read the repository throws
 * (VerificationError).
 */
export async function verifyRevision(
  gitDir: string,
  req: VerificationRequest,
  partial: Partial<VerifyOptions> = {},
): Promise<VerificationResult> {
  const opts = { ...defaultVerifyOptions(), ...partial };
  if (req.mode === 'none') return { kind: 'skipped', mode: 'none', target: req.target };
  const mode = req.mode;
  const at = opts.now();
  const verifiers = verifiersFor(req.keys);
  const tag = await tagVerdict(gitDir, req, verifiers, at, opts);
  const range = mode === 'all' && req.since !== undefined ? 'since' : 'head-only';
  const shas =
    range === 'since' && req.since !== undefined
      ? [req.target, ...(await commitsBetween(gitDir, req.since, req.target, opts))]
      : [req.target];
  const unique = [...new Set(shas)];
  // In head mode a trusted signed tag vouches for the commit it names, as `git verify-tag` does.
  if (mode === 'head' && tag?.kind === 'trusted')
    return {
      kind: 'trusted',
      mode,
      target: req.target,
      via: 'tag',
      range,
      commits: [],
      tag: tag.value,
      ...signerOf(tag.value),
    };
  const objects = await readObjects(gitDir, unique, opts);
  const verdicts: Verdict[] = [];
  for (const sha of unique) {
    const obj = objects.get(sha);
    if (obj !== undefined && obj.type !== 'commit')
      throw new VerificationError(`${gitDir} ${sha}`, `is a ${obj.type}, not a commit`);
    verdicts.push(await judge(sha, 'commit', parsedOrThrow(gitDir, sha, obj), verifiers, at));
  }
  const refused = verdicts.filter((v) => v.kind === 'refused').map((v) => v.value);
  const head = verdicts[0];
  if (refused.length > 0 || head?.kind !== 'trusted') {
    const tagRefusal = tag?.kind === 'refused' ? [tag.value] : [];
    return {
      kind: 'refused',
      mode,
      target: req.target,
      checked: unique.length,
      refused: [...tagRefusal, ...refused],
    };
  }
  const commits = verdicts.flatMap((v) => (v.kind === 'trusted' ? [v.value] : []));
  return {
    kind: 'trusted',
    mode,
    target: req.target,
    via: 'commit',
    range,
    commits,
    ...(tag?.kind === 'trusted' ? { tag: tag.value } : {}),
    ...signerOf(head.value),
  };
}

function signerOf(t: TrustedObject): {
  signer: string;
  fingerprint: string;
  format: SignatureFormat;
} {
  return { signer: t.signer, fingerprint: t.fingerprint, format: t.format };
}

const reasonText: Record<RefusalReason, string> = {
  unsigned: 'not signed',
  'untrusted-key': 'signed by an untrusted key',
  'bad-signature': 'signature does not verify (content changed after signing?)',
  'expired-key': 'signed by an expired key',
  'revoked-key': 'signed by a revoked key',
  'wrong-namespace': 'signature is not for git',
  'not-yet-valid-key': 'signed by a key not yet valid',
  malformed: 'signature is malformed',
  unsupported: 'signature kind is not supported',
  'tag-mismatch': 'tag does not name the target',
};

/** `commit 1a2b3c4d5e6f by Alice <a@example.com>: signed by an untrusted key (…)` */
export function describeRefusal(r: RefusedObject): string {
  return `${r.object} ${r.sha.slice(0, 12)} by ${r.author || '(unknown)'}: ${reasonText[r.reason]} (${r.detail})`;
}

/**
 * One line for a condition message or Event: the first refusal in full, then a count. The
 * controller uses reason `VerificationFailed` with it.
 */
export function refusalSummary(r: Extract<VerificationResult, { kind: 'refused' }>): string {
  const [first, ...rest] = r.refused;
  if (first === undefined) return `commit ${r.target.slice(0, 12)}: refused`;
  return rest.length === 0
    ? describeRefusal(first)
    : `${describeRefusal(first)}; and ${rest.length} more of ${r.checked} checked`;
}
