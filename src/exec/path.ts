import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The executable `name` on a search path (`$PATH` by default), as a shell would find it: the
 * first directory holding a regular file of that name that may be executed. Undefined when none
 * does. Empty and relative entries are skipped: a tool must not be picked up from whatever
 * directory the process happens to run in.
 */
export function findOnPath(
  name: string,
  searchPath: string | undefined = process.env.PATH,
): string | undefined {
  for (const dir of (searchPath ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not here; look in the next directory.
    }
  }
  return undefined;
}
