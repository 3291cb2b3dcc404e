import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from './path.js';

describe('findOnPath', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ballast-path-'));
    for (const d of ['a', 'b', 'c']) await mkdir(join(dir, d));
    await writeFile(join(dir, 'a', 'helm'), 'not executable');
    await mkdir(join(dir, 'b', 'helm'));
    await writeFile(join(dir, 'c', 'helm'), '#!/bin/sh\n');
    await chmod(join(dir, 'c', 'helm'), 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the first executable file, skipping a plain file and a directory of that name', () => {
    const path = ['a', 'b', 'c'].map((d) => join(dir, d)).join(':');
    expect(findOnPath('helm', path)).toBe(join(dir, 'c', 'helm'));
  });

  it('never looks in the working directory through an empty or relative entry', () => {
    // A relative entry that does lead to an executable helm, from this process's directory.
    const relativeToC = relative(process.cwd(), join(dir, 'c'));
    expect(findOnPath('helm', `::.:${relativeToC}`)).toBeUndefined();
    expect(findOnPath('helm', undefined)).toBe(findOnPath('helm', process.env.PATH));
  });
});
