import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { openApp, walkTree, type TreeFile } from './confine.js';
import { LimitExceededError, RenderIoError } from './errors.js';
import { documentObjects, finish, textObjects } from './objects.js';
import type { RenderOptions } from './options.js';
import { decryptIfSops } from './sops.js';
import {
  defineRenderer,
  failed,
  type RenderFailed,
  type RenderedObject,
  type Renderer,
  type RenderResult,
  type RenderSource,
} from './types.js';

const manifestExtensions = new Set(['.yaml', '.yml', '.json']);
const readWindow = 64;

/**
 * Whether a file under the application directory is a manifest. Hidden entries (`.github/`,
 * `.pre-commit-config.yaml`) hold tooling configuration, not objects.
 */
export function isManifestFile(relToApp: string): boolean {
  if (relToApp.split('/').some((part) => part.startsWith('.'))) return false;
  return manifestExtensions.has(extname(relToApp).toLowerCase());
}

/** Plain manifests: every YAML and JSON file under the directory, recursively, in sorted path order. */
export const plainRenderer: Renderer = defineRenderer(
  'plain',
  async (source: RenderSource, options: RenderOptions): Promise<RenderResult> => {
    const opened = await openApp(source.repoRoot, source.path);
    if (opened.kind === 'error') return opened;
    const { root, app } = opened.value;
    const tree = await walkTree(root, app, options.limits.maxEntries);
    if (tree.kind === 'error') return tree;
    const prefix = app.rel === '' ? '' : `${app.rel}/`;
    const files = tree.value
      .filter((f) => isManifestFile(f.rel.slice(prefix.length)))
      .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
    const objects: RenderedObject[] = [];
    // Files are read a window at a time, concurrently (a thousand small files cost a thousand
    // round trips to the filesystem otherwise), and their objects kept in path order.
    for (let i = 0; i < files.length; i += readWindow) {
      const reads = await Promise.all(
        files.slice(i, i + readWindow).map((f) => readManifests(f, options)),
      );
      for (const read of reads) {
        if (read.kind === 'error') return read;
        objects.push(...read.objects);
      }
      // Stop early rather than parse a huge tree only to refuse it.
      if (objects.length > options.limits.maxObjects) break;
    }
    return finish('plain', objects, [], options.limits, app.rel);
  },
);

type FileResult = { kind: 'ok'; objects: RenderedObject[] } | RenderFailed;

async function readManifests(file: TreeFile, options: RenderOptions): Promise<FileResult> {
  const limits = options.limits;
  let text: string;
  try {
    const size = (await stat(file.real)).size;
    if (size > limits.maxFileBytes) {
      return failed(
        new LimitExceededError(
          { file: file.rel },
          `the file is ${size} bytes, over the limit of ${limits.maxFileBytes}`,
          'split it into smaller files or raise limits.maxFileBytes',
        ),
      );
    }
    text = await readFile(file.real, 'utf8');
  } catch (e) {
    return failed(new RenderIoError({ file: file.rel, cause: e }, 'cannot be read'));
  }
  const locate = (line: number): { file: string; line: number } => ({ file: file.rel, line });
  const sops = await decryptIfSops(file.rel, text, options);
  if (sops.kind === 'error') return sops;
  if (sops.kind === 'plain') return textObjects(text, file.rel, limits, locate);
  // Decrypted documents are used as data, never as text written anywhere; each object points
  // at the line its document starts on in the encrypted file.
  const objects: RenderedObject[] = [];
  for (const doc of sops.documents) {
    const r = documentObjects(
      { value: doc.value, line: doc.line, offset: 0, itemLines: [] },
      locate,
    );
    if (r.kind === 'error') return r;
    objects.push(...r.objects);
  }
  return { kind: 'ok', objects };
}
