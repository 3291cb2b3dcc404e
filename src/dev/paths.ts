import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { packageRoot } from '../fs/package-root.js';
import { toolVersions, type ToolName } from './versions.js';

/** The repository root (in a checkout, the package root is the repository). */
export const repoRoot = packageRoot;

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

/** The built tools a user or a controller runs by name: first on the PATH `ballast dev` gives. */
export const pathTools: readonly ToolName[] = ['kubectl', 'helm', 'kustomize', 'sops'];

/**
 * A search path with the built tools' directories first, then `searchPath` without them (so
 * applying it twice changes nothing). What `ballast dev` and the tests start (a controller, the
 * CLI, a render) thus run the pinned helm and kustomize; the product itself only looks at PATH.
 */
export function toolsOnPath(searchPath: string | undefined): string {
  const dirs = pathTools.map(toolDir);
  const rest = (searchPath ?? '/usr/bin:/bin').split(delimiter).filter((d) => !dirs.includes(d));
  return [...dirs, ...rest].join(delimiter);
}

/** The default state directory of `ballast dev`: ~/.local/state/ballast/dev. */
export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  return join(base, 'ballast', 'dev');
}

export function absolute(p: string): string {
  return resolve(p);
}
