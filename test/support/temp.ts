import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { removeTree } from '../../src/fs/remove.js';

/** Temp directories one test file (or bench) makes, removed together by `removeAll`. */
export interface TempDirs {
  /** A fresh private directory under the system temp dir, named `<prefix>XXXXXX`. */
  make(prefix: string): Promise<string>;
  /** A fresh directory holding these files (relative path → text), as a repository to render. */
  tree(prefix: string, files: Record<string, string>): Promise<string>;
  /**
   * Removes every directory made since the last call, read-only source-cache trees included.
   * Call it from afterEach/afterAll (or a finally) so a failing test still cleans up.
   */
  removeAll(): Promise<void>;
}

export function tempDirs(): TempDirs {
  const made: string[] = [];
  return {
    async make(prefix) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    async tree(prefix, files) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      made.push(dir);
      for (const [rel, text] of Object.entries(files)) {
        await mkdir(dirname(join(dir, rel)), { recursive: true });
        await writeFile(join(dir, rel), text);
      }
      return dir;
    },
    async removeAll() {
      // Every one is attempted: one that cannot be removed must not leave the others behind.
      const results = await Promise.allSettled(made.splice(0).map((d) => removeTree(d)));
      const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (errors.length > 0) throw new AggregateError(errors, 'temp directories left behind');
    },
  };
}
