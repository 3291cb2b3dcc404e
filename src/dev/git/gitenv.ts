import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOrThrow, type RunOptions, type RunResult } from '../../exec/run.js';

/**
 * The environment that keeps the user's and the system's git configuration out: a private HOME,
 * an empty global config file, no /etc/gitconfig, and no credential prompts (a prompt would hang a
 * test until its timeout instead of failing at once).
 */
export type IsolatedGitEnv = {
  HOME: string;
  GIT_CONFIG_NOSYSTEM: string;
  GIT_CONFIG_GLOBAL: string;
  GIT_TERMINAL_PROMPT: string;
};

export function isolatedGitEnv(sandboxDir: string): IsolatedGitEnv {
  return {
    HOME: join(sandboxDir, 'home'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(sandboxDir, 'gitconfig'),
    GIT_TERMINAL_PROMPT: '0',
  };
}

/** Creates the directory and files `isolatedGitEnv` points at; returns that environment. */
export async function createGitSandbox(
  sandboxDir?: string,
): Promise<{ dir: string; env: IsolatedGitEnv }> {
  const dir = sandboxDir ?? (await mkdtemp(join(tmpdir(), 'ballast-gitenv-')));
  const env = isolatedGitEnv(dir);
  await mkdir(env.HOME, { recursive: true, mode: 0o700 });
  await writeFile(env.GIT_CONFIG_GLOBAL, '');
  return { dir, env };
}

/** Who commits: passed with `-c` on each call, never written to any config file. */
export interface GitIdentity {
  /** user.name */
  name: string;
  /** user.email; also the principal an SSH signature is checked against. */
  email: string;
}

export function defaultGitIdentity(): GitIdentity {
  return { name: 'Ballast Test', email: 'ballast-test@example.invalid' };
}

export function identityArgs(id: GitIdentity): string[] {
  return ['-c', `user.name=${id.name}`, '-c', `user.email=${id.email}`];
}

/** How one git command runs; a narrower view of the runner's options. */
export type GitRunOptions = Pick<RunOptions, 'env' | 'redact' | 'timeoutMs'> &
  Partial<Pick<RunOptions, 'cwd' | 'stdin'>>;

/** `git <subcommand>`, skipping leading `-c key=value` pairs: names the command without its arguments. */
export function gitLabel(args: readonly string[]): string {
  let i = 0;
  while (args[i] === '-c' || args[i] === '-C') i += 2;
  return `git ${args[i] ?? ''}`.trimEnd();
}

/** Runs git to completion through the one process runner. */
export function runGit(args: readonly string[], opts: GitRunOptions): Promise<RunResult> {
  return run('git', args, opts);
}

/** Runs git and returns its stdout as text, or throws a ProcessError naming the subcommand. */
export async function git(args: readonly string[], opts: GitRunOptions): Promise<string> {
  const out = await runOrThrow(gitLabel(args), 'git', args, opts);
  return out.toString('utf8');
}
