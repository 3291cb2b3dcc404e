import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  git,
  GitError,
  openSession,
  refuseRemote,
  type GitRemote,
  type GitSession,
} from './git.js';
import { withRepoLimits } from './fetch-limit.js';
import { extractTree } from './tree.js';
import { MirrorNames } from './identity.js';
import { withLock } from './lock.js';
import { pickRef, type RefEntry, type RefResolution } from './refs.js';
import { checkDescends, type Descent } from './verify/descends.js';
import { commitChanges } from './verify/commit-changes.js';
import type { CommitChanges } from './verify/commit-size.js';
import {
  verifyRevision,
  type VerificationRequest,
  type VerificationResult,
} from './verify/policy.js';

export interface SourceOptions {
  /** Where bare mirrors and materialized trees are cached. */
  cacheDir: string;
  /** Timeout of each git call. */
  gitTimeoutMs: number;
  /** A commit whose tree holds more bytes than this is refused. */
  maxTreeBytes: number;
  /** A commit holding any file larger than this is refused. */
  maxFileBytes: number;
  /** How long to wait for another process holding a mirror's lock. */
  lockTimeoutMs: number;
  /**
   * Accept `file://` repositories. They read this process's own disk, where the mirror cache
   * of every other repository lives, so only the CLI and a controller started with
   * `--allow-file-repos` (every Application trusted) set this.
   */
  allowFileRepos: boolean;
  /** Where an SSH private key is kept while git runs; must be a tmpfs. */
  keyDir: string;
  /** A mirror whose objects would pass this many bytes is refused, its fetch killed. */
  maxRepoBytes: number;
  /** A mirror that would hold more objects than this is refused, its fetch killed. */
  maxRepoObjects: number;
  /** How often a running fetch is measured against those limits. */
  pollMs: number;
}

export function defaultSourceOptions(cacheDir: string): SourceOptions {
  return {
    cacheDir,
    gitTimeoutMs: 120_000,
    maxTreeBytes: 256 * 1024 * 1024,
    maxFileBytes: 16 * 1024 * 1024,
    lockTimeoutMs: 300_000,
    allowFileRepos: false,
    keyDir: '/dev/shm',
    maxRepoBytes: 1024 * 1024 * 1024,
    maxRepoObjects: 1_000_000,
    pollMs: 50,
  };
}

/** A materialized, read-only tree of one commit. */
export interface SourceTree {
  url: string;
  /** The ref as asked for: branch, tag, semver range or SHA. */
  ref: string;
  sha: string;
  /** Directory holding the commit's files; never written after materializing. */
  dir: string;
}

/**
 * A commit found in the mirror of one remote and its credentials: what may be extracted. Only
 * GitSource makes these, so a tree is served only to a caller whose own fetch holds the commit.
 */
export interface PinnedCommit {
  readonly url: string;
  readonly sha: string;
  /** The mirror holding the commit, of that URL and those credentials. */
  readonly mirror: string;
}

const shaPattern = /^[0-9a-f]{40}$/;

/** One fetch of a mirror, and the branches and tags it left there. */
interface SharedFetch {
  /** performance.now() when it was asked for; the git fetch itself starts after that. */
  requestedAt: number;
  refs: Promise<RefEntry[]>;
}

/** Fetches Git repositories into bare mirrors and materializes commits read-only. */
export class GitSource {
  /** The newest fetch per remote and credentials, for checkouts that may share it. */
  private readonly fetches = new Map<string, SharedFetch>();
  /** Per mirror, the one fetch waiting for the running one to end, shared by all who ask meanwhile. */
  private readonly queued = new Map<string, Promise<RefEntry[]>>();
  /** Mirrors with a fetch running now. */
  private readonly running = new Set<string>();
  /** Trees being extracted now, by destination directory. */
  private readonly extracting = new Map<string, Promise<string>>();
  /** Commits this source pinned; materialize takes no others. */
  private readonly pinned = new WeakSet<PinnedCommit>();
  private readonly names: MirrorNames;

  constructor(readonly opts: SourceOptions) {
    this.names = new MirrorNames(join(opts.cacheDir, 'mirrors'));
  }

  /** The mirror of this URL as fetched with these credentials; never another identity's. */
  private mirrorDir(remote: GitRemote): Promise<string> {
    return this.names.dirFor(remote);
  }

  private async session<T>(remote: GitRemote, fn: (s: GitSession) => Promise<T>): Promise<T> {
    const refused = refuseRemote(remote, this.opts);
    if (refused !== undefined) throw refused;
    const s = await openSession(remote, { keyDir: this.opts.keyDir });
    try {
      return await fn(s);
    } finally {
      await s.dispose();
    }
  }

  private async gitOk(
    verb: string,
    url: string,
    args: string[],
    s: GitSession | undefined,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    const r = await git(args, s, {
      timeoutMs: this.opts.gitTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    if (r.kind === 'ok') return r.stdout;
    const detail =
      r.kind === 'exit'
        ? r.stderr.trim().split('\n').slice(-3).join(' ')
        : r.kind === 'timeout'
          ? `timed out after ${r.afterMs} ms`
          : r.kind === 'spawn'
            ? `git could not be started (${r.message}); install git`
            : r.kind === 'aborted'
              ? r.reason
              : 'too much output';
    throw new GitError(url, verb, detail);
  }

  /** Fetches every branch and tag of the remote into its mirror; returns the mirror dir. */
  async fetch(remote: GitRemote): Promise<string> {
    await this.sharedFetch(remote, performance.now());
    return this.mirrorDir(remote);
  }

  /**
   * The branches and tags after a fetch that began no earlier than `freshAfter`. A fetch asked
   * for at or after that time is shared instead of repeated: it sees every commit pushed
   * before the caller's reconcile was queued, so a thousand Applications on one repository,
   * queued together, cost one fetch. Only callers with the same credentials share, so a
   * caller whose own credentials would be refused never rides on someone else's fetch.
   */
  private async sharedFetch(remote: GitRemote, freshAfter: number): Promise<RefEntry[]> {
    // Checked per caller: an Application that may not use this remote gets no shared result.
    const refused = refuseRemote(remote, this.opts);
    if (refused !== undefined) throw refused;
    const dir = await this.mirrorDir(remote);
    const last = this.fetches.get(dir);
    if (last !== undefined && last.requestedAt >= freshAfter) return last.refs;
    if (!this.running.has(dir)) return this.startFetch(remote, dir);
    // A fetch is running but began too early for this caller. Queue one fetch behind it, and
    // share it with everyone who asks until it starts: it starts after each of them asked. A
    // hanging server then costs each caller at most two timeouts, not one per caller before it.
    const waiting = this.queued.get(dir);
    if (waiting !== undefined) return waiting;
    const next = (last?.refs ?? Promise.resolve([]))
      .catch(() => undefined)
      .then(() => {
        this.queued.delete(dir);
        return this.startFetch(remote, dir);
      });
    this.queued.set(dir, next);
    return next;
  }

  /** Starts a fetch of `dir` now; it is the one later callers may share. */
  private startFetch(remote: GitRemote, dir: string): Promise<RefEntry[]> {
    const next: SharedFetch = { requestedAt: performance.now(), refs: this.fetchNow(remote, dir) };
    this.fetches.set(dir, next);
    this.running.add(dir);
    const settled = (): void => {
      if (this.fetches.get(dir) === next) this.running.delete(dir);
    };
    // A failed fetch is not shared with later callers; they try again.
    next.refs.then(settled, () => {
      settled();
      if (this.fetches.get(dir) === next) this.fetches.delete(dir);
    });
    return next.refs;
  }

  private async fetchNow(remote: GitRemote, dir: string): Promise<RefEntry[]> {
    await mkdir(join(this.opts.cacheDir, 'mirrors'), { recursive: true });
    return withLock(`${dir}.lock`, this.opts.lockTimeoutMs, () =>
      this.session(remote, async (s) => {
        const exists = await stat(join(dir, 'HEAD')).then(
          () => true,
          () => false,
        );
        if (!exists) await this.gitOk('init', remote.url, ['init', '--bare', '--quiet', dir], s);
        const limited = await withRepoLimits(dir, this.opts, (signal) =>
          this.fetchInto(remote.url, dir, s, signal),
        );
        if (limited.kind === 'over-limit')
          throw new GitError(
            remote.url,
            'fetch',
            `${limited.problem}; refused so that one repository cannot fill the controller's disk (SourceOptions maxRepoBytes, maxRepoObjects)`,
          );
        return this.listRefs(remote.url, dir);
      }),
    );
  }

  /** One `git fetch` of every branch and tag, keeping what arrives as a pack to be measured. */
  private fetchInto(url: string, dir: string, s: GitSession, signal: AbortSignal): Promise<Buffer> {
    return this.gitOk(
      'fetch',
      url,
      [
        '-c',
        'fetch.unpackLimit=1',
        '-c',
        'transfer.unpackLimit=1',
        '--git-dir',
        dir,
        'fetch',
        '--quiet',
        '--prune',
        '--prune-tags',
        '--force',
        '--no-write-fetch-head',
        url,
        '+refs/heads/*:refs/heads/*',
        '+refs/tags/*:refs/tags/*',
      ],
      s,
      signal,
    );
  }

  /** Resolves a branch, tag, semver range or SHA to the full SHA of a commit in the mirror. */
  async resolve(
    remote: GitRemote,
    ref: string,
  ): Promise<{ sha: string; resolution: RefResolution }> {
    const dir = await this.mirrorDir(remote);
    const refs = await this.listRefs(remote.url, dir);
    return this.resolveIn(remote.url, dir, refs, ref);
  }

  private async listRefs(url: string, dir: string): Promise<RefEntry[]> {
    const out = await this.gitOk(
      'for-each-ref',
      url,
      [
        '--git-dir',
        dir,
        'for-each-ref',
        '--format=%(refname) %(objectname) %(*objectname)',
        'refs/heads',
        'refs/tags',
      ],
      undefined,
    );
    return out
      .toString('utf8')
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [name = '', obj = '', peeled = ''] = l.split(' ');
        return { name, sha: peeled !== '' ? peeled : obj };
      });
  }

  private async resolveIn(
    url: string,
    mirror: string,
    refs: readonly RefEntry[],
    ref: string,
  ): Promise<{ sha: string; resolution: RefResolution }> {
    const picked = pickRef(ref, refs);
    if (picked.kind === 'none') throw new GitError(url, 'resolve', picked.reason);
    if (picked.kind !== 'sha') return { sha: picked.sha, resolution: picked };
    // A SHA given by the user names nothing yet: it must be a commit the mirror holds.
    const sha = ref.toLowerCase();
    if (!shaPattern.test(sha))
      throw new GitError(url, 'resolve', `"${ref}" is not a full commit SHA`);
    const r = await git(['--git-dir', mirror, 'cat-file', '-e', `${sha}^{commit}`], undefined, {
      timeoutMs: this.opts.gitTimeoutMs,
    });
    if (r.kind !== 'ok')
      throw new GitError(
        url,
        'resolve',
        `commit ${sha} is not in the repository (fetched branches and tags)`,
      );
    return { sha, resolution: picked };
  }

  /**
   * Checks size limits, then extracts the commit's tree into a read-only directory, cached by
   * SHA. Callers asking for a commit being extracted wait for that one extraction: after a
   * push, every Application on the repository asks at once. Trees are shared between
   * identities only because a pin proves the caller's own mirror holds the commit.
   */
  materialize(pin: PinnedCommit): Promise<string> {
    if (!this.pinned.has(pin))
      return Promise.reject(
        new GitError(pin.url, 'checkout', 'only a commit pinned by this source is extracted'),
      );
    const dest = join(this.opts.cacheDir, 'trees', pin.sha);
    const running = this.extracting.get(dest);
    if (running !== undefined) return running;
    const next = extractTree(pin, dest, this.opts).finally(() => {
      this.extracting.delete(dest);
    });
    this.extracting.set(dest, next);
    return next;
  }

  /**
   * Checks commit signatures on a fetched commit in the remote's mirror. The mirror is a full
   * fetch of every branch and tag, so the history back to `request.since` is there to walk.
   */
  async verify(remote: GitRemote, request: VerificationRequest): Promise<VerificationResult> {
    return verifyRevision(await this.mirrorDir(remote), request, {
      timeoutMs: this.opts.gitTimeoutMs,
    });
  }

  /**
   * What each commit since `since` (or the target alone) changed, for the small-commit policy:
   * one `git log` in the remote's mirror.
   */
  async commitChanges(
    remote: GitRemote,
    range: { since?: string; target: string },
  ): Promise<CommitChanges[]> {
    return commitChanges(await this.mirrorDir(remote), range, {
      timeoutMs: this.opts.gitTimeoutMs,
    });
  }

  /** Anti-rollback in the remote's mirror: does `target` descend from `lastApplied`? */
  async checkDescends(remote: GitRemote, lastApplied: string, target: string): Promise<Descent> {
    return checkDescends(await this.mirrorDir(remote), lastApplied, target, {
      timeoutMs: this.opts.gitTimeoutMs,
    });
  }

  /**
   * Fetch and resolve: the commit `ref` names now, in the mirror of this remote and its
   * credentials. `freshAfter` (a performance.now() time, by default now) lets a fetch asked for
   * since then be shared; see sharedFetch. Verify the pin, then materialize it.
   */
  async pin(
    remote: GitRemote,
    ref: string,
    opts: { freshAfter?: number } = {},
  ): Promise<PinnedCommit> {
    const refs = await this.sharedFetch(remote, opts.freshAfter ?? performance.now());
    const mirror = await this.mirrorDir(remote);
    const { sha } = await this.resolveIn(remote.url, mirror, refs, ref);
    const pin: PinnedCommit = { url: remote.url, sha, mirror };
    this.pinned.add(pin);
    return pin;
  }

  /** Pin and materialize in one step, for callers that verify nothing first. */
  async checkout(
    remote: GitRemote,
    ref: string,
    opts: { freshAfter?: number } = {},
  ): Promise<SourceTree> {
    const pin = await this.pin(remote, ref, opts);
    const dir = await this.materialize(pin);
    return { url: remote.url, ref, sha: pin.sha, dir };
  }
}
