import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * The layering rule (docs/architecture.md):
 * 1. The folders under src/ import each other without cycles: if a file in api/ imports diff/,
 *    no file in diff/ may import api/, directly or through other folders. What two folders
 *    share lives in the lower one (api/object.ts, the ignore rules in api/, the health status
 *    order in api/).
 * 2. dev/ (the local control plane, the tool builds, the Git test server) is tooling, not
 *    product: no product file imports it. Only the `ballast dev` commands do.
 * Every import counts: type-only, re-exports and dynamic `import()`, in tests too.
 */

const src = dirname(fileURLToPath(import.meta.url));

/** The files that implement `ballast dev`, the one product surface built on dev/. */
const devCommands = new Set(['cli/dev.ts', 'cli/dev-git.ts']);

/** One import that crosses from one src/ folder to another. */
interface CrossImport {
  from: string;
  to: string;
  /** The importing file, relative to src/. */
  file: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

const isTest = (file: string): boolean => file.endsWith('.test.ts');

const folderOf = (fromSrc: string): string => fromSrc.split(sep)[0] ?? '';

/** Every relative import between two folders of src/, parsed by TypeScript's own scanner. */
function crossImports(): CrossImport[] {
  const out: CrossImport[] = [];
  for (const path of sourceFiles(src)) {
    const file = relative(src, path);
    // Files directly under src/ (this test) belong to no folder.
    if (!file.includes(sep)) continue;
    const info = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(path), specifier));
      if (target.startsWith('..')) continue;
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) out.push({ from, to, file: file.split(sep).join('/'), specifier });
    }
  }
  return out;
}

/**
 * A cycle of folders, found by depth-first search, as lines naming the import that makes each
 * step (`api -> diff: api/application.ts imports ../diff/ignore.js`); empty when there is none.
 */
export function findCycle(imports: readonly CrossImport[]): string[] {
  const edges = new Map<string, Map<string, CrossImport>>();
  for (const i of imports) {
    const out = edges.get(i.from) ?? new Map<string, CrossImport>();
    // The step a cycle names is a product file's import when there is one.
    const named = out.get(i.to);
    if (named === undefined || (isTest(named.file) && !isTest(i.file))) out.set(i.to, i);
    edges.set(i.from, out);
  }
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (folder: string): string[] | undefined => {
    const at = path.indexOf(folder);
    if (at >= 0) {
      const loop = [...path.slice(at), folder];
      return loop.slice(1).map((to, i) => {
        const step = edges.get(loop[i] ?? '')?.get(to);
        return `${loop[i] ?? ''} -> ${to}: ${step?.file ?? ''} imports ${step?.specifier ?? ''}`;
      });
    }
    if (done.has(folder)) return undefined;
    path.push(folder);
    for (const next of [...(edges.get(folder)?.keys() ?? [])].sort()) {
      const found = visit(next);
      if (found !== undefined) return found;
    }
    path.pop();
    done.add(folder);
    return undefined;
  };
  for (const folder of [...edges.keys()].sort()) {
    const found = visit(folder);
    if (found !== undefined) return found;
  }
  return [];
}

describe('layering of src/', () => {
  const imports = crossImports();

  it('sees the imports it checks, so an empty answer below means something', () => {
    expect(imports.some((i) => i.from === 'apply' && i.to === 'api')).toBe(true);
    expect(imports.some((i) => i.file === 'cli/dev.ts' && i.to === 'dev')).toBe(true);
  });

  it('has no import cycle between its folders', () => {
    expect(findCycle(imports), 'an import cycle between folders of src/').toEqual([]);
  });

  it('has no product file importing dev/, except the `ballast dev` commands', () => {
    const offending = imports
      .filter((i) => i.to === 'dev' && !devCommands.has(i.file))
      .map((i) => `${i.file} imports ${i.specifier}`);
    expect(offending, 'product code importing dev/').toEqual([]);
  });
});

describe('findCycle', () => {
  const step = (from: string, to: string): CrossImport => ({
    from,
    to,
    file: `${from}/a.ts`,
    specifier: `../${to}/b.js`,
  });

  it('names every import of a cycle through three folders', () => {
    expect(findCycle([step('a', 'b'), step('b', 'c'), step('c', 'a'), step('c', 'd')])).toEqual([
      'a -> b: a/a.ts imports ../b/b.js',
      'b -> c: b/a.ts imports ../c/b.js',
      'c -> a: c/a.ts imports ../a/b.js',
    ]);
  });

  it('finds none in a diamond', () => {
    expect(findCycle([step('a', 'b'), step('a', 'c'), step('b', 'd'), step('c', 'd')])).toEqual([]);
  });
});
