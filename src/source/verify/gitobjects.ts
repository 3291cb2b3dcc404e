import { describeFailure, type RunResult } from '../../exec/run.js';
import { git } from '../git.js';

/** Verification could not run (git failed, an object is missing); says nothing about trust. */
export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  constructor(
    /** The repository (git dir) and revision involved. */
    readonly subject: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${detail}`, options);
  }
}

/** Limits of the git calls made while verifying. */
export interface GitReadOptions {
  /** Timeout of each git call. */
  timeoutMs: number;
  /** Stop reading `cat-file --batch` after this many bytes (commit objects are small). */
  maxBatchBytes: number;
}

export function defaultGitReadOptions(): GitReadOptions {
  return { timeoutMs: 60_000, maxBatchBytes: 256 * 1024 * 1024 };
}

async function gitOut(
  gitDir: string,
  args: string[],
  opts: GitReadOptions,
  stdin?: string,
): Promise<RunResult> {
  return git(['--git-dir', gitDir, ...args], undefined, {
    timeoutMs: opts.timeoutMs,
    maxStdoutBytes: opts.maxBatchBytes,
    ...(stdin === undefined ? {} : { stdin }),
  });
}

function okOrThrow(r: RunResult, subject: string, what: string): Buffer {
  if (r.kind === 'ok') return r.stdout;
  throw new VerificationError(subject, `git ${what}: ${describeFailure(r)}`);
}

/** A raw object as `git cat-file` prints it. */
export interface RawObject {
  type: string;
  raw: Buffer;
}

/** Reads many objects with one `git cat-file --batch`: one process for a 1000-commit walk. */
export async function readObjects(
  gitDir: string,
  names: readonly string[],
  opts: GitReadOptions,
): Promise<Map<string, RawObject>> {
  const out = new Map<string, RawObject>();
  if (names.length === 0) return out;
  const r = await gitOut(gitDir, ['cat-file', '--batch'], opts, names.join('\n') + '\n');
  const buf = okOrThrow(r, gitDir, 'cat-file --batch');
  let at = 0;
  for (const name of names) {
    const nl = buf.indexOf(0x0a, at);
    const header = buf.subarray(at, nl).toString('utf8');
    const [, type, size] = header.split(' ');
    if (nl === -1 || type === undefined || size === undefined)
      throw new VerificationError(
        `${gitDir} ${name}`,
        `object is not in the repository (${header})`,
      );
    const len = Number(size);
    out.set(name, { type, raw: buf.subarray(nl + 1, nl + 1 + len) });
    at = nl + 1 + len + 1;
  }
  return out;
}

/** Commits reachable from `target` and not from `since`, merges included, newest first. */
export async function commitsBetween(
  gitDir: string,
  since: string,
  target: string,
  opts: GitReadOptions,
): Promise<string[]> {
  const r = await gitOut(gitDir, ['rev-list', `${since}..${target}`, '--'], opts);
  return okOrThrow(r, `${gitDir} ${since}..${target}`, 'rev-list')
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
}

/** The object `refs/tags/<name>` names (a tag object or, for a lightweight tag, a commit). */
export async function tagRef(
  gitDir: string,
  name: string,
  opts: GitReadOptions,
): Promise<string | undefined> {
  const r = await gitOut(gitDir, ['rev-parse', '--verify', '--quiet', `refs/tags/${name}`], opts);
  return r.kind === 'ok' ? r.stdout.toString('utf8').trim() : undefined;
}

/** `git merge-base --is-ancestor`: exit 0 yes, 1 no, anything else is an error. */
export async function isAncestor(
  gitDir: string,
  ancestor: string,
  descendant: string,
  opts: GitReadOptions,
): Promise<boolean> {
  const r = await gitOut(gitDir, ['merge-base', '--is-ancestor', ancestor, descendant], opts);
  if (r.kind === 'ok') return true;
  if (r.kind === 'exit' && r.code === 1) return false;
  throw new VerificationError(
    `${gitDir} ${ancestor}..${descendant}`,
    `git merge-base: ${describeFailure(r)}`,
  );
}

/** Whether a commit object is present in the repository. */
export async function hasCommit(
  gitDir: string,
  sha: string,
  opts: GitReadOptions,
): Promise<boolean> {
  const r = await gitOut(gitDir, ['cat-file', '-e', `${sha}^{commit}`], opts);
  return r.kind === 'ok';
}
