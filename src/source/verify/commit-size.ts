/**
 * The small-commit rule, pure: given what each commit changed (a merge against its first
 * parent), which commits are larger than the policy allows. The controller and
 * `ballast lint-commits` both judge with `judgeCommitSizes`.
 */

/** One commit and the files it changed: against its first parent, or the empty tree for a root. */
export interface CommitChanges {
  sha: string;
  /** `Name <email>`, as git records the author. */
  author: string;
  /** How many parents it has: 2 or more is a merge. */
  parents: number;
  /** Repository-relative paths, each once. */
  files: readonly string[];
}

export interface CommitLimits {
  /** Most files one commit may change inside `path`; unset: no limit. */
  maxFilesChanged?: number;
  /** Most of `appPaths` one commit may touch; unset: no limit. */
  maxApplicationsTouched?: number;
}

export interface CommitSizeRequest {
  limits: CommitLimits;
  /** The Application's own path in the repository (`.` for the root). */
  path: string;
  /**
   * The paths of every Application following the repository, this one included; each distinct
   * path counts once.
   */
  appPaths: readonly string[];
}

/** A commit over a limit, with both counts, for messages, Events and the ledger. */
export interface LargeCommit {
  sha: string;
  author: string;
  filesChanged: number;
  applicationsTouched: number;
  /** Which limits it broke. */
  over: readonly ('files' | 'applications')[];
}

export type CommitSizeVerdict =
  | { kind: 'within'; checked: number }
  | { kind: 'over'; checked: number; commits: readonly LargeCommit[] };

/** `./apps/web/` → `apps/web`; `.`, `./` and `` → `` (the whole repository). */
export function normalizeRepoPath(path: string): string {
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  return segments.join('/');
}

/** Is `file` inside the directory `dir` (normalized; `` is the whole repository)? */
function isUnder(file: string, dir: string): boolean {
  return dir === '' || file === dir || file.startsWith(`${dir}/`);
}

/**
 * The distinct app paths that hold `file`: its ancestors looked up in a set, so the cost
 * follows the path's depth, not the number of Applications on the repository.
 */
function holders(file: string, apps: ReadonlySet<string>, into: Set<string>): void {
  if (apps.has('')) into.add('');
  let at = file.indexOf('/');
  while (at !== -1) {
    const dir = file.slice(0, at);
    if (apps.has(dir)) into.add(dir);
    at = file.indexOf('/', at + 1);
  }
  if (apps.has(file)) into.add(file);
}

function countIn(
  commit: CommitChanges,
  own: string,
  apps: ReadonlySet<string>,
): { filesChanged: number; applicationsTouched: number } {
  const files = new Set(commit.files);
  let filesChanged = 0;
  const touched = new Set<string>();
  for (const f of files) {
    if (isUnder(f, own)) filesChanged++;
    holders(f, apps, touched);
  }
  return { filesChanged, applicationsTouched: touched.size };
}

/** The counts of one commit: files changed inside `path`, and distinct app paths touched. */
export function countCommit(
  commit: CommitChanges,
  path: string,
  appPaths: readonly string[],
): { filesChanged: number; applicationsTouched: number } {
  return countIn(commit, normalizeRepoPath(path), new Set(appPaths.map(normalizeRepoPath)));
}

/** Which of `commits` break `limits`; none judged when no limit is set. */
export function judgeCommitSizes(
  commits: readonly CommitChanges[],
  req: CommitSizeRequest,
): CommitSizeVerdict {
  const { maxFilesChanged, maxApplicationsTouched } = req.limits;
  const own = normalizeRepoPath(req.path);
  const apps = new Set([own, ...req.appPaths.map(normalizeRepoPath)]);
  const over: LargeCommit[] = [];
  for (const c of commits) {
    const counts = countIn(c, own, apps);
    const broke: ('files' | 'applications')[] = [];
    if (maxFilesChanged !== undefined && counts.filesChanged > maxFilesChanged) broke.push('files');
    if (maxApplicationsTouched !== undefined && counts.applicationsTouched > maxApplicationsTouched)
      broke.push('applications');
    if (broke.length > 0) over.push({ sha: c.sha, author: c.author, ...counts, over: broke });
  }
  return over.length === 0
    ? { kind: 'within', checked: commits.length }
    : { kind: 'over', checked: commits.length, commits: over };
}

/** `commit 1a2b3c4d5e6f by Alice <a@example.com>: 50 files changed (limit 10), 1 application touched` */
export function describeLargeCommit(c: LargeCommit, limits: CommitLimits): string {
  const lim = (n: number | undefined, broke: boolean): string =>
    broke && n !== undefined ? ` (limit ${n})` : '';
  const files = `${c.filesChanged} file${c.filesChanged === 1 ? '' : 's'} changed${lim(limits.maxFilesChanged, c.over.includes('files'))}`;
  const apps = `${c.applicationsTouched} application${c.applicationsTouched === 1 ? '' : 's'} touched${lim(limits.maxApplicationsTouched, c.over.includes('applications'))}`;
  return `commit ${c.sha.slice(0, 12)} by ${c.author || '(unknown)'}: ${files}, ${apps}`;
}

/** One line for a condition, Event or refusal: the first offender in full, then a count. */
export function largeCommitSummary(
  v: Extract<CommitSizeVerdict, { kind: 'over' }>,
  limits: CommitLimits,
): string {
  const [first, ...rest] = v.commits;
  if (first === undefined) return 'no commit over the limits';
  const more = rest.length === 0 ? '' : `; and ${rest.length} more of ${v.checked} checked`;
  return `${describeLargeCommit(first, limits)}${more}`;
}
