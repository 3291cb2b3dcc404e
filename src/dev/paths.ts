import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolVersions, type ToolName } from './versions.js';

/** The repository root: the nearest ancestor of this module holding Ballast's package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown };
      if (parsed.name === 'ballast') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('ballast: cannot find the repository root above ' + dir);
    dir = parent;
  }
}

/** Where built tools are cached: $BALLAST_CACHE, else ~/.cache/ballast. */
export function cacheDir(): string {
  return (
    process.env.BALLAST_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ballast')
  );
}

export function toolDir(tool: ToolName): string {
  return join(cacheDir(), 'bin', `${tool}-${toolVersions[tool]}`);
}

export function toolPath(tool: ToolName): string {
  return join(toolDir(tool), tool);
}

/** The default state directory of `ballast dev`: ~/.local/state/ballast/dev. */
export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  return join(base, 'ballast', 'dev');
}

export function absolute(p: string): string {
  return resolve(p);
}
