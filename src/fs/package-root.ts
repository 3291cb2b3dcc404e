import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Ballast's package root: the nearest ancestor of this module holding Ballast's package.json. It
 * is the repository in a checkout and the installed package's directory otherwise; the version
 * and the built files are found from it.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown };
      if (parsed.name === 'ballast') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('ballast: cannot find the package root above ' + dir);
    dir = parent;
  }
}
