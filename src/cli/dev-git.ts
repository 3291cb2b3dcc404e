import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createBareRepo, startGitServer } from '../dev/git/index.js';
import { repoRelativePath } from '../dev/git/names.js';
import { absolute } from '../dev/paths.js';

interface GitFlags {
  root: string;
  repo: string[];
  tokenFile?: string;
}

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

/**
 * `ballast dev git`: the test suite's Git server (git http-backend behind token auth, pushes
 * allowed) for a person, in the foreground until Ctrl-C. The quickstart serves its example
 * repository with it, so the controller pulls over HTTP exactly as it would from a forge.
 */
export function registerDevGit(dev: Command): void {
  dev
    .command('git')
    .description('serve bare Git repositories over HTTP on loopback until interrupted')
    .requiredOption('--root <dir>', 'directory holding the bare repositories')
    .option(
      '--repo <name>',
      'create this bare repository if missing (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option('--token-file <file>', 'accept this token as the HTTP password; unset: anonymous')
    .action(async (f: GitFlags) => {
      const root = absolute(f.root);
      const tokens =
        f.tokenFile === undefined ? [] : [(await readFile(absolute(f.tokenFile), 'utf8')).trim()];
      const server = await startGitServer({
        root,
        auth: { users: [], tokens },
        allowPush: true,
        ssh: false,
      });
      for (const repo of f.repo) {
        if (!(await exists(join(root, repoRelativePath(repo))))) await createBareRepo(server, repo);
      }
      process.stdout.write(`serving ${server.httpBase} (repositories under ${root})\n`);
      for (const repo of f.repo) process.stdout.write(`  ${server.httpUrl(repo)}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.stop();
    });
}
