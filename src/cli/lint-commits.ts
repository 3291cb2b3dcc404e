import type { Command } from 'commander';
import {
  commitChanges,
  judgeCommitSizes,
  type CommitLimits,
  type CommitSizeVerdict,
} from '../source/verify/index.js';
import { gitCredentialOptions, outputOption, type GitCredentialFlags } from './options.js';
import { collect, parseInteger, UsageError } from './parse.js';
import { table } from './table.js';
import { locate, revParse } from './verify.js';

interface LintFlags extends GitCredentialFlags {
  repo?: string;
  dir?: string;
  ref?: string;
  since: string;
  path: string;
  maxFiles?: number;
  maxApps?: number;
  appPath: string[];
  output: 'text' | 'json';
}

const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
};

function limitsOf(f: LintFlags): CommitLimits {
  if (f.maxFiles === undefined && f.maxApps === undefined)
    throw new UsageError('give --max-files N, --max-apps N, or both');
  if (f.maxApps !== undefined && f.appPath.length === 0)
    throw new UsageError(
      '--max-apps needs the paths of the Applications following the repository (--app-path, repeated)',
    );
  return {
    ...(f.maxFiles === undefined ? {} : { maxFilesChanged: f.maxFiles }),
    ...(f.maxApps === undefined ? {} : { maxApplicationsTouched: f.maxApps }),
  };
}

function printText(v: CommitSizeVerdict, range: string): void {
  if (v.kind === 'within') {
    out(`OK ${range}: ${v.checked} commit(s) within the limits`);
    return;
  }
  out(`LARGE ${range}: ${v.commits.length} of ${v.checked} commit(s) over the limits`);
  const rows = v.commits.map((c) => [
    c.sha.slice(0, 12),
    c.author,
    String(c.filesChanged),
    String(c.applicationsTouched),
    c.over.join(','),
  ]);
  out(table(['COMMIT', 'AUTHOR', 'FILES', 'APPS', 'OVER'], rows));
}

async function runLint(f: LintFlags): Promise<number> {
  const limits = limitsOf(f);
  const ref = f.ref ?? (f.dir !== undefined ? 'HEAD' : 'main');
  const { gitDir, target } = await locate({ ...f, ref });
  const since = await revParse(gitDir, f.since, '--since');
  const commits = await commitChanges(gitDir, { since, target });
  const verdict = judgeCommitSizes(commits, {
    limits,
    path: f.path,
    appPaths: [f.path, ...f.appPath],
  });
  const range = `${since.slice(0, 12)}..${target.slice(0, 12)}`;
  if (f.output === 'json') out(JSON.stringify({ since, target, limits, ...verdict }, null, 2));
  else printText(verdict, range);
  return verdict.kind === 'within' ? 0 : 1;
}

/** `ballast lint-commits`: exit 0 within the limits, 1 over them, 2 error (usage included). */
export function registerLintCommits(program: Command): void {
  const cmd = program
    .command('lint-commits')
    .description(
      'judge every commit since --since by the small-commit policy, as the controller does; ' +
        'exits 0 within the limits, 1 over them, 2 error',
    )
    .option('--repo <url>', 'a Git repository (https://, ssh://, file://)')
    .option('--dir <path>', 'a local clone')
    .option(
      '--ref <ref>',
      'the commit to walk back from (default HEAD with --dir, main with --repo)',
    )
    .requiredOption('--since <ref>', 'the last commit already judged, e.g. origin/main')
    .option('--path <dir>', "the Application's path in the repository", '.')
    .option(
      '--max-files <n>',
      'most files one commit may change under --path',
      parseInteger({ min: 1, max: 1_000_000 }),
    )
    .option(
      '--max-apps <n>',
      'most Applications one commit may touch',
      parseInteger({ min: 1, max: 1_000_000 }),
    )
    .option(
      '--app-path <dir>',
      'the path of another Application following the repository (repeat)',
      collect,
      [],
    );
  gitCredentialOptions(cmd);
  // Exit 1 means "over the limits"; main exits 2 on usage errors and failures.
  outputOption(cmd, ['text', 'json']).action(async (f: LintFlags) => {
    process.exitCode = await runLint(f);
  });
}
