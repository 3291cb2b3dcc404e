import { cp, mkdtemp, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { makeOwnerWritable, removeTree } from '../fs/remove.js';
import { threadScratchDir } from '../fs/sandbox.js';
import {
  decryptSops,
  describeNeededKeys,
  noDecryptionKeys,
  SopsMissingKeyError,
  formatOf,
  isSopsEncrypted,
  type DecryptedDocument,
  type SopsFormat,
} from '../secrets/index.js';
import type { TreeFile } from './confine.js';
import { DecryptionFailedError, LimitExceededError, RenderIoError } from './errors.js';
import type { RenderOptions } from './options.js';
import { failed, type RenderFailed, type RenderResult } from './types.js';

/**
 * SOPS files in the renderers. Decryption happens in memory; the plain renderer never writes
 * plaintext anywhere. kustomize can only read files, so it gets a private copy of the tree on
 * a tmpfs with the SOPS files decrypted, removed as soon as the build ends.
 */

export type DecryptOutcome =
  | { kind: 'plain' }
  | { kind: 'decrypted'; text: string; documents: DecryptedDocument[]; plaintexts: string[] }
  | RenderFailed;

const noKeys =
  'is encrypted with SOPS but no decryption keys are configured; reference a Secret with *.agekey or *.asc entries in spec.decryption.secretRef (or pass --decryption-keys)';

/** Decrypts `text` if it is a SOPS file; `file` is relative to the repository root. */
export async function decryptIfSops(
  file: string,
  text: string,
  options: RenderOptions,
): Promise<DecryptOutcome> {
  const format = formatOf(file);
  if (format === undefined || !isSopsEncrypted(text, format)) return { kind: 'plain' };
  return decryptAs(file, text, format, options);
}

async function decryptAs(
  file: string,
  text: string,
  format: SopsFormat,
  options: RenderOptions,
): Promise<DecryptOutcome> {
  // With no keys at all, still ask which key the file needs, so the message can name it.
  const r = await decryptSops(
    { path: file, text, format },
    options.decryption ?? noDecryptionKeys(),
  );
  if (r.kind === 'error') {
    const problem =
      options.decryption === undefined && r.error instanceof SopsMissingKeyError
        ? `${noKeys}; it needs one of: ${describeNeededKeys(r.error.needed)}`
        : r.error.problem;
    return failed(new DecryptionFailedError({ file, cause: r.error }, problem));
  }
  return { kind: 'decrypted', text: r.text, documents: r.documents, plaintexts: r.plaintexts };
}

interface Decrypted {
  rel: string;
  text: string;
  plaintexts: string[];
}

/** Finds and decrypts every SOPS file among `files`; an empty list when there is none. */
async function decryptAll(
  files: readonly TreeFile[],
  options: RenderOptions,
): Promise<Decrypted[] | RenderFailed> {
  const out: Decrypted[] = [];
  for (const f of files) {
    const format = formatOf(f.rel);
    if (format === undefined) continue;
    let text: string;
    try {
      const size = (await stat(f.real)).size;
      if (size > options.limits.maxFileBytes) {
        return failed(
          new LimitExceededError(
            { file: f.rel },
            `the file is ${size} bytes, over the limit of ${options.limits.maxFileBytes}`,
            'split it into smaller files or raise limits.maxFileBytes',
          ),
        );
      }
      text = await readFile(f.real, 'utf8');
    } catch (e) {
      return failed(new RenderIoError({ file: f.rel, cause: e }, 'cannot be read'));
    }
    if (!isSopsEncrypted(text, format)) continue;
    const r = await decryptAs(f.rel, text, format, options);
    if (r.kind === 'error') return r;
    if (r.kind === 'decrypted') out.push({ rel: f.rel, text: r.text, plaintexts: r.plaintexts });
  }
  return out;
}

/**
 * What a tool's error must not show: each decrypted value, and each line of a multi-line one
 * (an error may quote a single line). Very short values are left out; masking "1" everywhere
 * would make every message unreadable and hide nothing.
 */
function redactionsOf(decrypted: readonly Decrypted[]): string[] {
  const all = decrypted.flatMap((d) => d.plaintexts.flatMap((p) => [p, ...p.split('\n')]));
  return [...new Set(all.map((s) => s.trim()).filter((s) => s.length >= 4))].sort(
    (a, b) => b.length - a.length,
  );
}

/** statfs magic numbers of the in-memory filesystems. */
const memoryFilesystems = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

/**
 * Runs `use` on the repository as it is, or, when the tree holds SOPS files, on a copy in a
 * private 0700 directory under `options.plaintextDir` (which must be a tmpfs) with those files
 * decrypted. The copy is removed in every case, including failures and throws. `use` gets the
 * decrypted values to redact from whatever the tool prints.
 */
export async function withPlaintextTree(
  root: string,
  files: readonly TreeFile[],
  options: RenderOptions,
  use: (buildRoot: string, redact: string[]) => Promise<RenderResult>,
): Promise<RenderResult> {
  const decrypted = await decryptAll(files, options);
  if (!Array.isArray(decrypted)) return decrypted;
  if (decrypted.length === 0) return use(root, []);
  const first = decrypted[0]?.rel ?? '';
  try {
    const fs = await statfs(options.plaintextDir);
    if (!memoryFilesystems.has(fs.type))
      throw new Error(`filesystem type 0x${fs.type.toString(16)}`);
  } catch (e) {
    return failed(
      new DecryptionFailedError(
        { file: first, cause: e },
        `kustomize must read decrypted files from memory, and ${options.plaintextDir} is not a usable tmpfs; point plaintextDir at one`,
      ),
    );
  }
  // Under this process's own directory: if it dies mid-build, the next start removes the copy.
  const dir = await mkdtemp(join(await threadScratchDir(options.plaintextDir), 'sops-'));
  try {
    const mirror = join(dir, 'repo');
    // Relative symlinks stay relative, so the copy resolves exactly as the checked tree did.
    await cp(root, mirror, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => basename(src) !== '.git',
    });
    // cp keeps the source cache's 0555 directories; without write permission on them a non-root
    // controller can neither swap the decrypted files in nor remove the copy afterwards.
    await makeOwnerWritable(mirror);
    for (const f of decrypted) {
      const target = join(mirror, f.rel);
      await rm(target, { force: true });
      await writeFile(target, f.text, { mode: 0o600 });
    }
    return await use(mirror, redactionsOf(decrypted));
  } finally {
    await removeTree(dir);
  }
}
