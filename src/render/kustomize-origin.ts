import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { refKey, refOf, type KubeObject, type Origin } from '../api/object.js';
import { isInside } from './confine.js';
import { InvalidObjectError } from './errors.js';
import { validateObject } from './objects.js';

/**
 * kustomize records where each object came from only when asked to with
 * `buildMetadata: [originAnnotations]`, and that also adds an annotation to every object.
 * Ballast needs the origins but must apply exactly what a plain `kustomize build` gives, so it
 * runs a second build of a tiny wrapper kustomization that includes the application and asks
 * for origins, and uses that build for nothing but this lookup. If it fails, or an object is
 * missing from it, the object keeps the application's kustomization file as its origin.
 */
export const originAnnotation = 'config.kubernetes.io/origin';

/** The wrapper kustomization that includes `appReal` from `wrapperDir` and records origins. */
export function originWrapper(wrapperDir: string, appReal: string): string {
  // kustomize refuses absolute resource paths, so the application is named relative to the wrapper.
  return JSON.stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [relative(wrapperDir, appReal)],
    buildMetadata: ['originAnnotations'],
  });
}

/**
 * Reads the annotated build's output into a map from object identity to source file
 * (relative to the repository root). Objects whose origin is unknown or outside the
 * repository are left out; they keep the fallback origin.
 */
export function originFiles(
  documents: readonly unknown[],
  wrapperDir: string,
  root: string,
): Map<string, string> {
  const files = new Map<string, string>();
  for (const value of documents) {
    const object = validateObject(value, { file: '', line: 0 });
    if (object instanceof InvalidObjectError) continue;
    const raw = object.metadata.annotations?.[originAnnotation];
    if (raw === undefined) continue;
    const origin = parseOrigin(raw);
    if (origin === undefined) continue;
    const abs = resolve(wrapperDir, origin);
    if (isInside(root, abs))
      files.set(refKey(refOf(object)), relative(root, abs).split('\\').join('/'));
  }
  return files;
}

function parseOrigin(raw: string): string | undefined {
  try {
    const o: unknown = parse(raw);
    if (typeof o !== 'object' || o === null) return undefined;
    const { path, configuredIn, repo } = o as Record<string, unknown>;
    if (typeof repo === 'string' && repo !== '') return undefined;
    if (typeof path === 'string' && path !== '') return path;
    return typeof configuredIn === 'string' && configuredIn !== '' ? configuredIn : undefined;
  } catch {
    return undefined;
  }
}

/** Where a document starts in a manifest file, and its top-level kind and metadata.name. */
export interface DocumentHint {
  kind: string;
  name: string;
  line: number;
}

function scalar(raw: string): string {
  const value = raw.replace(/\s+#.*$/, '').trim();
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/**
 * A quick line-by-line look at a manifest file's documents. Parsing the file properly would
 * cost as much again as the render itself for big CRD files, and the answer is only a hint
 * for people reading an error, so block-style YAML is read and anything else gets line 1.
 */
export function scanDocuments(text: string): DocumentHint[] {
  const hints: DocumentHint[] = [];
  let current: DocumentHint | undefined;
  let metadataIndent: number | undefined;
  let inMetadata = false;
  for (const [i, line] of text.split('\n').entries()) {
    if (/^(---|\.\.\.)(\s|$)/.test(line)) {
      current = undefined;
      continue;
    }
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (current === undefined) {
      current = { kind: '', name: '', line: i + 1 };
      inMetadata = false;
      hints.push(current);
    }
    const top = /^([\w.-]+):(.*)$/.exec(line);
    if (top !== null) {
      inMetadata = top[1] === 'metadata';
      metadataIndent = undefined;
      if (top[1] === 'kind') current.kind = scalar(top[2] ?? '');
      continue;
    }
    if (!inMetadata) continue;
    const indent = line.length - line.trimStart().length;
    metadataIndent ??= indent;
    const name = /^\s+name:(.*)$/.exec(line);
    if (indent === metadataIndent && name !== null && current.name === '') {
      current.name = scalar(name[1] ?? '');
    }
  }
  return hints;
}

/**
 * Finds the line of an object in its source file: the document of the same kind whose name is
 * the object's name, or part of it (name prefixes and suffixes), else the first of that kind,
 * else line 1. kustomize does not record lines, so this is a best effort by construction.
 */
export class LineFinder {
  private readonly cache = new Map<string, DocumentHint[]>();

  constructor(private readonly root: string) {}

  async originOf(object: KubeObject, file: string): Promise<Origin> {
    const docs = await this.documentsOf(file);
    const sameKind = docs.filter((d) => d.kind === object.kind);
    const name = object.metadata.name;
    const match =
      sameKind.find((d) => d.name === name) ??
      sameKind.find((d) => d.name !== '' && name.includes(d.name)) ??
      sameKind[0];
    return { file, line: match?.line ?? 1 };
  }

  private async documentsOf(file: string): Promise<DocumentHint[]> {
    const cached = this.cache.get(file);
    if (cached !== undefined) return cached;
    // The origin is advisory: an unreadable file just means line 1.
    const text = await readFile(join(this.root, file), 'utf8').catch(() => '');
    const found = scanDocuments(text);
    this.cache.set(file, found);
    return found;
  }
}
