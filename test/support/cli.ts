import { join } from 'node:path';
import { repoRoot } from '../../src/dev/paths.js';
import { run } from '../../src/exec/run.js';

/** The built CLI, as `npm test` builds it before the integration tests. */
export const cliMain = join(repoRoot(), 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ballast <args>` and keeps stdout of a non-zero exit too: `diff` exits 1 and
 * `verify-commit` exits 1 with their report on stdout. A CLI that cannot start or times out
 * throws, since no exit code can be asserted then.
 */
export async function runCli(
  args: readonly string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const r = await run(process.execPath, [cliMain, ...args], {
    timeoutMs: opts.timeoutMs ?? 120_000,
    ...(opts.env === undefined ? {} : { env: opts.env }),
  });
  if (r.kind === 'ok') return { code: 0, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
  if (r.kind === 'exit')
    return { code: r.code ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
  throw new Error(`ballast ${args.join(' ')}: ${JSON.stringify(r)}`);
}
