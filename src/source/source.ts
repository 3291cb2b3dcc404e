import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import { removeTree } from '../fs/remove.js';
import {
  git,
  GitError,
  openSession,
  refuseRemote,
  type GitRemote,
  type GitSession,
} from './git.js';
import { MirrorNames } from './identity.js';
import { withLock } from './lock.js';
import { pickRef, type RefEntry, type RefResolution } from './refs.js';
import { checkDescends, type Descent } from './verify/descends.js';
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
    cwd?: string,
  ): Promise<Buffer> {
    const r = await git(args, s, {
      timeoutMs: this.opts.gitTimeoutMs,
      ...(cwd === undefined ? {} : { cwd }),
    });
    if (r.kind === 'ok') return r.stdout;
    const detail =
      r.kind === 'exit'
        ? r.stderr.trim().split('\n').slice(-3).join(' ')
        : r.kind === 'timeout'
          ? `timed out after ${r.afterMs} ms`
          : r.kind === 'spawn'
            ? `git could not be started (${r.message}); install git`
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
    const next: SharedFetch = { requestedAt: performance.now(), refs: this.fetchNow(remote, dir) };
    this.fetches.set(dir, next);
    // A failed fetch is not shared with later callers; they try again.
    next.refs.catch(() => {
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
        await this.gitOk(
          'fetch',
          remote.url,
          [
            '--git-dir',
            dir,
            'fetch',
            '--quiet',
            '--prune',
            '--prune-tags',
            '--force',
            '--no-write-fetch-head',
            remote.url,
            '+refs/heads/*:refs/heads/*',
            '+refs/tags/*:refs/tags/*',
          ],
          s,
        );
        return this.listRefs(remote.url, dir);
      }),
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
    const next = this.extract(pin, dest).finally(() => {
      this.extracting.delete(dest);
    });
    this.extracting.set(dest, next);
    return next;
  }

  private async extract(pin: PinnedCommit, dest: string): Promise<string> {
    const { mirror, sha, url } = pin;
    if (
      await stat(dest).then(
        () => true,
        () => false,
      )
    )
      return dest;
    await this.checkSizes(url, mirror, sha);
    const archive = await git(['--git-dir', mirror, 'archive', '--format=tar', sha], undefined, {
      timeoutMs: this.opts.gitTimeoutMs,
      maxStdoutBytes: this.opts.maxTreeBytes * 2 + 1024 * 1024,
    });
    if (archive.kind !== 'ok') throw new GitError(url, 'archive', `cannot export ${sha}`);
    // Unique per call: two reconciles of one commit in the same millisecond must not share it.
    const tmp = `${dest}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    await mkdir(tmp, { recursive: true });
    const untar = await run('tar', ['-x', '--no-same-owner', '-C', tmp], {
      stdin: archive.stdout,
      timeoutMs: this.opts.gitTimeoutMs,
    });
    if (untar.kind !== 'ok') {
      await rm(tmp, { recursive: true, force: true });
      throw new GitError(url, 'archive', `cannot extract ${sha}`);
    }
    // From here on tmp may be read-only: only removeTree can delete it as a non-root user.
    await makeReadOnly(tmp).catch(async (e: unknown) => {
      await removeTree(tmp);
      throw e;
    });
    await rename(tmp, dest).catch(async (e: unknown) => {
      // Another process materialized the same commit first; theirs is identical.
      await removeTree(tmp);
      if (
        !(await stat(dest).then(
          () => true,
          () => false,
        ))
      )
        throw e;
    });
    return dest;
  }

  private async checkSizes(url: string, mirror: string, sha: string): Promise<void> {
    const out = await this.gitOk(
      'ls-tree',
      url,
      ['--git-dir', mirror, 'ls-tree', '-r', '-l', '-z', sha],
      undefined,
    );
    let total = 0;
    for (const entry of out.toString('utf8').split('\0')) {
      const m = /^\d+ blob [0-9a-f]+\s+(\d+)\t(.*)$/s.exec(entry);
      if (m === null) continue;
      const size = Number(m[1]);
      total += size;
      if (size > this.opts.maxFileBytes) {
        throw new GitError(
          url,
          'checkout',
          `${m[2] ?? '?'} at ${sha.slice(0, 12)} is ${size} bytes, over the ${this.opts.maxFileBytes}-byte file limit; remove it from the repo or raise the limit`,
        );
      }
    }
    if (total > this.opts.maxTreeBytes) {
      throw new GitError(
        url,
        'checkout',
        `commit ${sha.slice(0, 12)} holds ${total} bytes of files, over the ${this.opts.maxTreeBytes}-byte limit`,
      );
    }
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

async function makeReadOnly(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await makeReadOnly(p);
    else if (e.isFile()) await chmod(p, 0o444);
  }
  await chmod(dir, 0o555);
}
