/** A repository name that would escape the server root or is otherwise unusable. */
export class RepoNameError extends Error {
  override readonly name = 'RepoNameError';
  constructor(
    readonly repo: string,
    reason: string,
  ) {
    super(`repository ${JSON.stringify(repo)}: ${reason}`);
  }
}

const segment = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The path of a bare repository relative to the server root, always ending in `.git`:
 * `app` → `app.git`, `team/app.git` → `team/app.git`. Names are checked here, once, because the
 * same string becomes a directory, an HTTP path and an SSH path; `..` or an absolute path in any of
 * them would reach outside the root.
 */
export function repoRelativePath(repo: string): string {
  const withSuffix = repo.endsWith('.git') ? repo : `${repo}.git`;
  const parts = withSuffix.split('/');
  for (const p of parts) {
    if (!segment.test(p) || p.includes('..')) {
      throw new RepoNameError(
        repo,
        'each path segment must start with a letter or digit and hold only letters, digits, ".", "_" or "-"',
      );
    }
  }
  return withSuffix;
}
