import type { Dirent } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LimitExceededError, PathEscapeError, RenderIoError } from './errors.js';

/**
 * Path confinement. Git can carry symlinks and kustomizations can say `../../..`, so a hostile
 * repository could make a renderer read the controller's own files (Argo CD CVE-2022-24348).
 * Every path a renderer will touch is checked here first: lexically (no `..` escape), per
 * component (no absolute symlinks, whose meaning depends on where the repo is checked out),
 * and physically (the real path after following symlinks stays inside the real repo root).
 */

/** A path known to be inside the repository. */
export interface ConfinedPath {
  /** Relative to the repository root, `/`-separated; `''` is the root. */
  rel: string;
  /** The real absolute path, all symlinks followed. */
  real: string;
}

export type ConfineError = PathEscapeError | RenderIoError | LimitExceededError;
export type Confined<T> = { kind: 'ok'; value: T } | { kind: 'error'; error: ConfineError };

const ok = <T>(value: T): Confined<T> => ({ kind: 'ok', value });
const fail = <T>(error: ConfineError): Confined<T> => ({ kind: 'error', error });

export function isInside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel));
}

function toRel(parts: readonly string[]): string {
  return parts.filter((p) => p !== '' && p !== '.').join('/');
}

function errnoCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** The real path of the repository root. */
export async function repoRealRoot(repoRoot: string): Promise<Confined<string>> {
  try {
    return ok(await realpath(resolve(repoRoot)));
  } catch (e) {
    return fail(
      new RenderIoError({ file: repoRoot, cause: e }, 'the repository root cannot be opened'),
    );
  }
}

/**
 * Resolves `ref` (relative to the repository-relative directory `fromRel`) to a path inside
 * the repository, or explains why it is not. `subject` names the file that made the reference.
 */
export async function confinePath(
  root: string,
  fromRel: string,
  ref: string,
  subject: string,
): Promise<Confined<ConfinedPath>> {
  if (isAbsolute(ref)) {
    return fail(new PathEscapeError({ file: subject }, `'${ref}' is an absolute path`));
  }
  const lexical = resolve(root, fromRel, ref);
  if (!isInside(root, lexical)) {
    return fail(new PathEscapeError({ file: subject }, `'${ref}' climbs out of the repository`));
  }
  const parts = relative(root, lexical).split(sep);
  // Each component is checked so an absolute symlink is refused even when it happens to land inside.
  for (let i = 1; i <= parts.length; i++) {
    const rel = toRel(parts.slice(0, i));
    if (rel === '') continue;
    const checked = await checkEntry(root, join(root, rel), rel);
    if (checked.kind === 'error') return checked;
    if (checked.value === 'missing') {
      return fail(new RenderIoError({ file: rel }, `'${ref}' does not exist`));
    }
  }
  const rel = toRel(parts);
  try {
    const real = await realpath(lexical);
    if (isInside(root, real)) return ok({ rel, real });
    return fail(new PathEscapeError({ file: subject }, `'${ref}' leads outside the repository`));
  } catch (e) {
    return fail(new RenderIoError({ file: rel, cause: e }, 'cannot be read'));
  }
}

/** Refuses one entry if it is a symlink that is absolute or leads outside `root`. */
async function checkEntry(
  root: string,
  abs: string,
  rel: string,
): Promise<Confined<'missing' | 'present'>> {
  try {
    const info = await lstat(abs);
    if (!info.isSymbolicLink()) return ok('present');
    const target = await readlink(abs);
    if (isAbsolute(target)) {
      return fail(
        new PathEscapeError({ file: rel }, `is a symlink to the absolute path '${target}'`),
      );
    }
    // A dangling link cannot be read, but one aimed outside is refused all the same.
    const real = await realTarget(abs);
    if (!isInside(root, real ?? resolve(abs, '..', target))) {
      return fail(
        new PathEscapeError(
          { file: rel },
          `is a symlink that points outside the repository ('${target}')`,
        ),
      );
    }
    return ok(real === undefined ? 'missing' : 'present');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return ok('missing');
    return fail(new RenderIoError({ file: rel, cause: e }, 'cannot be read'));
  }
}

/** Where a symlink finally leads, or undefined when it dangles or loops. */
async function realTarget(abs: string): Promise<string | undefined> {
  try {
    return await realpath(abs);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw e;
  }
}

/** A regular file found by `walkTree`. */
export interface TreeFile {
  /** Relative to the repository root, through the names the walk took (symlinks included). */
  rel: string;
  /** The real absolute path to read. */
  real: string;
}

/**
 * Visits every entry under `dir` in sorted order, refusing symlinks that leave the repository
 * or are absolute, and following those that stay inside (each real directory once, so link
 * cycles end). Returns the regular files. `.git` is not part of any application.
 */
export async function walkTree(
  root: string,
  dir: ConfinedPath,
  maxEntries: number,
): Promise<Confined<TreeFile[]>> {
  const files: TreeFile[] = [];
  const visited = new Set<string>([dir.real]);
  const pending: ConfinedPath[] = [dir];
  let entries = 0;
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    let dirents: Dirent[];
    try {
      dirents = await readdir(next.real, { withFileTypes: true });
    } catch (e) {
      return fail(new RenderIoError({ file: next.rel, cause: e }, 'the directory cannot be read'));
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of dirents) {
      const name = dirent.name;
      if (name === '.git') continue;
      if (++entries > maxEntries) {
        return fail(
          new LimitExceededError(
            { file: dir.rel },
            `the tree has more than ${maxEntries} entries`,
            'point the application at a smaller directory or raise limits.maxEntries',
          ),
        );
      }
      const entry = { rel: toRel([next.rel, name]), real: join(next.real, name) };
      const kind = plainEntry(dirent, entry.real) ?? (await classify(root, entry));
      if (kind.kind === 'error') return kind;
      if (kind.value.type === 'file') files.push({ rel: entry.rel, real: kind.value.real });
      if (kind.value.type === 'dir' && !visited.has(kind.value.real)) {
        visited.add(kind.value.real);
        pending.push({ rel: entry.rel, real: kind.value.real });
      }
    }
  }
  return ok(files);
}

type EntryKind = { type: 'file' | 'dir'; real: string } | { type: 'skip' };

/**
 * A plain file or directory needs no further check: its parent's path is real, so its own
 * is too. Symlinks, and entries whose type the filesystem did not say, are classified.
 */
function plainEntry(dirent: Dirent, real: string): Confined<EntryKind> | undefined {
  if (dirent.isFile()) return ok({ type: 'file', real });
  if (dirent.isDirectory()) return ok({ type: 'dir', real });
  return undefined;
}

async function classify(root: string, entry: ConfinedPath): Promise<Confined<EntryKind>> {
  const checked = await checkEntry(root, entry.real, entry.rel);
  if (checked.kind === 'error') return checked;
  // A dangling symlink inside the repository names nothing that could be read.
  if (checked.value === 'missing') return ok({ type: 'skip' });
  try {
    const real = await realpath(entry.real);
    const info = await stat(real);
    if (info.isDirectory()) return ok({ type: 'dir', real });
    if (info.isFile()) return ok({ type: 'file', real });
    return fail(new RenderIoError({ file: entry.rel }, 'is neither a file nor a directory'));
  } catch (e) {
    return fail(new RenderIoError({ file: entry.rel, cause: e }, 'cannot be read'));
  }
}

/** The repository and the application directory inside it, both checked. */
export interface OpenedApp {
  /** The real repository root. */
  root: string;
  app: ConfinedPath;
}

/** Resolves an application path, refusing any escape from the repository, and checks it is a directory. */
export async function openApp(repoRoot: string, path: string): Promise<Confined<OpenedApp>> {
  const root = await repoRealRoot(repoRoot);
  if (root.kind === 'error') return root;
  const ref = path === '' ? '.' : path;
  const app = await confinePath(root.value, '', ref, ref);
  if (app.kind === 'error') return app;
  try {
    if (!(await stat(app.value.real)).isDirectory()) {
      return fail(new RenderIoError({ file: ref }, 'is not a directory'));
    }
  } catch (e) {
    return fail(new RenderIoError({ file: ref, cause: e }, 'cannot be read'));
  }
  return ok({ root: root.value, app: app.value });
}
