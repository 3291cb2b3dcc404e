import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  confinePath,
  isInside,
  walkTree,
  type Confined,
  type ConfinedPath,
  type TreeFile,
} from './confine.js';
import { findAliasBomb } from './alias-check.js';
import { kustomizationFileIn } from './detect.js';
import {
  InvalidYamlError,
  LimitExceededError,
  PathEscapeError,
  RemoteResourceError,
  RenderIoError,
} from './errors.js';
import type { ParseLimits } from './options.js';
import { parseDocuments } from './yaml.js';

export type TreeCheckError =
  PathEscapeError | RemoteResourceError | RenderIoError | LimitExceededError | InvalidYamlError;
export type TreeCheck =
  | {
      kind: 'ok';
      kustomizationFile: string;
      /** Every file under the kustomization directories walked (for finding SOPS files). */
      files: TreeFile[];
    }
  | { kind: 'error'; error: TreeCheckError };

/**
 * Remote references kustomize would fetch: any URL scheme, go-getter and scp-style git, the
 * hosts kustomize expands without a scheme, and query refs. Ballast renders only what is in
 * the commit it verified.
 */
const remotePattern =
  /^(?:[a-z][a-z0-9+.-]*:\/\/|git::|[\w.-]+@[\w.-]+:|(?:github\.com|gitlab\.com|bitbucket\.org)[/:])|[?&](?:ref|version|submodules|timeout)=/i;

export function isRemoteReference(ref: string): boolean {
  return remotePattern.test(ref.trim());
}

/** Patches and generator configs may be written inline instead of naming a file. */
function isInline(entry: string): boolean {
  return entry.includes('\n') || /^\s*[{[]/.test(entry) || entry.includes(': ');
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v)
    ? v.filter(
        (x): x is Record<string, unknown> =>
          typeof x === 'object' && x !== null && !Array.isArray(x),
      )
    : [];
}

/** Every path a kustomization names, split into those that may be directories and plain files. */
export function referencesOf(k: Record<string, unknown>): {
  dirsOrFiles: string[];
  files: string[];
} {
  const dirsOrFiles = [
    ...strings(k.resources),
    ...strings(k.bases),
    ...strings(k.components),
    ...[k.generators, k.transformers, k.validators].flatMap(strings).filter((s) => !isInline(s)),
  ];
  const generatorFiles = [...records(k.configMapGenerator), ...records(k.secretGenerator)].flatMap(
    (g) => [
      ...strings(g.files).map((f) => f.slice(f.indexOf('=') + 1)),
      ...strings(g.envs),
      ...(typeof g.env === 'string' ? [g.env] : []),
    ],
  );
  const pathsOf = (v: unknown): string[] =>
    records(v).flatMap((r) => (typeof r.path === 'string' ? [r.path] : []));
  const openapi = k.openapi as { path?: unknown } | undefined;
  const files = [
    ...strings(k.crds),
    ...strings(k.configurations),
    ...strings(k.patchesStrategicMerge).filter((s) => !isInline(s)),
    ...pathsOf(k.patches),
    ...pathsOf(k.patchesJson6902),
    ...pathsOf(k.replacements),
    ...generatorFiles,
    ...(typeof openapi?.path === 'string' ? [openapi.path] : []),
  ];
  return { dirsOrFiles, files };
}

/**
 * Checks everything `kustomize build` could read from the application: each kustomization
 * directory reachable through resources, bases and components is walked for escaping
 * symlinks, every path it names must stay inside the repository, and no reference may be
 * remote. Runs before kustomize does, so a refused tree is never handed to it.
 */
export async function checkKustomizeTree(
  root: string,
  app: ConfinedPath,
  limits: ParseLimits,
): Promise<TreeCheck> {
  const walked: string[] = [];
  const files: TreeFile[] = [];
  const seen = new Set<string>();
  const pending: ConfinedPath[] = [app];
  let appFile: string | undefined;
  for (let dir = pending.shift(); dir !== undefined; dir = pending.shift()) {
    if (seen.has(dir.real)) continue;
    seen.add(dir.real);
    if (!walked.some((w) => isInside(w, dir.real))) {
      const tree = await walkTree(root, dir, limits.maxEntries);
      if (tree.kind === 'error') return tree;
      const bomb = await findAliasBomb(tree.value, limits);
      if (bomb !== undefined) return { kind: 'error', error: bomb };
      walked.push(dir.real);
      files.push(...tree.value);
    }
    const found = await kustomizationIn(dir, limits);
    if (found.kind === 'error') return found;
    if (found.value === undefined) continue;
    appFile ??= found.value.file;
    const next = await checkReferences(root, dir, found.value);
    if (next.kind === 'error') return next;
    pending.push(...next.value);
  }
  return { kind: 'ok', kustomizationFile: appFile ?? app.rel, files };
}

interface Kustomization {
  /** Relative to the repository root. */
  file: string;
  content: Record<string, unknown>;
}

async function kustomizationIn(
  dir: ConfinedPath,
  limits: ParseLimits,
): Promise<
  { kind: 'ok'; value: Kustomization | undefined } | { kind: 'error'; error: TreeCheckError }
> {
  let text: string;
  let file: string;
  try {
    const name = kustomizationFileIn(await readdir(dir.real));
    if (name === undefined) return { kind: 'ok', value: undefined };
    file = dir.rel === '' ? name : `${dir.rel}/${name}`;
    text = await readFile(join(dir.real, name), 'utf8');
  } catch (e) {
    return {
      kind: 'error',
      error: new RenderIoError({ file: dir.rel, cause: e }, 'cannot be read'),
    };
  }
  const parsed = parseDocuments(text, file, limits);
  if (parsed.kind === 'error') return parsed;
  const value = parsed.documents[0]?.value;
  const content = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  return { kind: 'ok', value: { file, content: content as Record<string, unknown> } };
}

/** Checks one kustomization's references; returns the directories among them to visit next. */
async function checkReferences(
  root: string,
  dir: ConfinedPath,
  k: Kustomization,
): Promise<Confined<ConfinedPath[]> | { kind: 'error'; error: RemoteResourceError }> {
  const { dirsOrFiles, files } = referencesOf(k.content);
  const dirs: ConfinedPath[] = [];
  for (const ref of [...dirsOrFiles, ...files]) {
    if (isRemoteReference(ref)) {
      return { kind: 'error', error: new RemoteResourceError({ file: k.file }, ref) };
    }
    // kustomize joins a reference to the kustomization's real directory, symlinks resolved,
    // so `..` is checked from there too, not from the path the walk came in by.
    const target = await confinePath(root, relative(root, dir.real), ref, k.file);
    if (target.kind === 'error') return target;
    try {
      if ((await stat(target.value.real)).isDirectory()) dirs.push(target.value);
    } catch (e) {
      return {
        kind: 'error',
        error: new RenderIoError({ file: target.value.rel, cause: e }, 'cannot be read'),
      };
    }
  }
  return { kind: 'ok', value: dirs };
}
